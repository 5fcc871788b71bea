/**
 * The dependency directions of the tree, read from the source: no import circles under lib/ or
 * functions/ (a circle makes module initialization order decide whether a value is defined yet,
 * and means neither side can be understood or moved alone), and runtime code never imports the
 * CDK app (a Lambda bundle would pull in lib/ and, through it, aws-cdk-lib). Type-only imports
 * count: a type shared by two modules belongs in a third. shared/ is the bottom layer (README
 * "Layout"; domain/ imports its errors), and the process's dependencies are built in one place,
 * the composition root (functions/handlers/composition/), so no builder is duplicated.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';

const ROOT = path.resolve(import.meta.dirname, '../..');

/**
 * Circles allowed for now, each named once (both directions of one pair). Remove an
 * entry when its circle is gone; the test fails on an entry that no longer matches anything.
 */
const ALLOWED_CIRCLES: readonly (readonly string[])[] = [];

function sourceFiles(dir: string): string[] {
  return readdirSync(path.join(ROOT, dir), { withFileTypes: true, recursive: true })
    .filter((e) => e.isFile() && /\.(ts|mts)$/.test(e.name) && !e.name.endsWith('.d.ts'))
    .map((e) => path.relative(ROOT, path.join(e.parentPath, e.name)).split(path.sep).join('/'));
}

