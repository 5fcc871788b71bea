/**
 * Horizontal metrics read straight from a TrueType/OpenType file, so the render plan can wrap and
 * fit text without asking the rasteriser. Widths are the sum of advance widths without kerning:
 * Inter's kerning almost only tightens pairs, so the estimate is a safe upper bound of what Pango
 * draws (the renderer still checks the real ink box and shrinks if ever needed).
 */
export interface FontMetrics {
  /** Family name from the font's name table (e.g. "Inter"). */
  family: string;
  /** Subfamily/style from the name table (e.g. "Bold"). */
  style: string;
  unitsPerEm: number;
  ascender: number;
  descender: number;
  lineGap: number;
  capHeight: number;
  /** Advance width (font units) of a code point; the .notdef advance when the font lacks it. */
  advance(codePoint: number): number;
  /** True when the font has a glyph for the code point. */
  has(codePoint: number): boolean;
}

export class FontParseError extends Error {}

interface TableRec { offset: number; length: number }

export function parseFontMetrics(bytes: Uint8Array): FontMetrics {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const need = (off: number, len: number) => {
    if (off < 0 || off + len > bytes.byteLength) throw new FontParseError('font file is truncated');
  };
  need(0, 12);
  const sfnt = view.getUint32(0);
  if (sfnt !== 0x00010000 && sfnt !== 0x4f54544f /* OTTO */ && sfnt !== 0x74727565 /* true */) {
    throw new FontParseError('not a TrueType/OpenType font');
  }
  const numTables = view.getUint16(4);
  const tables = new Map<string, TableRec>();
  for (let i = 0; i < numTables; i++) {
    const rec = 12 + 16 * i;
    need(rec, 16);
    const tag = String.fromCharCode(bytes[rec], bytes[rec + 1], bytes[rec + 2], bytes[rec + 3]);
    tables.set(tag, { offset: view.getUint32(rec + 8), length: view.getUint32(rec + 12) });
  }
  const table = (tag: string): TableRec => {
    const t = tables.get(tag);
    if (!t) throw new FontParseError(`font has no ${tag} table`);
    need(t.offset, t.length);
    return t;
  };

  const head = table('head');
  const unitsPerEm = view.getUint16(head.offset + 18);
  const hhea = table('hhea');
  let ascender = view.getInt16(hhea.offset + 4);
  let descender = view.getInt16(hhea.offset + 6);
  let lineGap = view.getInt16(hhea.offset + 8);
  const numberOfHMetrics = view.getUint16(hhea.offset + 34);
  let capHeight = Math.round(ascender * 0.7);
  const os2 = tables.get('OS/2');
  if (os2) {
    need(os2.offset, Math.min(os2.length, 90));
    const version = view.getUint16(os2.offset);
    const fsSelection = view.getUint16(os2.offset + 62);
    // USE_TYPO_METRICS (bit 7): Pango/FreeType then use the typo metrics for line height.
    if (fsSelection & 0x80) {
      ascender = view.getInt16(os2.offset + 68);
      descender = view.getInt16(os2.offset + 70);
      lineGap = view.getInt16(os2.offset + 72);
    }
    if (version >= 2 && os2.length >= 90) capHeight = view.getInt16(os2.offset + 88);
  }

  const hmtx = table('hmtx');
  const advances = new Uint16Array(numberOfHMetrics);
  for (let i = 0; i < numberOfHMetrics; i++) advances[i] = view.getUint16(hmtx.offset + 4 * i);
  const glyphAdvance = (gid: number) => advances[Math.min(gid, numberOfHMetrics - 1)];

  const cmap = parseCmap(view, table('cmap'));
  const { family, style } = parseNames(view, tables.get('name'));
  const cache = new Map<number, number>();

  return {
    family, style, unitsPerEm, ascender, descender, lineGap, capHeight,
    has: (cp) => (cmap.get(cp) ?? 0) !== 0,
    advance(cp) {
      let a = cache.get(cp);
      if (a === undefined) {
        a = glyphAdvance(cmap.get(cp) ?? 0);
        cache.set(cp, a);
      }
      return a;
    },
  };
}

