/**
 * What the emulator has to offer, deterministically: a stock catalog per search term (ids encode
 * the term's hash and the item's index, so detail and download need no state beyond the term's
 * text), the colours each topic's photos come in, every item's size and preview, and the themes
 * AI images are drawn from. Stock results vary like real ones: mostly in the query's colours,
 * some off-palette or neutral, some too small for a large format, in every orientation.
 */
import {
  MYSTIC_ASPECT_RATIOS,
  type MysticAspectRatio,
  type MysticResolution,
  TEXT_TO_IMAGE_SIZES,
} from '../../../functions/domain/sourcing-plan.js';
import { hash32, hslHex, paletteTheme, renderThemedImage } from './images.js';

/** The contract's orientation filter names -> the orientation items carry. */
export const ORIENTATION_FILTER: Record<string, string> = {
  landscape: 'horizontal',
  portrait: 'vertical',
  square: 'square',
  panoramic: 'panoramic',
};
// Pixel sizes per text-to-image size and Mystic aspect ratio/resolution, as the API returns them.
export const AI_SIZES: Record<string, { width: number; height: number }> = TEXT_TO_IMAGE_SIZES;
export const MYSTIC_MODELS = ['realism', 'fluid', 'zen', 'flexible', 'super_real', 'editorial_portraits'];
export const MYSTIC_RESOLUTION_NAMES = ['1k', '2k', '4k'];
export const isMysticAspectRatio = (a: unknown): a is MysticAspectRatio => (a as PropertyKey) in MYSTIC_ASPECT_RATIOS;
export const isMysticResolution = (r: unknown): r is MysticResolution =>
  typeof r === 'string' && MYSTIC_RESOLUTION_NAMES.includes(r);
/** Longest side of a search hit's preview, as Freepik's CDN serves them. */
export const PREVIEW_LONG_SIDE = 740;

/**
 * The colours a search term's photos come in: a topic's hues when a keyword names one, else hues
 * from the term's hash. Saturation and lightness say how the topic looks (coffee: dark, muted).
 */
const TOPICS: ReadonlyArray<{ words: RegExp; hues: number[]; s: number; l: number }> = [
  {
    words:
      /coffee|espresso|latte|cafe|café|roast|barista|mocha|cappuccino|beans?\b|chocolate|bakery|bread|croissant|cookie|cocoa/,
    hues: [22, 28, 16],
    s: 42,
    l: 34,
  },
  {
    words:
      /gym|fitness|workout|runn?(er|ing)?\b|sport|athlete|yoga|training|sneaker|cycling|bike|energy|dumbbell|stretch/,
    hues: [222, 16, 76],
    s: 88,
    l: 50,
  },
  {
    words: /ocean|sea\b|beach|water|sky|surf|swim|lake|river|ice\b|winter|snow|blue/,
    hues: [205, 195, 215],
    s: 62,
    l: 50,
  },
  {
    words: /forest|tree|leaf|leaves|plant|garden|green|nature|park|salad|vegan|herb|tea\b|matcha|avocado/,
    hues: [112, 95, 130],
    s: 45,
    l: 38,
  },
  { words: /sunset|autumn|fall\b|orange|fire|flame|pumpkin|desert|sand|terracotta/, hues: [24, 14, 36], s: 78, l: 52 },
  { words: /flower|rose|pink|love|valentine|berry|berries|wine|cherry|strawberr/, hues: [345, 335, 355], s: 62, l: 50 },
  { words: /city|street|urban|night|office|tech|laptop|building|skyline|desk/, hues: [225, 210, 240], s: 22, l: 32 },
  { words: /lemon|yellow|banana|summer|sun\b|honey|citrus/, hues: [50, 44, 58], s: 85, l: 56 },
];

function topicOf(term: string): { hues: number[]; s: number; l: number } {
  const t = term.toLowerCase();
  const hit = TOPICS.find((x) => x.words.test(t));
  if (hit) return hit;
  const h = hash32(`hue:${t}`) % 360;
  return { hues: [h, (h + 20) % 360, (h + 340) % 360], s: 60, l: 48 };
}

export interface StockDef {
  id: number;
  termHash: number;
  index: number;
  term: string;
  orientation: string;
  type: string;
  license: 'freemium' | 'premium';
  width: number;
  height: number;
  /** How its colours relate to the term: in the topic's colours, off them, or mostly grey. */
  tone: 'on' | 'off' | 'neutral';
  colors: string[];
}

export interface StockCatalog {
  /** Every item a search for `term` can return (before filters), in relevance order. */
  itemsFor(term: string): StockDef[];
  /** The item behind an id, or undefined when no search could have returned it. */
  item(id: number): StockDef | undefined;
}

const termHashOf = (term: string) => 100_000 + (hash32(term.trim().toLowerCase()) % 900_000);
const totalFor = (termHash: number) => 20 + (termHash % 80);

export function createStockCatalog(): StockCatalog {
  // The term's text by its hash, so a later detail or download shows the words searched for.
  const terms = new Map<number, string>();
  const item = (id: number) => stockDef(id, terms);
  return {
    itemsFor(term) {
      const th = termHashOf(term);
      terms.set(th, term.trim() || 'popular');
      return Array.from({ length: totalFor(th) }, (_, i) => item(th * 1000 + i)!);
    },
    item,
  };
}

