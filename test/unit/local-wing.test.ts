/**
 * The local wing stays a wing: runtime code (functions/) and the CDK app (lib/) never import
 * local/, so nothing local can reach a Lambda or a synthesized stack through them. The bundle
 * test (test/infra/bundles.test.ts) checks the Lambda side on the real bundles; this one covers
 * lib/ and any module of functions/ that no bundle happens to include yet.
 */
import { describe, expect, it } from 'vitest';
import { importSpecifiers, isRelative, resolvedFrom, sourceFiles } from '../support/source-imports.js';

/** Repo-relative targets of the relative imports (static, re-exports and dynamic with a literal). */
const importTargets = (file: string): string[] =>
  importSpecifiers(file)
    .filter(isRelative)
    .map((s) => resolvedFrom(file, s));

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
