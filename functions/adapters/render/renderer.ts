/**
 * The sharp renderer: plans and executes a variant. Per variant: the plan, with text measured by
 * Pango (text-measure.ts); smart-crop decision on a small proxy, extract + resize of the
 * full-resolution pixels; brand overlay and plates, adapted until the text is legible
 * (legibility.ts); text (Pango via sharp's `text` input, shipped fonts with fallbacks); logo; then
 * encoding under the platform's size limit. It reports what it actually drew (ink boxes, fonts,
 * crop scale, adjustments) and the pixel measurements the compliance engine needs. No I/O besides
 * CPU: callers store the buffers.
 */
import sharp from 'sharp';
import { AppError } from '../../shared/errors.js';
import {
  brandKitSchema,
  templateLayersSchema,
  type BrandKit,
  type BrandKitInput,
  type Brief,
  type TemplateLayers,
} from '../../domain/brand-types.js';
import {
  PLATFORM_PRESETS,
  contentTypeFor,
  type OutputFormat,
  type PlatformName,
  type PlatformPreset,
} from '../../domain/platforms.js';
import { buildRenderPlan, textBlockOf } from '../../domain/rendering/plan.js';
import { fitText } from '../../domain/rendering/text-layout.js';
import { placeInk } from '../../domain/rendering/text-measure.js';
import type { Box } from '../../domain/rendering/geometry.js';
import type {
  Adjustment,
  PlannedText,
  RenderPlan,
  RenderedLayout,
  RenderedText,
  VariantAnalysis,
} from '../../domain/rendering/types.js';
import { dominantColors, sampleBackground, type RawImage } from './analyze.js';
import { shippedFonts } from './fonts.js';
import { parseInput } from './parse-input.js';
import { decodeImage, encodeUnderLimit, sha256Hex, type DecodedImage } from './image-io.js';
import { composeLegible } from './legibility.js';
import { INPUT_LIMITS, mapPool, sharpSettings } from './sharp-config.js';
import { blendOver, type RgbaLayer } from './blend.js';
import { planMeasured, rasterizeBlock } from './text-measure.js';

/** A logo decoded once (RGBA) and reused for every variant. */
export interface PreparedLogo extends RawImage {
  channels: 4;
}

export interface RenderedVariant {
  platform: string;
  buffer: Buffer;
  width: number;
  height: number;
  format: OutputFormat;
  contentType: string;
  bytes: number;
  /** Lowercase hex SHA-256 of `buffer`. */
  sha256: string;
  /** What was drawn where (feeds checkVariant). */
  layout: RenderedLayout;
  /** Pixel measurements (feeds checkVariant). */
  analysis: VariantAnalysis;
  /** What the renderer changed on its own (layout.adjustments): stored on the variant for reviewers. */
  adjustments: Adjustment[];
}

export interface RenderInput {
  /** Encoded master/source image, or one already decoded with decodeImage(). */
  source: Buffer | DecodedImage;
  /** Template layers (parsed or raw JSON; parsed here). */
  layers: TemplateLayers | unknown;
  /** Brand kit (parsed or a raw brand row; parsed here). */
  brand: BrandKit | BrandKitInput;
  brief: Pick<Brief, 'headline' | 'body' | 'callToAction'>;
  /** Logo image bytes (PNG with alpha preferred) or a prepared logo. */
  logo?: Buffer | PreparedLogo | null;
}

export interface RenderVariantInput extends RenderInput {
  preset: PlatformName | PlatformPreset;
  /** Lets previews/tests adjust the computed plan before drawing (e.g. to try a box). */
  adjustPlan?: (plan: RenderPlan) => RenderPlan;
}

export interface RenderVariantsInput extends RenderInput {
  presets: ReadonlyArray<PlatformName | PlatformPreset>;
  /** Parallel renders (defaults to the configured pool). */
  pool?: number;
}

