/** PostgreSQL errors as the stores' callers need to tell them apart (unique names, for one). */
interface PgError {
  code?: string;
  constraint_name?: string;
  constraint?: string;
}

/** postgres.js errors come wrapped by drizzle (DrizzleQueryError.cause). */
export function pgError(e: unknown): PgError | undefined {
  for (let cur: unknown = e, i = 0; cur && i < 4; cur = (cur as { cause?: unknown }).cause, i++) {
    const c = cur as PgError;
    if (typeof c.code === 'string' && /^[0-9A-Z]{5}$/.test(c.code)) return c;
  }
  return undefined;
}

export const isUniqueViolation = (e: unknown, constraint?: string): boolean => {
  const p = pgError(e);
  return p?.code === '23505' && (!constraint || (p.constraint_name ?? p.constraint) === constraint);
};
