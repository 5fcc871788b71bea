/**
 * The fonts the renderer ships and the fontconfig setup that makes Pango find them (and nothing
 * else), the same way on a laptop and in Lambda.
 *
 * Faces (all SIL OFL 1.1, see fonts/OFL.txt and each package's licence):
 * - Inter Regular/Bold: the brand-selectable family (committed in fonts/).
 * - Fallbacks for what Inter lacks, in this order: Noto Sans Arabic (Regular/Bold), Noto Sans SC
 *   (Regular; fontconfig emboldens it for bold text, which saves a 10 MB file), Noto Color Emoji.
 *   They come from npm packages (@expo-google-fonts/noto-sans-arabic, @expo-google-fonts/noto-sans-sc,
 *   @fontsource/noto-color-emoji) instead of being committed. Inter covers Latin, Greek and Cyrillic.
 *
 * Bundling: a Lambda bundle copies every font file flat into `<bundle dir>/fonts/` (RENDERING in
 * lib/config/functions.ts); files are looked up there first, then in node_modules.
 *
 * Colour emoji: the only npm build of Noto Color Emoji is a WOFF, which the FreeType inside sharp
 * does not open. The WOFF is unwrapped once into a plain TrueType file (zlib per table, see
 * woffToSfnt), without its SVG table: cairo draws the COLRv1 glyphs, so the SVG copies are 20 MB
 * of dead weight.
 *
 * Everything derived (that TTF, symlinks to the other files, fonts.conf, fontconfig's cache) goes
 * into one folder under the OS temp dir (Lambda: /tmp, the only writable path), named by a hash
 * of the inputs. FONTCONFIG_FILE must point there before the process draws its first text:
 * fontconfig reads its configuration once. So this module sets it up when it is imported.
 */
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, renameSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import os from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { inflateSync } from 'node:zlib';
import type { FontFace } from '../../domain/rendering/text-measure.js';
import type { FontWeight } from '../../domain/rendering/types.js';

export interface ShippedFont extends FontFace {
  /** Absolute path of the file fontconfig loads (for the primary faces also passed as `fontfile`). */
  path: string;
  /** Pango family + style, e.g. "Inter Bold"; the size is appended per render. */
  pangoName: string;
  /** True when fontconfig draws this weight by emboldening the regular file. */
  synthetic: boolean;
}

interface Source {
  family: string;
  weight: FontWeight;
  role: FontFace['role'];
  /** File name (also its name in a bundle's fonts/ folder and in coverage.json). */
  file: string;
  /** Folder in an npm package holding the file; absent for the files committed in fonts/. */
  pkg?: { name: string; dir: string };
  /** Drawn by fontconfig's synthetic bold from this (regular) file. */
  synthetic?: boolean;
  /** The file is a WOFF to unwrap into `ttf`. */
  woffTo?: string;
  /** The colour emoji face. */
  emoji?: boolean;
}

/**
 * A fallback face from the @expo-google-fonts packages, whose layout follows from the family and
 * the variant: package `@expo-google-fonts/noto-sans-sc`, folder `400Regular`, file
 * `NotoSansSC_400Regular.ttf`.
 */
function googleFallback(
  family: string,
  weight: FontWeight,
  variant: '400Regular' | '700Bold',
  more: Pick<Source, 'synthetic'> = {},
): Source {
  const pkg = `@expo-google-fonts/${family.toLowerCase().replaceAll(' ', '-')}`;
  const file = `${family.replaceAll(' ', '')}_${variant}.ttf`;
  return { family, weight, role: 'fallback', file, pkg: { name: pkg, dir: variant }, ...more };
}

/** Fallback order is fontconfig's order: first face that has the character draws it. */
export const FONT_SOURCES: readonly Source[] = [
  { family: 'Inter', weight: 'bold', role: 'primary', file: 'Inter-Bold.ttf' },
  { family: 'Inter', weight: 'regular', role: 'primary', file: 'Inter-Regular.ttf' },
  googleFallback('Noto Sans Arabic', 'bold', '700Bold'),
  googleFallback('Noto Sans Arabic', 'regular', '400Regular'),
  googleFallback('Noto Sans SC', 'regular', '400Regular'),
  googleFallback('Noto Sans SC', 'bold', '400Regular', { synthetic: true }),
  {
    family: 'Noto Color Emoji',
    weight: 'regular',
    role: 'fallback',
    file: 'noto-color-emoji-emoji-400-normal.woff',
    pkg: { name: '@fontsource/noto-color-emoji', dir: 'files' },
    woffTo: 'NotoColorEmoji.ttf',
    emoji: true,
  },
];

/** Project folders holding the packaged font files: what a rendering bundle must copy into fonts/. */
export const PACKAGED_FONT_DIRS: readonly string[] = [
  ...new Set(FONT_SOURCES.filter((s) => s.pkg).map((s) => `node_modules/${s.pkg!.name}/${s.pkg!.dir}`)),
];

const CONF_VERSION = 1;
const resolver = createRequire(import.meta.url);
let fontDir = fileURLToPath(new URL('./fonts/', import.meta.url));
let loaded: ShippedFont[] | null = null;
let setupDir: string | null = null;

