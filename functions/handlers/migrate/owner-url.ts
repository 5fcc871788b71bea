/** Owner connection URL from an RDS-style Secrets Manager secret (kept apart from the handler so it is testable without env). */
import { z } from 'zod';

/** The JSON RDS and CDK's DatabaseSecret store: username, password, host, port, dbname. */
export const dbSecret = z.object({
  username: z.string().min(1),
  password: z.string().min(1),
  host: z.string().min(1).optional(),
  port: z.coerce.number().int().positive().optional(),
  dbname: z.string().min(1).optional(),
});
export type DbSecret = z.infer<typeof dbSecret>;

export interface OwnerUrlOptions {
  /** Overrides the secret's host. */
  DB_HOST?: string;
  /** Overrides the secret's dbname. */
  DB_NAME?: string;
  DB_SSLMODE?: 'require' | 'verify-full' | 'disable';
}

export function ownerUrlFrom(s: DbSecret, e: OwnerUrlOptions = {}): string {
  const host = e.DB_HOST ?? s.host;
  if (!host) throw new Error('no database host: set DB_HOST or store host in the owner secret');
  const db = e.DB_NAME ?? s.dbname ?? 'postgres';
  const u = new URL(`postgres://${host}:${s.port ?? 5432}/${encodeURIComponent(db)}`);
  // Generated passwords contain URL-reserved characters; postgres.js decodes these again.
  u.username = encodeURIComponent(s.username);
  u.password = encodeURIComponent(s.password);
  const ssl = e.DB_SSLMODE ?? 'require';
  if (ssl !== 'disable') u.searchParams.set('sslmode', ssl);
  return u.toString();
}