/** Strips comments so an import named in prose (JSDoc examples) is not taken for one. */
const withoutComments = (src: string) => src.replace(/\/\*[\s\S]*?\*\//g, '').replace(/(^|[^:'"`])\/\/.*$/gm, '$1');

/**
 * Repo-relative .ts targets of a file's relative imports: static (type-only included), re-exports,
 * and dynamic imports of a literal. `./x.js` resolves to `./x.ts` as TypeScript's NodeNext does.
 */
function importTargets(file: string): string[] {
  const src = withoutComments(readFileSync(path.join(ROOT, file), 'utf8'));
  const specs = [...src.matchAll(/(?:\bfrom\s+|\bimport\s*\(\s*|\bimport\s+)['"](\.{1,2}\/[^'"]+)['"]/g)].map(
    (m) => m[1]!,
  );
  return specs.map((s) => {
    const abs = path.resolve(ROOT, path.dirname(file), s);
    const candidates = [abs.replace(/\.(m?)js$/, '.$1ts'), abs, `${abs}.ts`, path.join(abs, 'index.ts')];
    const hit = candidates.find((c) => existsSync(c) && c.endsWith('.ts')) ?? abs;
    return path.relative(ROOT, hit).split(path.sep).join('/');
  });
}

/** Strongly connected components with more than one module, or a module importing itself (Tarjan). */
function circles(graph: ReadonlyMap<string, readonly string[]>): string[][] {
  let next = 0;
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const out: string[][] = [];
  const visit = (v: string) => {
    index.set(v, next);
    low.set(v, next);
    next++;
    stack.push(v);
    onStack.add(v);
    for (const w of graph.get(v) ?? []) {
      if (!graph.has(w)) continue;
      if (!index.has(w)) {
        visit(w);
        low.set(v, Math.min(low.get(v)!, low.get(w)!));
      } else if (onStack.has(w)) {
        low.set(v, Math.min(low.get(v)!, index.get(w)!));
      }
    }
    if (low.get(v) === index.get(v)) {
      const component: string[] = [];
      let w: string;
      do {
        w = stack.pop()!;
        onStack.delete(w);
        component.push(w);
      } while (w !== v);
      if (component.length > 1 || (graph.get(v) ?? []).includes(v)) out.push(component.sort());
    }
  };
  for (const v of [...graph.keys()].sort()) if (!index.has(v)) visit(v);
  return out.sort((a, b) => a[0]!.localeCompare(b[0]!));
}

const files = [...sourceFiles('lib'), ...sourceFiles('functions')];
const graph = new Map(files.map((f) => [f, importTargets(f)]));
const sameCircle = (a: readonly string[], b: readonly string[]) =>
  a.length === b.length && [...a].sort().every((x, i) => x === [...b].sort()[i]);

describe('import structure of lib/ and functions/', () => {
  it('reads the imports (a broken scan would make the checks below vacuous)', () => {
    expect(files.length).toBeGreaterThan(150);
    // A multi-line import, a type-only import and a dynamic import.
    expect(importTargets('lib/app.ts')).toContain('lib/stacks/app-stack.ts');
    expect(importTargets('lib/constructs/content-workflow.ts')).toContain('functions/domain/pipeline.ts');
    expect(importTargets('functions/handlers/composition/approvals.ts')).toContain(
      'functions/app/approvals/webhooks.ts',
    );
  });

  it('finds a circle when there is one', () => {
    const g = new Map([
      ['a.ts', ['b.ts']],
      ['b.ts', ['c.ts']],
      ['c.ts', ['a.ts', 'd.ts']],
      ['d.ts', []],
      ['e.ts', ['e.ts']],
    ]);
    expect(circles(g)).toEqual([['a.ts', 'b.ts', 'c.ts'], ['e.ts']]);
  });

  it('has no import circles under lib/ or functions/ beyond the listed ones', () => {
    const found = circles(graph);
    const unexpected = found.filter((c) => !ALLOWED_CIRCLES.some((a) => sameCircle(a, c)));
    expect(unexpected.map((c) => c.join(' <-> '))).toEqual([]);
    const stale = ALLOWED_CIRCLES.filter((a) => !found.some((c) => sameCircle(a, c)));
    expect(stale.map((c) => `allowed but gone: ${c.join(' <-> ')}`)).toEqual([]);
  });

  it('keeps runtime code (functions/) from importing the CDK app (lib/)', () => {
    const offenders = sourceFiles('functions').flatMap((f) =>
      graph
        .get(f)!
        .filter((t) => t === 'lib' || t.startsWith('lib/'))
        .map((t) => `${f} -> ${t}`),
    );
    expect(offenders).toEqual([]);
  });
});

/**
 * shared/ imports that reach a layer above it, allowed for now (`from -> to`). Remove an entry
 * when its import is gone; the test fails on an entry that no longer matches anything.
 */
const SHARED_UPWARD_ALLOWED: ReadonlyMap<string, string> = new Map();

const ABOVE_SHARED = /^functions\/(adapters|app|handlers|domain)\//;

/** `from -> to` for every import of a shared/ file that reaches adapters/, app/, handlers/ or domain/. */
function sharedUpward(g: ReadonlyMap<string, readonly string[]>): string[] {
  return [...g.keys()]
    .filter((f) => f.startsWith('functions/shared/'))
    .flatMap((f) =>
      g
        .get(f)!
        .filter((t) => ABOVE_SHARED.test(t))
        .map((t) => `${f} -> ${t}`),
    );
}

/**
 * The builders of process-wide dependencies: called only by the composition root (and by local/,
 * test/ and bench/, which compose their own), never by a handler, a use case or another adapter.
 */
const BUILDERS = [
  'connect',
  'createObjectStore',
  'createSfnStarter',
  'createSfnTaskCallbacks',
  'createCallbackPort',
  'createEventBridgePublisher',
  'createHttpWebhookTransport',
  'createFreepikClient',
  'createImageSource',
  'createPgImageSource',
  'createPgTokenBucket',
  'createPgQuotaGuard',
  'createPgUsageRecorder',
  'createSesMailer',
  'metaConnectorsFromEnv',
  'fieldCipher',
];
const COMPOSITION_ROOT = 'functions/handlers/composition/';

/** `file: builder` for every call of a builder outside the root and outside the file defining it. */
function builderCalls(sources: ReadonlyMap<string, string>): string[] {
  return [...sources].flatMap(([file, src]) =>
    file.startsWith(COMPOSITION_ROOT)
      ? []
      : BUILDERS.filter(
          (b) => new RegExp(`(?<![\\w.])${b}\\s*\\(`).test(src) && !new RegExp(`function\\s+${b}\\s*[(<]`).test(src),
        ).map((b) => `${file}: ${b}`),
  );
}

describe('layers and the composition root', () => {
  it('finds an upward import of shared/ when there is one', () => {
    const g = new Map([
      ['functions/shared/a.ts', ['functions/shared/b.ts', 'functions/adapters/db/client.ts']],
      ['functions/shared/b.ts', ['functions/domain/x.ts']],
      ['functions/app/c.ts', ['functions/adapters/db/client.ts']],
    ]);
    expect(sharedUpward(g)).toEqual([
      'functions/shared/a.ts -> functions/adapters/db/client.ts',
      'functions/shared/b.ts -> functions/domain/x.ts',
    ]);
  });

  it('keeps shared/ from importing adapters/, app/, handlers/ or domain/ beyond the listed imports', () => {
    const found = sharedUpward(graph);
    expect(found.filter((e) => !SHARED_UPWARD_ALLOWED.has(e))).toEqual([]);
    const stale = [...SHARED_UPWARD_ALLOWED.keys()].filter((e) => !found.includes(e));
    expect(stale.map((e) => `allowed but gone: ${e}`)).toEqual([]);
  });

  it('finds a builder called outside the root, and not its definition or a method of that name', () => {
    const found = builderCalls(
      new Map([
        ['functions/app/x.ts', 'const s = createImageSource({ client });'],
        ['functions/adapters/freepik/image-source.ts', 'export function createImageSource(deps) { return deps; }'],
        ['functions/adapters/y.ts', 'await pool.connect(); const c = createFreepikClient ({});'],
        ['functions/handlers/composition/freepik.ts', 'createImageSource({ client });'],
      ]),
    );
    expect(found).toEqual(['functions/app/x.ts: createImageSource', 'functions/adapters/y.ts: createFreepikClient']);
  });

  it('builds process-wide dependencies only in functions/handlers/composition/', () => {
    const sources = new Map(
      sourceFiles('functions').map((f) => [f, withoutComments(readFileSync(path.join(ROOT, f), 'utf8'))]),
    );
    // The scan sees the root's own calls (a broken pattern would make the check vacuous).
    const root = new Map([...sources].filter(([f]) => f.startsWith(COMPOSITION_ROOT)));
    expect(builderCalls(new Map([...root].map(([f, s]) => [f.replace(COMPOSITION_ROOT, 'x/'), s])))).toEqual(
      expect.arrayContaining([
        'x/root.ts: connect',
        'x/freepik.ts: createImageSource',
        'x/approvals.ts: createCallbackPort',
      ]),
    );
    expect(builderCalls(sources)).toEqual([]);
  });
});