/** Root of an installed package (found on the resolution paths, so `exports` maps do not matter). */
function packageRoot(name: string): string | null {
  for (const base of resolver.resolve.paths(name) ?? []) {
    const dir = join(base, name);
    if (existsSync(join(dir, 'package.json'))) return dir;
  }
  return null;
}

/** Where a source's file is: next to the bundle (fonts/), else in its package. */
function locate(s: Source): string {
  const bundled = join(fontDir, s.file);
  if (existsSync(bundled)) return bundled;
  const root = s.pkg ? packageRoot(s.pkg.name) : null;
  const inPkg = root ? join(root, s.pkg!.dir, s.file) : null;
  if (inPkg && existsSync(inPkg)) return inPkg;
  throw new Error(`font file ${s.file} not found in ${fontDir}${s.pkg ? ` nor in the ${s.pkg.name} package` : ''}`);
}

/**
 * Unwraps a WOFF 1.0 file (W3C WOFF spec: a header, a table directory, each table zlib-compressed
 * when that made it smaller) into the TrueType/OpenType file it wraps, leaving out `drop` tables.
 */
export function woffToSfnt(woff: Buffer, drop: readonly string[] = []): Buffer {
  if (woff.length < 44 || woff.readUInt32BE(0) !== 0x774f4646) throw new Error('not a WOFF 1.0 file');
  const flavor = woff.readUInt32BE(4);
  const count = woff.readUInt16BE(12);
  const tables: Array<{ tag: string; checksum: number; data: Buffer }> = [];
  for (let i = 0; i < count; i++) {
    const e = 44 + 20 * i;
    const tag = woff.toString('latin1', e, e + 4);
    if (drop.includes(tag)) continue;
    const offset = woff.readUInt32BE(e + 4);
    const compLength = woff.readUInt32BE(e + 8);
    const origLength = woff.readUInt32BE(e + 12);
    const raw = woff.subarray(offset, offset + compLength);
    const data = compLength < origLength ? inflateSync(raw) : Buffer.from(raw);
    if (data.length !== origLength)
      throw new Error(`WOFF table ${tag} has ${data.length} bytes, expected ${origLength}`);
    tables.push({ tag, checksum: woff.readUInt32BE(e + 16), data });
  }
  tables.sort((a, b) => (a.tag < b.tag ? -1 : a.tag > b.tag ? 1 : 0));
  const n = tables.length;
  const pow = 2 ** Math.floor(Math.log2(n));
  const header = Buffer.alloc(12 + 16 * n);
  header.writeUInt32BE(flavor, 0);
  header.writeUInt16BE(n, 4);
  header.writeUInt16BE(pow * 16, 6);
  header.writeUInt16BE(Math.log2(pow), 8);
  header.writeUInt16BE(n * 16 - pow * 16, 10);
  const parts: Buffer[] = [header];
  let offset = header.length;
  tables.forEach((t, i) => {
    const r = 12 + 16 * i;
    header.write(t.tag, r, 4, 'latin1');
    header.writeUInt32BE(t.checksum, r + 4);
    header.writeUInt32BE(offset, r + 8);
    header.writeUInt32BE(t.data.length, r + 12);
    const padded = (t.data.length + 3) & ~3;
    parts.push(t.data, Buffer.alloc(padded - t.data.length));
    offset += padded;
  });
  return Buffer.concat(parts);
}

const xml = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

/**
 * Only our folder; grayscale antialiasing without hinting (text is baked into images: no subpixel
 * colour fringes, no hinting differences); brand families prefer the fallbacks in our order; bold
 * from a regular-only family is emboldened (fontconfig's usual synthetic rule).
 */
function fontsConf(dir: string, cache: string, primaries: string[], fallbacks: string[]): string {
  const prefer = (family: string) => {
    const order = [family, ...fallbacks].map((f) => `<family>${xml(f)}</family>`).join('');
    return `  <alias binding="strong"><family>${xml(family)}</family><prefer>${order}</prefer></alias>`;
  };
  return `<?xml version="1.0"?>
<!DOCTYPE fontconfig SYSTEM "urn:fontconfig:fonts.dtd">
<!-- Generated by the renderer (functions/adapters/render/fonts.ts); do not edit. -->
<fontconfig>
  <dir>${xml(dir)}</dir>
  <cachedir>${xml(cache)}</cachedir>
${primaries.map(prefer).join('\n')}
  <match target="font">
    <edit name="antialias" mode="assign"><bool>true</bool></edit>
    <edit name="hinting" mode="assign"><bool>false</bool></edit>
    <edit name="hintstyle" mode="assign"><const>hintnone</const></edit>
    <edit name="rgba" mode="assign"><const>none</const></edit>
    <edit name="lcdfilter" mode="assign"><const>lcdnone</const></edit>
  </match>
  <match target="font">
    <test name="weight" compare="less_eq"><const>medium</const></test>
    <test target="pattern" name="weight" compare="more_eq"><const>bold</const></test>
    <edit name="embolden" mode="assign"><bool>true</bool></edit>
    <edit name="weight" mode="assign"><const>bold</const></edit>
  </match>
</fontconfig>
`;
}

