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

/**
 * Use cases whose SQL has not moved into a store yet. Each entry must still import persistence
 * (the list only shrinks); delete an entry when its file moves.
 */
const NOT_YET_MOVED = new Set<string>([
  // The API gate (one app.api_gate round trip) belongs to the API hot-path work, which moves it.
  'functions/app/access.ts',
  // Only its list and detail reads (listContentRequests, getContentRequest): the API read-path
  // work moves them into a store; everything else of the file is in content-request-store.
  'functions/app/content-requests.ts',
]);

describe('functions/app', () => {
  const files = sourceFiles('functions/app');

  it('imports neither drizzle-orm, postgres nor db/schema (stores in adapters/ hold the SQL)', () => {
    expect(files.length).toBeGreaterThan(30);
    // The scan sees package and schema imports at all (a broken pattern would make the check vacuous).
    expect(imports('functions/adapters/approvals/approval-store.ts').filter(isPersistence)).toEqual(
      expect.arrayContaining(['drizzle-orm', 'db/schema/index.js']),
    );
    const offenders = files
      .filter((f) => !NOT_YET_MOVED.has(f))
      .flatMap((f) =>
        imports(f)
          .filter(isPersistence)
          .map((t) => `${f} -> ${t}`),
      );
    expect(offenders).toEqual([]);
  });

  it('keeps its list of files not yet moved honest', () => {
    const stale = [...NOT_YET_MOVED].filter((f) => !files.includes(f) || !imports(f).some(isPersistence));
    expect(stale).toEqual([]);
  });
});