const toPreset = (p: PlatformName | PlatformPreset): PlatformPreset => {
  const preset = typeof p === 'string' ? PLATFORM_PRESETS[p] : p;
  if (!preset) throw new AppError('validation_failed', `Unknown platform preset: ${String(p)}`);
  return preset;
};

const LOGO_MAX = 1200;

/**
 * Decodes a logo to RGBA, bounded to 1200 px (far above any logo box). SVG logos (brand-owned
 * files, rendered by librsvg without network access) are rasterized at a density that makes them
 * ~1200 px wide instead of their often tiny intrinsic size.
 */
export async function prepareLogo(input: Buffer): Promise<PreparedLogo> {
  try {
    const meta = await sharp(input, INPUT_LIMITS).metadata();
    const density =
      meta.format === 'svg' && meta.width ? Math.min(2400, Math.max(72, (72 * LOGO_MAX) / meta.width)) : undefined;
    const { data, info } = await sharp(input, { ...INPUT_LIMITS, ...(density ? { density } : {}) })
      .rotate()
      .resize({ width: LOGO_MAX, height: LOGO_MAX, fit: 'inside', withoutEnlargement: true })
      .toColourspace('srgb')
      .ensureAlpha()
      .raw()
      .toBuffer({ resolveWithObject: true });
    return { data, width: info.width, height: info.height, channels: 4 };
  } catch (e) {
    throw new AppError('invalid_image', `The logo could not be decoded: ${(e as Error).message}`, { cause: e });
  }
}

const focalPoints = new WeakMap<DecodedImage, Promise<{ x: number; y: number }>>();

/**
 * libvips' attention strategy finds the most salient point (edges, skin tones, saturation) and
 * centres the crop on it, so the point does not depend on the crop size: it is computed once per
 * source on the proxy (one call instead of one per preset) and reused for every preset.
 */
function attentionPoint(src: DecodedImage): Promise<{ x: number; y: number }> {
  let p = focalPoints.get(src);
  if (!p) {
    const { proxy } = src;
    p = sharp(proxy.data, { raw: { width: proxy.width, height: proxy.height, channels: proxy.channels as 3 } })
      .resize(Math.max(1, Math.round(proxy.width / 2)), proxy.height, {
        fit: 'cover',
        position: sharp.strategy.attention,
      })
      .raw()
      .toBuffer({ resolveWithObject: true })
      .then(({ info }) => ({
        x: ((info.attentionX ?? proxy.width / 2) * src.width) / proxy.width,
        y: ((info.attentionY ?? proxy.height / 2) * src.height) / proxy.height,
      }));
    focalPoints.set(src, p);
  }
  return p;
}

/** Crop window in source px for a cover fit of W x H. */
async function cropRegion(src: DecodedImage, W: number, H: number, focus: RenderPlan['image']['focus']): Promise<Box> {
  const scale = Math.max(W / src.width, H / src.height);
  const cw = Math.min(src.width, Math.round(W / scale));
  const ch = Math.min(src.height, Math.round(H / scale));
  const clampX = (x: number) => Math.max(0, Math.min(src.width - cw, Math.round(x)));
  const clampY = (y: number) => Math.max(0, Math.min(src.height - ch, Math.round(y)));
  if (focus === 'center' || (cw === src.width && ch === src.height))
    return { x: clampX((src.width - cw) / 2), y: clampY((src.height - ch) / 2), w: cw, h: ch };
  if (focus === 'attention') {
    const pt = await attentionPoint(src);
    return { x: clampX(pt.x - cw / 2), y: clampY(pt.y - ch / 2), w: cw, h: ch };
  }
  // Entropy keeps the busiest window, which does depend on the window's shape: decided per preset.
  const p = src.proxy.width / src.width;
  const pw = Math.max(1, Math.min(src.proxy.width, Math.round(cw * p)));
  const ph = Math.max(1, Math.min(src.proxy.height, Math.round(ch * p)));
  const { info } = await sharp(src.proxy.data, {
    raw: { width: src.proxy.width, height: src.proxy.height, channels: src.proxy.channels as 3 },
  })
    .resize(pw, ph, { fit: 'cover', position: sharp.strategy.entropy })
    .raw()
    .toBuffer({ resolveWithObject: true });
  return { x: clampX(-(info.cropOffsetLeft ?? 0) / p), y: clampY(-(info.cropOffsetTop ?? 0) / p), w: cw, h: ch };
}