/** Writes `data` to `path` unless it already holds exactly that; atomic against parallel processes. */
function writeOnce(path: string, data: Buffer | string): void {
  const bytes = Buffer.isBuffer(data) ? data : Buffer.from(data);
  if (existsSync(path) && statSync(path).size === bytes.length && readFileSync(path).equals(bytes)) return;
  const tmp = `${path}.${process.pid}.${Date.now()}.tmp`;
  writeFileSync(tmp, bytes);
  renameSync(tmp, path);
}

function linkOnce(target: string, path: string): void {
  try {
    if (existsSync(path) && statSync(path).size === statSync(target).size) return;
    const tmp = `${path}.${process.pid}.tmp`;
    rmSync(tmp, { force: true });
    symlinkSync(target, tmp);
    renameSync(tmp, path);
  } catch {
    writeOnce(path, readFileSync(target));
  }
}

/**
 * Prepares the font folder and fontconfig configuration (idempotent, synchronous) and points
 * FONTCONFIG_FILE at it, unless the environment chose a configuration of its own.
 */
export function ensureFonts(): string {
  if (setupDir) return setupDir;
  const files = new Map<string, { source: Source; path: string }>();
  for (const s of FONT_SOURCES) if (!files.has(s.file)) files.set(s.file, { source: s, path: locate(s) });
  const key = createHash('sha256')
    .update(JSON.stringify([CONF_VERSION, [...files].map(([f, { path }]) => [f, statSync(path).size])]))
    .digest('hex')
    .slice(0, 16);
  const root = join(os.tmpdir(), `svp-fonts-${key}`);
  const dir = join(root, 'fonts');
  mkdirSync(dir, { recursive: true });
  for (const [file, { source, path }] of files) {
    if (source.woffTo) {
      const out = join(dir, source.woffTo);
      if (!existsSync(out)) writeOnce(out, woffToSfnt(readFileSync(path), ['SVG ']));
    } else linkOnce(path, join(dir, file));
  }
  const primaries = [...new Set(FONT_SOURCES.filter((s) => s.role === 'primary').map((s) => s.family))];
  const fallbacks = [...new Set(FONT_SOURCES.filter((s) => s.role === 'fallback').map((s) => s.family))];
  const conf = join(root, 'fonts.conf');
  writeOnce(conf, fontsConf(dir, join(root, 'cache'), primaries, fallbacks));
  const chosen = process.env.FONTCONFIG_FILE;
  if (!process.env.FONTCONFIG_PATH && (!chosen || /svp-fonts-[0-9a-f]+[\\/]fonts\.conf$/.test(chosen)))
    process.env.FONTCONFIG_FILE = conf;
  setupDir = root;
  return root;
}

/** Points the renderer at another fonts folder (e.g. a Lambda bundle layout). */
export function configureFonts(opts: { dir: string }): void {
  fontDir = opts.dir;
  loaded = null;
  setupDir = null;
}

/** Sorted, merged [first, last] code point ranges per font file (fonts/coverage.json). */
type CoverageFile = Record<string, Array<[number, number]>>;

function coverageOf(ranges: ReadonlyArray<readonly [number, number]>): (cp: number) => boolean {
  return (cp) => {
    let lo = 0;
    let hi = ranges.length - 1;
    while (lo <= hi) {
      const mid = (lo + hi) >> 1;
      const [a, b] = ranges[mid];
      if (cp < a) hi = mid - 1;
      else if (cp > b) lo = mid + 1;
      else return true;
    }
    return false;
  };
}

/** Reads fonts/coverage.json: which code points each shipped file has a glyph for. */
export function fontCoverage(): CoverageFile {
  return JSON.parse(readFileSync(join(fontDir, 'coverage.json'), 'utf8')) as CoverageFile;
}

/** The shipped faces (primaries first, then fallbacks in fallback order), set up once. */
export function shippedFonts(): ShippedFont[] {
  if (loaded) return loaded;
  const root = ensureFonts();
  const cov = fontCoverage();
  loaded = FONT_SOURCES.map((s) => {
    const ranges = cov[s.file];
    if (!ranges)
      throw new Error(
        `fonts/coverage.json has no entry for ${s.file}: regenerate it (see test/unit/render/fonts.test.ts)`,
      );
    const path = s.woffTo ? join(root, 'fonts', s.woffTo) : locate(s);
    return {
      family: s.family,
      weight: s.weight,
      role: s.role,
      path,
      synthetic: !!s.synthetic,
      pangoName: s.weight === 'bold' ? `${s.family} Bold` : s.family,
      covers: coverageOf(ranges),
      ...(s.emoji ? { emoji: true } : {}),
    };
  });
  return loaded;
}

// Before anything in this process draws text (the seed's logos, a preview): see the header. A
// missing file is reported by shippedFonts() at the first render, not when a bundle loads.
try {
  ensureFonts();
} catch {
  /* reported on first use */
}
