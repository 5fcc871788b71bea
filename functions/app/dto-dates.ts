/** Timestamps go out as ISO strings. */
export const iso = (d: Date | string | null | undefined): string | null =>
  d == null ? null : d instanceof Date ? d.toISOString() : new Date(d).toISOString();
export const isoReq = (d: Date | string): string => iso(d)!;
