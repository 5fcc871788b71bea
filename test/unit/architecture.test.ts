/**
 * One persistence style: SQL lives in stores under functions/adapters/, and the use cases in
 * functions/app/ reach PostgreSQL only through them. A use case that imports drizzle-orm,
 * postgres.js or the drizzle schema has grown its own SQL again.
 */
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';

const ROOT = path.resolve(import.meta.dirname, '../..');

function sourceFiles(dir: string): string[] {
  return readdirSync(path.join(ROOT, dir), { withFileTypes: true, recursive: true })
    .filter((e) => e.isFile() && /\.(ts|mts|js|mjs)$/.test(e.name))
    .map((e) => path.relative(ROOT, path.join(e.parentPath, e.name)).split(path.sep).join('/'));
}

/** Every import specifier (static, type-only, re-exports, dynamic with a literal), relative ones resolved. */
function imports(file: string): string[] {
  const src = readFileSync(path.join(ROOT, file), 'utf8');
  const specs = [...src.matchAll(/(?:\bfrom\s+|\bimport\s*\(\s*|\bimport\s+)['"]([^'"]+)['"]/g)].map((m) => m[1]!);
  return specs.map((s) =>
    s.startsWith('.')
      ? path
          .relative(ROOT, path.resolve(ROOT, path.dirname(file), s))
          .split(path.sep)
          .join('/')
      : s,
  );
}

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
