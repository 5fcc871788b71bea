/**
 * The local wing stays a wing: runtime code (functions/) and the CDK app (lib/) never import
 * local/, so nothing local can reach a Lambda or a synthesized stack through them. The bundle
 * test (test/infra/bundles.test.ts) checks the Lambda side on the real bundles; this one covers
 * lib/ and any module of functions/ that no bundle happens to include yet.
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

/** Repo-relative targets of the relative imports (static, re-exports and dynamic with a literal). */
function importTargets(file: string): string[] {
  const src = readFileSync(path.join(ROOT, file), 'utf8');
  const specs = [...src.matchAll(/(?:\bfrom\s+|\bimport\s*\(\s*|\bimport\s+)['"](\.{1,2}\/[^'"]+)['"]/g)].map(
    (m) => m[1]!,
  );
  return specs.map((s) =>
    path
      .relative(ROOT, path.resolve(ROOT, path.dirname(file), s))
      .split(path.sep)
      .join('/'),
  );
}

describe('the local wing', () => {
  it('is imported by neither functions/ nor lib/', () => {
    const files = [...sourceFiles('functions'), ...sourceFiles('lib')];
    expect(files.length).toBeGreaterThan(150);
    // The scan sees imports at all (a broken pattern would make the check below vacuous).
    expect(importTargets('functions/handlers/api/dashboard-pages.ts')).toContain('functions/shared/http/html.js');
    const offenders = files.flatMap((f) =>
      importTargets(f)
        .filter((t) => t === 'local' || t.startsWith('local/'))
        .map((t) => `${f} -> ${t}`),
    );
    expect(offenders).toEqual([]);
  });

  it('holds every emulator and local server (none left in functions/)', () => {
    const misplaced = sourceFiles('functions').filter((f) =>
      /emulator|local-runner|api-server|embedded-postgres|s3-server|local-issuer|task-token-broker/.test(f),
    );
    expect(misplaced).toEqual([]);
    expect(sourceFiles('local').some((f) => f.startsWith('local/emulators/'))).toBe(true);
  });
});