/** Reads the Unicode cmap subtable (format 12 preferred, else format 4) into a code point -> glyph map. */
function parseCmap(view: DataView, t: TableRec): Map<number, number> {
  const n = view.getUint16(t.offset + 2);
  let best: { offset: number; format: number } | null = null;
  for (let i = 0; i < n; i++) {
    const rec = t.offset + 4 + 8 * i;
    const platform = view.getUint16(rec);
    const encoding = view.getUint16(rec + 2);
    const offset = t.offset + view.getUint32(rec + 4);
    const format = view.getUint16(offset);
    const unicode = platform === 0 || (platform === 3 && (encoding === 1 || encoding === 10));
    if (!unicode || (format !== 4 && format !== 12)) continue;
    if (!best || (format === 12 && best.format !== 12)) best = { offset, format };
  }
  if (!best) throw new FontParseError('font has no Unicode cmap');
  const map = new Map<number, number>();
  const o = best.offset;
  if (best.format === 12) {
    const groups = view.getUint32(o + 12);
    for (let g = 0; g < groups; g++) {
      const r = o + 16 + 12 * g;
      const start = view.getUint32(r);
      const end = view.getUint32(r + 4);
      const gid = view.getUint32(r + 8);
      for (let cp = start; cp <= end && cp - start < 0x10000; cp++) map.set(cp, gid + (cp - start));
    }
    return map;
  }
  const segX2 = view.getUint16(o + 6);
  const ends = o + 14;
  const starts = ends + segX2 + 2;
  const deltas = starts + segX2;
  const rangeOffsets = deltas + segX2;
  for (let s = 0; s < segX2 / 2; s++) {
    const end = view.getUint16(ends + 2 * s);
    const start = view.getUint16(starts + 2 * s);
    const delta = view.getInt16(deltas + 2 * s);
    const ro = view.getUint16(rangeOffsets + 2 * s);
    for (let cp = start; cp <= end && cp !== 0xffff; cp++) {
      let gid: number;
      if (ro === 0) gid = (cp + delta) & 0xffff;
      else {
        const addr = rangeOffsets + 2 * s + ro + 2 * (cp - start);
        gid = view.getUint16(addr);
        if (gid !== 0) gid = (gid + delta) & 0xffff;
      }
      if (gid !== 0) map.set(cp, gid);
    }
  }
  return map;
}

function parseNames(view: DataView, t: TableRec | undefined): { family: string; style: string } {
  const out = { family: '', style: '' };
  if (!t) return out;
  const count = view.getUint16(t.offset + 2);
  const strings = t.offset + view.getUint16(t.offset + 4);
  const found = new Map<number, string>();
  for (let i = 0; i < count; i++) {
    const r = t.offset + 6 + 12 * i;
    const platform = view.getUint16(r);
    const nameId = view.getUint16(r + 6);
    if (platform !== 3 || ![1, 2, 16, 17].includes(nameId) || found.has(nameId)) continue;
    const len = view.getUint16(r + 8);
    const off = strings + view.getUint16(r + 10);
    let s = '';
    for (let k = 0; k + 1 < len; k += 2) s += String.fromCharCode(view.getUint16(off + k));
    found.set(nameId, s);
  }
  out.family = found.get(16) ?? found.get(1) ?? '';
  out.style = found.get(17) ?? found.get(2) ?? '';
  return out;
}

/** Width in px of a single line of text at `sizePx`. */
export function measureText(m: FontMetrics, text: string, sizePx: number): number {
  let units = 0;
  for (const ch of text) units += m.advance(ch.codePointAt(0)!);
  return (units * sizePx) / m.unitsPerEm;
}

/** Distance in px between baselines of consecutive lines as Pango lays them out (no extra spacing). */
export function lineHeightPx(m: FontMetrics, sizePx: number): number {
  return Math.ceil(((m.ascender - m.descender + m.lineGap) * sizePx) / m.unitsPerEm);
}

/** Code points in `text` the font cannot draw (rendered by a fallback font or as boxes). */
export function missingGlyphs(m: FontMetrics, text: string): string[] {
  const missing = new Set<string>();
  for (const ch of text) {
    const cp = ch.codePointAt(0)!;
    if (cp > 0x20 && !m.has(cp)) missing.add(ch);
  }
  return [...missing];
}
