/** Reading the tree's own source for the tests that check which module may import which. */
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';

export const ROOT = path.resolve(import.meta.dirname, '../..');

/** Repo-relative paths (with `/`) of the .ts/.mts/.js/.mjs files under `dir`. */
export function sourceFiles(dir: string): string[] {
  return readdirSync(path.join(ROOT, dir), { withFileTypes: true, recursive: true })
    .filter((e) => e.isFile() && /\.(ts|mts|js|mjs)$/.test(e.name))
    .map((e) => path.relative(ROOT, path.join(e.parentPath, e.name)).split(path.sep).join('/'));
}

/** Every import specifier of `file`: static (type-only included), re-exports, dynamic with a literal. */
export function importSpecifiers(file: string): string[] {
  const src = readFileSync(path.join(ROOT, file), 'utf8');
  return [...src.matchAll(/(?:\bfrom\s+|\bimport\s*\(\s*|\bimport\s+)['"]([^'"]+)['"]/g)].map((m) => m[1]!);
}

export const isRelative = (specifier: string) => specifier.startsWith('.');

/** The repo-relative path a relative specifier of `file` names. */
export const resolvedFrom = (file: string, specifier: string) =>
  path
    .relative(ROOT, path.resolve(ROOT, path.dirname(file), specifier))
    .split(path.sep)
    .join('/');
