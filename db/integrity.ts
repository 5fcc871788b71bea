/**
 * Post-migration integrity check: returns a list of problems (empty = healthy). runMigrations fails
 * loudly when the list is not empty, so a deploy cannot leave a tenant table readable across tenants.
 * Checks:
 *  - every public table with an organization_id column (partitions included), and organizations /
 *    users, has row level security ENABLEd and FORCEd;
 *  - every such table has a permissive policy keyed on app.current_org(), and no policy that is
 *    unconditionally true;
 *  - the app role exists, is not a superuser, has no BYPASSRLS and owns no relations (an owner
 *    would bypass non-forced policies and could disable them);
 *  - the extensions the design relies on are installed;
 *  - each RANGE-partitioned table has a DEFAULT partition and partitions covering the current and
 *    the next month (UTC).
 */
import type postgres from 'postgres';

export const APP_ROLE_NAME = 'svp_app';
export const REQUIRED_EXTENSIONS = ['uuid-ossp', 'pg_trgm', 'btree_gin', 'pg_stat_statements'] as const;
/** Tenant-sensitive tables without an organization_id column that must still be RLS-protected. */
const EXTRA_RLS_TABLES = ['organizations', 'users'];

export async function checkIntegrity(sql: postgres.Sql): Promise<string[]> {
  const problems: string[] = [];

  const tables = await sql<{ name: string; kind: string; rls: boolean; force: boolean; has_org: boolean }[]>`
    SELECT c.relname AS name, c.relkind::text AS kind, c.relrowsecurity AS rls, c.relforcerowsecurity AS force,
           EXISTS (SELECT 1 FROM pg_attribute a WHERE a.attrelid = c.oid AND a.attname = 'organization_id' AND NOT a.attisdropped) AS has_org
    FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
    WHERE n.nspname = 'public' AND c.relkind IN ('r', 'p')
    ORDER BY c.relname`;
  const protectedTables = tables.filter((t) => t.has_org || EXTRA_RLS_TABLES.includes(t.name));
  for (const name of EXTRA_RLS_TABLES) {
    if (!tables.some((t) => t.name === name)) problems.push(`table ${name} is missing`);
  }
  if (!tables.some((t) => t.has_org))
    problems.push('no table with an organization_id column found (schema not migrated?)');

  const policies = await sql<
    { table: string; name: string; permissive: boolean; cmd: string; qual: string | null; check: string | null }[]
  >`
    SELECT c.relname AS table, p.polname AS name, p.polpermissive AS permissive, p.polcmd::text AS cmd,
           pg_get_expr(p.polqual, p.polrelid) AS qual, pg_get_expr(p.polwithcheck, p.polrelid) AS check
    FROM pg_policy p JOIN pg_class c ON c.oid = p.polrelid JOIN pg_namespace n ON n.oid = c.relnamespace
    WHERE n.nspname = 'public'`;

  for (const t of protectedTables) {
    if (!t.rls) problems.push(`${t.name}: row level security is not enabled`);
    if (!t.force) problems.push(`${t.name}: row level security is not forced`);
    const own = policies.filter((p) => p.table === t.name);
    for (const p of own) {
      const trivially = (e: string | null) => e !== null && /^\(?\s*true\s*\)?$/i.test(e.trim());
      if (p.permissive && (trivially(p.qual) || trivially(p.check))) {
        problems.push(`${t.name}: policy ${p.name} is unconditionally true`);
      }
    }
    if (t.has_org) {
      const tenantPolicy = own.find((p) => p.permissive && p.cmd === '*' && (p.qual ?? '').includes('current_org()'));
      if (!tenantPolicy) problems.push(`${t.name}: no tenant policy keyed on app.current_org()`);
    } else if (own.length === 0) {
      problems.push(`${t.name}: no row level security policy`);
    }
  }

  const [role] = await sql<{ super: boolean; bypass: boolean; owned: string | null }[]>`
    SELECT r.rolsuper AS super, r.rolbypassrls AS bypass,
           (SELECT string_agg(c.relname, ', ' ORDER BY c.relname) FROM pg_class c WHERE c.relowner = r.oid) AS owned
    FROM pg_roles r WHERE r.rolname = ${APP_ROLE_NAME}`;
  if (!role) {
    problems.push(`role ${APP_ROLE_NAME} does not exist`);
  } else {
    if (role.super) problems.push(`role ${APP_ROLE_NAME} is a superuser`);
    if (role.bypass) problems.push(`role ${APP_ROLE_NAME} has BYPASSRLS`);
    if (role.owned) problems.push(`role ${APP_ROLE_NAME} owns relations: ${role.owned}`);
  }

  const exts = await sql<{ extname: string }[]>`SELECT extname FROM pg_extension`;
  for (const e of REQUIRED_EXTENSIONS) {
    if (!exts.some((x) => x.extname === e)) problems.push(`extension ${e} is not installed`);
  }

  const parts = await sql<{ parent: string; has_default: boolean; has_current: boolean; has_next: boolean }[]>`
    WITH parents AS (
      SELECT pt.partrelid, c.relname, pt.partdefid
      FROM pg_partitioned_table pt JOIN pg_class c ON c.oid = pt.partrelid JOIN pg_namespace n ON n.oid = c.relnamespace
      WHERE n.nspname = 'public' AND pt.partstrat = 'r'),
    bounds AS (
      SELECT i.inhparent AS parent, b[1]::timestamptz AS lo, b[2]::timestamptz AS hi
      FROM pg_inherits i JOIN pg_class pc ON pc.oid = i.inhrelid
      CROSS JOIN LATERAL regexp_match(pg_get_expr(pc.relpartbound, pc.oid), $re$FROM \\('([^']+)'\\) TO \\('([^']+)'\\)$re$) AS b),
    months AS (SELECT date_trunc('month', now() AT TIME ZONE 'UTC') AT TIME ZONE 'UTC' AS cur)
    SELECT p.relname AS parent, p.partdefid <> 0 AS has_default,
      EXISTS (SELECT 1 FROM bounds b, months m WHERE b.parent = p.partrelid
        AND b.lo <= m.cur AND b.hi >= m.cur + interval '1 month') AS has_current,
      EXISTS (SELECT 1 FROM bounds b, months m WHERE b.parent = p.partrelid
        AND b.lo <= m.cur + interval '1 month' AND b.hi >= m.cur + interval '2 months') AS has_next
    FROM parents p ORDER BY p.relname`;
  for (const p of parts) {
    if (!p.has_default) problems.push(`${p.parent}: no DEFAULT partition`);
    if (!p.has_current)
      problems.push(`${p.parent}: no partition for the current month (run app.maintain_partitions())`);
    if (!p.has_next) problems.push(`${p.parent}: no partition for next month (run app.maintain_partitions())`);
  }
  for (const expected of ['api_usage', 'content_analytics', 'user_activity_logs']) {
    if (!parts.some((p) => p.parent === expected)) problems.push(`${expected} is not a partitioned table`);
  }

  return problems;
}
