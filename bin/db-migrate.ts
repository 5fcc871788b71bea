/**
 * `npm run db:migrate`: applies the committed migrations to DATABASE_OWNER_URL (or DATABASE_URL)
 * as the owner, runs the integrity check, prints what happened, and exits non-zero on any failure.
 * APP_DB_PASSWORD, when set, gives the app role LOGIN with that password.
 */
import { z } from 'zod';
import { redactUrl, runMigrations } from '../db/migrate.js';

/** An empty variable counts as unset (`DATABASE_URL= npm run db:migrate`). */
const opt = <T extends z.ZodType>(s: T) => z.preprocess((v) => (v === '' ? undefined : v), s.optional());
const env = z
  .object({
    DATABASE_OWNER_URL: opt(z.string().url()),
    DATABASE_URL: opt(z.string().url()),
    APP_DB_PASSWORD: opt(z.string().min(8)),
  })
  .refine((e) => e.DATABASE_OWNER_URL || e.DATABASE_URL, {
    message: 'set DATABASE_OWNER_URL (or DATABASE_URL) to an owner connection URL',
  });

async function main(): Promise<number> {
  const parsed = env.safeParse(process.env);
  if (!parsed.success) {
    console.error(
      `db:migrate: configuration error: ${parsed.error.issues.map((i) => `${i.path.join('.') || 'env'}: ${i.message}`).join('; ')}`,
    );
    return 2;
  }
  const url = parsed.data.DATABASE_OWNER_URL ?? parsed.data.DATABASE_URL!;
  console.log(`db:migrate: applying migrations to ${redactUrl(url)}`);
  const r = await runMigrations(url, { appRolePassword: parsed.data.APP_DB_PASSWORD });
  console.log(`db:migrate: ${r.appliedNow} migration(s) applied now, ${r.total} recorded; integrity check passed`);
  console.log(`db:migrate: partitions ${JSON.stringify(r.partitions)}`);
  return 0;
}

main().then(
  (code) => {
    process.exitCode = code;
  },
  (err: unknown) => {
    console.error('db:migrate: FAILED');
    console.error(err instanceof Error ? err.message : err);
    process.exitCode = 1;
  },
);
