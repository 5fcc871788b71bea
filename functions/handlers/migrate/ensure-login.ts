/** The login step of functions/handlers/migrate/logins.ts, apart from its env so tests can call it. */
import postgres from 'postgres';

const ident = (name: string) => {
  if (!/^[a-z_][a-z0-9_]{0,62}$/.test(name))
    throw new Error(`unexpected role name in the app secret: ${JSON.stringify(name)}`);
  return name;
};

/**
 * Creates the login role (never a superuser, no BYPASSRLS: the migrations grant it what it may
 * do) or resets its password to the secret's current one. Idempotent.
 */
export async function ensureLogin(
  ownerUrl: string,
  login: { username: string; password: string },
): Promise<'created' | 'updated'> {
  const sql = postgres(ownerUrl, { max: 1, prepare: false, onnotice: () => {} });
  try {
    const role = ident(login.username);
    const password = login.password.replace(/'/g, "''");
    const [exists] = await sql`SELECT 1 AS ok FROM pg_roles WHERE rolname = ${role}`;
    if (!exists)
      await sql.unsafe(
        `CREATE ROLE ${role} LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOBYPASSRLS PASSWORD '${password}'`,
      );
    else await sql.unsafe(`ALTER ROLE ${role} LOGIN PASSWORD '${password}'`);
    return exists ? 'updated' : 'created';
  } finally {
    await sql.end({ timeout: 5 });
  }
}
