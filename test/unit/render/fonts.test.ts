/**
 * The shipped fonts: coverage data matches the font files (read with fontkit, a maintained font
 * library), every file reaches the Lambda bundles, and the WOFF unwrapping keeps the glyphs.
 * `UPDATE_FONT_COVERAGE=1 npx vitest run test/unit/render/fonts.test.ts` rewrites
 * functions/adapters/render/fonts/coverage.json after a font package changed.
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import * as fontkit from 'fontkit';
import { describe, expect, it } from 'vitest';
import {
  FONT_SOURCES,
  PACKAGED_FONT_DIRS,
  shippedFonts,
  woffToSfnt,
} from '../../../functions/adapters/render/fonts.js';
import { API_FUNCTIONS, WORKFLOW_FUNCTIONS } from '../../../lib/config/functions.js';
import { PROJECT_ROOT } from '../../../lib/config/handlers.js';

const FONT_DIR = path.join(PROJECT_ROOT, 'functions/adapters/render/fonts');
const COVERAGE = path.join(FONT_DIR, 'coverage.json');

/** The project-relative file behind a source: committed in fonts/, else in its package folder. */
const fileOf = (s: (typeof FONT_SOURCES)[number]) =>
  s.pkg ? path.join(PROJECT_ROOT, 'node_modules', s.pkg.name, s.pkg.dir, s.file) : path.join(FONT_DIR, s.file);

function ranges(cps: number[]): Array<[number, number]> {
  const sorted = [...new Set(cps)].sort((a, b) => a - b);
  const out: Array<[number, number]> = [];
  for (const cp of sorted) {
    const last = out[out.length - 1];
    if (last && cp === last[1] + 1) last[1] = cp;
    else out.push([cp, cp]);
  }
  return out;
}

describe('shipped fonts', () => {
  it('coverage.json lists exactly the code points of each font file', () => {
    const actual: Record<string, Array<[number, number]>> = {};
    for (const s of FONT_SOURCES) actual[s.file] ??= ranges(fontkit.openSync(fileOf(s)).characterSet);
    if (process.env.UPDATE_FONT_COVERAGE === '1') writeFileSync(COVERAGE, `${JSON.stringify(actual)}\n`);
    expect(JSON.parse(readFileSync(COVERAGE, 'utf8'))).toEqual(actual);
  });

  it('every rendering function bundle copies every font file into fonts/', () => {
    const rendering = [...Object.values(API_FUNCTIONS), ...Object.values(WORKFLOW_FUNCTIONS)].filter(
      (f) => f.sharp === 'renders',
    );
    expect(rendering.length).toBeGreaterThan(1);
    for (const fn of rendering) {
      const dirs = (fn.copyDirs ?? []).filter((d) => d.to === 'fonts').map((d) => path.join(PROJECT_ROOT, d.from));
      for (const s of FONT_SOURCES)
        expect(
          dirs.some((d) => existsSync(path.join(d, s.file))),
          s.file,
        ).toBe(true);
      expect(dirs.some((d) => existsSync(path.join(d, 'coverage.json')))).toBe(true);
    }
    expect(PACKAGED_FONT_DIRS.every((d) => existsSync(path.join(PROJECT_ROOT, d)))).toBe(true);
  });

  it('unwraps the colour emoji WOFF into a TrueType file with the same glyph map, minus the SVG copies', () => {
    const emoji = FONT_SOURCES.find((s) => s.woffTo)!;
    const woff = readFileSync(fileOf(emoji));
    const ttf = woffToSfnt(woff, ['SVG ']);
    expect(ttf.readUInt32BE(0)).toBe(0x00010000);
    const a = fontkit.create(woff);
    const b = fontkit.create(ttf);
    expect(b.familyName).toBe('Noto Color Emoji');
    expect(b.characterSet.length).toBe(a.characterSet.length);
    expect(b.hasGlyphForCodePoint(0x1f342)).toBe(true);
    expect(ttf.length).toBeLessThan(woff.length);
    expect(() => woffToSfnt(Buffer.alloc(64))).toThrow(/not a WOFF/);
  });

  it('knows which faces draw which scripts', () => {
    const fonts = shippedFonts();
    const by = (family: string) => fonts.find((f) => f.family === family)!;
    expect(fonts.filter((f) => f.role === 'primary').map((f) => f.pangoName)).toEqual(['Inter Bold', 'Inter']);
    expect(by('Inter').covers('Ж'.codePointAt(0)!) && by('Inter').covers('λ'.codePointAt(0)!)).toBe(true);
    expect(by('Inter').covers('م'.codePointAt(0)!)).toBe(false);
    expect(by('Noto Sans Arabic').covers('م'.codePointAt(0)!)).toBe(true);
    expect(by('Noto Sans SC').covers('咖'.codePointAt(0)!)).toBe(true);
    expect(by('Noto Color Emoji').covers(0x1f342)).toBe(true);
    expect(fonts.some((f) => f.covers(0x10fffd))).toBe(false);
  });
});
