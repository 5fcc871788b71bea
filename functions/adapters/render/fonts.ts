/**
 * The fonts the renderer ships (Inter, SIL OFL 1.1 — see fonts/OFL.txt). Sharp draws text through
 * Pango/fontconfig; passing `fontfile` registers our TTF, so no system font is ever needed.
 *
 * Bundling: the .ttf files and fonts.conf live next to this module in `fonts/`. A Lambda bundle
 * must copy that folder next to the bundled entry file (`<bundle dir>/fonts/`), because the path is
 * resolved from import.meta.url; `configureFonts({ dir })` overrides it.
 */
import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { join } from 'node:path';
import { parseFontMetrics } from '../../domain/rendering/font-metrics.js';
import type { FontFace } from '../../domain/rendering/plan.js';
import type { FontWeight } from '../../domain/rendering/types.js';

export interface ShippedFont extends FontFace {
  /** Absolute path of the .ttf, passed to sharp as `fontfile`. */
  path: string;
  /** Pango family + style, e.g. "Inter Bold"; the size is appended per render. */
  pangoName: string;
}

const FILES: ReadonlyArray<{ family: string; weight: FontWeight; file: string }> = [
  { family: 'Inter', weight: 'bold', file: 'Inter-Bold.ttf' },
  { family: 'Inter', weight: 'regular', file: 'Inter-Regular.ttf' },
];

let fontDir = fileURLToPath(new URL('./fonts/', import.meta.url));
let loaded: ShippedFont[] | null = null;

/** Points the renderer at another fonts folder (e.g. a Lambda bundle layout). */
export function configureFonts(opts: { dir: string }): void {
  fontDir = opts.dir;
  loaded = null;
}

/**
 * Points fontconfig at the config shipped with the fonts (fonts/fonts.conf: only our fonts, no
 * hinting, grayscale antialiasing, cache in /tmp), unless the environment already chose one.
 * Lambda has no /etc/fonts at all, and using the same config everywhere keeps text pixels the same
 * on a laptop and in Lambda. Must run before the first text render: fontconfig reads these
 * variables once per process.
 */
function ensureFontconfig(dir: string): void {
  if (process.env.FONTCONFIG_FILE || process.env.FONTCONFIG_PATH) return;
  const conf = join(dir, 'fonts.conf');
  if (existsSync(conf)) process.env.FONTCONFIG_FILE = conf;
}

/** Loads (once) the shipped faces with their metrics; bold first, so it is the default face. */
export function shippedFonts(): ShippedFont[] {
  if (loaded) return loaded;
  ensureFontconfig(fontDir);
  loaded = FILES.map(({ family, weight, file }) => {
    const path = join(fontDir, file);
    const metrics = parseFontMetrics(readFileSync(path));
    return { family, weight, metrics, path, pangoName: weight === 'bold' ? `${family} Bold` : family };
  });
  return loaded;
}
