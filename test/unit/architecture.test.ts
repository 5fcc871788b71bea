/**
 * One persistence style: SQL lives in stores under functions/adapters/, and the use cases in
 * functions/app/ reach PostgreSQL only through them. A use case that imports drizzle-orm,
 * postgres.js or the drizzle schema has grown its own SQL again.
 */
import { describe, expect, it } from 'vitest';
import { importSpecifiers, isRelative, resolvedFrom, sourceFiles } from '../support/source-imports.js';

/** Every import of a file (static, type-only, re-exports, dynamic with a literal), relative ones resolved. */
const imports = (file: string): string[] =>
  importSpecifiers(file).map((s) => (isRelative(s) ? resolvedFrom(file, s) : s));

const isPersistence = (target: string): boolean =>
  /^(drizzle-orm|postgres)(\/|$)/.test(target) || /^db\/schema(\/|\.|$)/.test(target);

describe('functions/app', () => {
  const files = sourceFiles('functions/app');

  it('imports neither drizzle-orm, postgres nor db/schema (stores in adapters/ hold the SQL)', () => {
    expect(files.length).toBeGreaterThan(30);
    // The scan sees package and schema imports at all (a broken pattern would make the check vacuous).
    expect(imports('functions/adapters/approvals/approval-store.ts').filter(isPersistence)).toEqual(
      expect.arrayContaining(['drizzle-orm', 'db/schema/index.js']),
    );
    const offenders = files.flatMap((f) =>
      imports(f)
        .filter(isPersistence)
        .map((t) => `${f} -> ${t}`),
    );
    expect(offenders).toEqual([]);
  });
});