interface DrawnText {
  text: RenderedText;
  layer: (RgbaLayer & { left: number; top: number }) | null;
}

/**
 * Draws one text block. The plan measured this very block, so its ink fits the box; should the
 * rasterizer ever disagree (a font changed under a warm cache), the block is re-fitted one size
 * smaller on fresh measurements rather than drawn outside its box.
 */
async function drawText(t: PlannedText): Promise<DrawnText> {
  let cur = t;
  for (let attempt = 0; attempt < 8; attempt++) {
    if (cur.lines.length === 0) return { text: { ...cur, bbox: null }, layer: null };
    const ink = await rasterizeBlock(textBlockOf(cur), cur.color);
    if (!ink) return { text: { ...cur, bbox: null }, layer: null };
    if ((ink.width <= cur.box.w && ink.height <= cur.box.h) || cur.size <= 8 || attempt === 7) {
      const bbox = placeInk(cur.box, { w: ink.width, h: ink.height }, cur.align);
      return {
        text: { ...cur, bbox },
        layer: { data: ink.data, width: ink.width, height: ink.height, left: bbox.x, top: bbox.y },
      };
    }
    const smaller = Math.max(8, cur.size - Math.max(1, Math.round(cur.size * 0.06)));
    const fonts = shippedFonts();
    const face = fonts.find((f) => f.family === cur.font.family && f.weight === cur.font.weight) ?? fonts[0];
    const block = textBlockOf(cur);
    const refit = await planMeasured((measure) =>
      fitText({
        text: cur.sourceText,
        face,
        measure,
        maxWidth: cur.box.w,
        maxHeight: cur.box.h,
        minSize: Math.min(smaller, 8),
        maxSize: smaller,
        maxLines: Math.max(1, cur.lines.length),
        align: block.align,
        direction: cur.direction,
      }),
    );
    cur = {
      ...cur,
      size: refit.size,
      lines: refit.lines,
      lineHeight: refit.lineHeight,
      truncated: cur.truncated || refit.truncated,
      shrunk: true,
      estimate: placeInk(cur.box, { w: refit.width, h: refit.height }, cur.align),
    };
  }
  /* c8 ignore next */
  throw new AppError('internal', 'text rendering did not converge');
}

interface Prepared {
  src: DecodedImage;
  layers: TemplateLayers;
  brand: BrandKit;
  logo: PreparedLogo | null;
  /** Logo pixels per box size: presets of the same width share one resize. */
  logoSizes: Map<string, Promise<Buffer>>;
}

function logoAt(p: Prepared, box: Box): Promise<Buffer> {
  const key = `${box.w}x${box.h}`;
  let px = p.logoSizes.get(key);
  if (!px) {
    const logo = p.logo as PreparedLogo;
    px = sharp(logo.data, { raw: { width: logo.width, height: logo.height, channels: 4 } })
      .resize(box.w, box.h, { fit: 'contain', background: { r: 0, g: 0, b: 0, alpha: 0 } })
      .raw()
      .toBuffer();
    p.logoSizes.set(key, px);
  }
  return px;
}

async function prepare(input: RenderInput): Promise<Prepared> {
  const layers = parseInput(templateLayersSchema, input.layers, 'The template layers are not valid');
  const brand = parseInput(brandKitSchema, input.brand, 'The brand settings are not valid');
  const [src, logo] = await Promise.all([
    Buffer.isBuffer(input.source) ? decodeImage(input.source) : Promise.resolve(input.source),
    !input.logo
      ? Promise.resolve(null)
      : Buffer.isBuffer(input.logo)
        ? prepareLogo(input.logo)
        : Promise.resolve(input.logo),
  ]);
  return { src, layers, brand, logo, logoSizes: new Map() };
}