const BASE_SIZES: Record<string, [number, number]> = {
  horizontal: [6000, 4000],
  vertical: [4000, 6000],
  square: [5000, 5000],
  panoramic: [8000, 2667],
};

function stockDef(id: number, terms: ReadonlyMap<number, string>): StockDef | undefined {
  if (!Number.isInteger(id) || id < 100_000_000 || id > 999_999_999) return undefined;
  const termHash = Math.floor(id / 1000);
  const index = id % 1000;
  if (index >= totalFor(termHash)) return undefined;
  const k = (index + termHash) % 5;
  const orientation =
    index % 13 === 12 ? 'panoramic' : ['horizontal', 'vertical', 'square', 'horizontal', 'vertical'][k];
  let [width, height] = BASE_SIZES[orientation];
  // One in five originals is small (an old upload, a thumbnail-sized photo): too small for a
  // large format, which only the resource detail's dimensions reveal (previews all look alike).
  const roll = (salt: string) => hash32(`${termHash}:${index}:${salt}`) % 100;
  if (roll('size') < 20) {
    const long = [640, 800, 960, 1100][roll('long') % 4];
    const k2 = long / Math.max(width, height);
    [width, height] = [Math.round(width * k2), Math.round(height * k2)];
  }
  const type = index % 11 === 7 ? 'psd' : index % 7 === 5 ? 'vector' : 'photo';
  const license = index % 3 === 2 ? 'premium' : 'freemium';
  const term = terms.get(termHash) ?? `stock ${termHash}`;
  const tone = roll('tone') < 30 ? 'off' : roll('tone') < 40 ? 'neutral' : 'on';
  const colors = stockColors(term, tone, roll('hue'));
  return { id, termHash, index, term, orientation, type, license, width, height, tone, colors };
}

function stockColors(term: string, tone: StockDef['tone'], r: number): string[] {
  const t = topicOf(term);
  const jitter = (r % 11) - 5;
  if (tone === 'neutral')
    return [hslHex(t.hues[0], 6, 86), hslHex(t.hues[0], 5, 62), hslHex(t.hues[0], 8, 35), hslHex(t.hues[1], 30, 50)];
  if (tone === 'off') {
    // The complementary side of the colour wheel, saturated: what a brand check flags.
    const h = t.hues[0] + 150 + (r % 60);
    return [hslHex(h, 75, 52), hslHex(h + 25, 70, 38), hslHex(h - 20, 80, 60), hslHex(h + 10, 65, 45)];
  }
  return [
    hslHex(t.hues[0] + jitter, t.s, t.l),
    hslHex(t.hues[1] + jitter, t.s - 5, t.l + 22),
    hslHex(t.hues[2] + jitter, t.s + 10, t.l - 10),
    hslHex(t.hues[0] + jitter, t.s - 15, Math.min(92, t.l + 45)),
  ];
}

/** The image theme of a stock item: its file and its preview look alike. */
export const stockTheme = (d: StockDef) => paletteTheme(d.colors, d.id % 1_000_000);
export const stockTitle = (d: StockDef) => `${d.term} ${d.index + 1}`;
export const stockPageUrl = (d: StockDef) => `https://www.freepik.com/free-photo/${slug(stockTitle(d))}_${d.id}.htm`;
export const stockLicenseUrl = (d: StockDef) => `https://www.freepik.com/profile/license/pdf/${d.id}`;

export const slug = (s: string) =>
  s
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-|-$/g, '') || 'image';

/** Scales (w, h) so the longer side is `long` (never up). */
export function scaled(w: number, h: number, long: number): [number, number] {
  const k = Math.min(1, long / Math.max(w, h));
  return [Math.max(1, Math.round(w * k)), Math.max(1, Math.round(h * k))];
}

export const previewSize = (d: StockDef) => scaled(d.width, d.height, PREVIEW_LONG_SIDE);

export function renderPreview(d: StockDef): Promise<Buffer> {
  const [w, h] = previewSize(d);
  return renderThemedImage(stockTheme(d), w, h);
}

/**
 * Longest side of a download for `image_size` (contract: small, medium, large, original or
 * 100px..2000px; originals capped at 3000 px to keep files small); undefined when invalid.
 */
export function downloadLongSide(d: StockDef, size: string | null): number | undefined {
  if (size === null || size === 'original') return Math.min(3000, Math.max(d.width, d.height));
  if (size === 'small') return 1000;
  if (size === 'medium') return 1500;
  if (size === 'large') return 2000;
  const px = /^\d+px$/.test(size) ? Number(size.slice(0, -2)) : Number.NaN;
  return px >= 100 && px <= 2000 ? px : undefined;
}

/** Theme of a text-to-image result: the asked-for colours when given, else the prompt's hash. */
export const textToImageTheme = (prompt: string, seed: number, i: number, colors: string[] | undefined) =>
  colors ? paletteTheme(colors, seed + i) : `ai:${prompt}:${seed}:${i}`;

/** Theme of a Mystic result, stable per task. */
export const mysticTheme = (taskId: string, prompt: string, colors: string[] | undefined) =>
  colors ? paletteTheme(colors, hash32(taskId) % 1_000_000) : `mystic:${prompt}:${taskId}`;
