/**
 * No source line is wider than 160 characters. Biome wraps code at 120 columns but cannot break a
 * long string or template literal, so this is the check that keeps those readable in a diff or a
 * side-by-side review. Generated SQL and drizzle's snapshots are not source and are not scanned.
 */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';

const ROOT = path.resolve(import.meta.dirname, '../..');
const MAX_COLUMNS = 160;
const SOURCE_DIRS = ['bin', 'lib', 'functions', 'local', 'db', 'test', 'bench'];
const SOURCE_EXT = /\.(ts|mts|cts|js|mjs|cjs)$/;
const SKIPPED = /(^|\/)(node_modules|cdk\.out|\.local)\/|^db\/migrations\//;

/** Tracked files plus new ones not yet committed (but not ignored), so a fresh file is checked too. */
function sourceFiles(): string[] {
  const out = execFileSync('git', ['ls-files', '--cached', '--others', '--exclude-standard', '-z'], {
    cwd: ROOT,
    encoding: 'utf8',
  });
  return [...new Set(out.split('\0'))].filter(
    (f) =>
      SOURCE_EXT.test(f) &&
      !SKIPPED.test(f) &&
      (SOURCE_DIRS.some((d) => f.startsWith(`${d}/`)) || (!f.includes('/') && f.endsWith('.ts'))),
  );
}

/** `file:line (n chars)` for every line over the limit. */
function longLines(file: string, text: string): string[] {
  return text
    .split(/\r?\n/)
    .flatMap((line, i) => (line.length > MAX_COLUMNS ? [`${file}:${i + 1} (${line.length} chars)`] : []));
}

describe('source lines', () => {
  it('reports a line over the limit by file and line number', () => {
    const text = ['short', 'x'.repeat(MAX_COLUMNS), 'y'.repeat(MAX_COLUMNS + 1)].join('\n');
    expect(longLines('a.ts', text)).toEqual([`a.ts:3 (${MAX_COLUMNS + 1} chars)`]);
  });

  it('scans every source area and the top-level config', () => {
    const files = sourceFiles();
    expect(files.length).toBeGreaterThan(300);
    for (const dir of SOURCE_DIRS)
      expect(
        files.some((f) => f.startsWith(`${dir}/`)),
        dir,
      ).toBe(true);
    expect(files).toContain('vitest.config.ts');
    expect(files).toContain('bin/patch-postgres.mjs');
    expect(files.some((f) => f.startsWith('db/migrations/'))).toBe(false);
  });

  it(`has no line over ${MAX_COLUMNS} characters`, () => {
    const offenders = sourceFiles().flatMap((f) => {
      const abs = path.join(ROOT, f);
      let text: string;
      try {
        text = readFileSync(abs, 'utf8');
      } catch {
        return []; // listed by git but deleted in the working tree
      }
      return longLines(f, text);
    });
    expect(offenders, `lines over ${MAX_COLUMNS} characters:\n${offenders.join('\n')}`).toEqual([]);
  });
});