async function renderPrepared(
  p: Prepared,
  preset: PlatformPreset,
  brief: RenderInput['brief'],
  adjustPlan?: (plan: RenderPlan) => RenderPlan,
): Promise<RenderedVariant> {
  const fonts = shippedFonts();
  const base0 = await planMeasured((measure) =>
    buildRenderPlan({ preset, layers: p.layers, brand: p.brand, brief, fonts, measure, logo: p.logo }),
  );
  const plan = adjustPlan ? adjustPlan(base0) : base0;
  const W = plan.width;
  const H = plan.height;
  const { src } = p;

  const region = await cropRegion(src, W, H, plan.image.focus);
  const { logo: logoPlan } = plan;
  const [photo, logoPx] = await Promise.all([
    sharp(src.data, { raw: { width: src.width, height: src.height, channels: 3 } })
      .extract({ left: region.x, top: region.y, width: region.w, height: region.h })
      .resize(W, H, { fit: 'fill' })
      .raw()
      .toBuffer(),
    logoPlan && p.logo ? logoAt(p, logoPlan.box) : Promise.resolve(null),
  ]);
  const legible = await composeLegible(
    { data: photo, width: W, height: H, channels: 3 },
    plan.overlay,
    plan.texts,
    p.brand,
  );
  const drawn = await Promise.all(legible.texts.map((t) => drawText(t)));
  const img = legible.img;
  const texts = drawn.map((d) => d.text);
  // Measured before any text is drawn: contrast is about what lies under the letters.
  const textBackgrounds = texts.filter((t) => t.bbox).map((t) => sampleBackground(img, t.bbox as Box, t.slot));
  for (const d of drawn) if (d.layer) blendOver(img, d.layer, d.layer.left, d.layer.top);
  if (logoPlan && logoPx)
    blendOver(img, { data: logoPx, width: logoPlan.box.w, height: logoPlan.box.h }, logoPlan.box.x, logoPlan.box.y);

  const encoded = await encodeUnderLimit(img, plan.output, plan.maxBytes, preset.name);
  const analysis: VariantAnalysis = {
    width: W,
    height: H,
    dominantColors: dominantColors(img),
    textBackgrounds,
  };
  const { output: _o, maxBytes: _m, texts: _t, ...rest } = plan;
  const adjustments = [...plan.adjustments, ...legible.adjustments];
  const placed = texts.filter((t) => t.bbox);
  const layout: RenderedLayout = {
    ...rest,
    overlay: legible.overlay,
    plates: legible.plates,
    adjustments,
    texts,
    fonts: [...new Set(placed.flatMap((t) => [t.font.family, ...t.fallbackFonts]))],
    crop: { sourceWidth: src.width, sourceHeight: src.height, region, scale: Math.max(W / region.w, H / region.h) },
    format: encoded.format,
    quality: encoded.quality,
  };
  return {
    platform: preset.name,
    buffer: encoded.buffer,
    width: W,
    height: H,
    format: encoded.format,
    contentType: contentTypeFor(encoded.format),
    bytes: encoded.buffer.length,
    sha256: sha256Hex(encoded.buffer),
    layout,
    analysis,
    adjustments,
  };
}

/** Renders one preset. */
export async function renderVariant(input: RenderVariantInput): Promise<RenderedVariant> {
  sharpSettings();
  const preset = toPreset(input.preset);
  return renderPrepared(await prepare(input), preset, input.brief, input.adjustPlan);
}

/**
 * Renders every preset from one decode of the source, `pool` at a time (see sharp-config.ts).
 * Results are in the order of `presets`.
 */
export async function renderVariants(input: RenderVariantsInput): Promise<RenderedVariant[]> {
  const settings = sharpSettings();
  const presets = input.presets.map(toPreset);
  const prepared = await prepare(input);
  return mapPool(presets, input.pool ?? settings.pool, (preset) => renderPrepared(prepared, preset, input.brief));
}

export { decodeImage };
