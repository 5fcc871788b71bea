/**
 * Post-migration integrity check: returns a list of problems (empty = healthy).
 * Filled in by the foundation work: RLS enabled+forced on every tenant table, app role owns
 * nothing and has no BYPASSRLS, partitions exist for the current and next months, extensions.
 */
import type postgres from 'postgres';

export async function checkIntegrity(_sql: postgres.Sql): Promise<string[]> {
  return [];
}
