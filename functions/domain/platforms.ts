/**
 * The platform presets, defined once. The API validates `platforms` with `platformName`, the
 * renderer takes sizes, safe zones and encoding from here, and the compliance engine reads the
 * same safe zones, file-size limits and copy limits, so "what Instagram allows" never drifts
 * between components.
 *
 * Safe zones are insets (px) that stay clear of platform UI or crops; `uiOverlays` are extra
 * rectangles a platform paints over the image (e.g. YouTube's duration stamp). Values are
 * conservative readings of each platform's published guidance (2024/25):
 * - Instagram Story: profile bar / progress at the top (~250 px) and the reply bar + link
 *   sticker area at the bottom (~340 px) of a 1080x1920 frame.
 * - Instagram feed: the profile grid shows 3:4 crops, which cuts ~34 px per side of a 4:5 post;
 *   the square preset keeps a 5% margin (the grid's side crop of squares is a thumbnail only).
 * - Link/feed images (Facebook, LinkedIn, X): a 5% margin, since clients round corners and crop
 *   a few px at small sizes.
 * - Pinterest: the save button / pin actions overlay the top and bottom of the pin in the grid.
 * - YouTube: the duration stamp covers the bottom-right corner of every thumbnail.
 * File-size limits are the platforms' documented upload limits for still images.
 * Copy limits: `headline`/`body`/`cta` are what reads well on the image (exceeding them is a
 * warning); `caption` (post text) and `hashtags` are the platform's own limits (exceeding them
 * makes the post fail or get truncated: an error). `caption: null` means the platform has no
 * caption for this format (stories).
 */
import { z } from 'zod';
import type { LayoutClass } from './brand-types.js';
import type { Box, Insets } from './rendering/geometry.js';
import { insetRect } from './rendering/geometry.js';

export const platformNames = [
  'instagram_square',
  'instagram_portrait',
  'instagram_story',
  'facebook',
  'linkedin',
  'x',
  'pinterest',
  'youtube_thumbnail',
] as const;
/** zod enum of preset names, for validating `platforms` in API bodies. */
export const platformName = z.enum(platformNames);
export type PlatformName = z.infer<typeof platformName>;

export type OutputFormat = 'jpeg' | 'png' | 'webp';

export interface OutputSpec {
  format: OutputFormat;
  /** Encoder quality to start from (jpeg/webp; for png the palette quality when stepping down). */
  quality: number;
  /** Lowest quality the encoder may step down to to meet `maxBytes`. */
  minQuality: number;
}

export interface CopyLimits {
  /** On-image headline characters that stay readable at this size. */
  headline: number;
  /** On-image body characters. */
  body: number;
  /** On-image call-to-action characters. */
  cta: number;
  /** Post text (body + CTA + hashtags) limit of the platform; null when the format has no caption. */
  caption: number | null;
  /** Most hashtags the platform accepts or honours on one post. */
  hashtags: number;
}

export interface PlatformPreset {
  name: PlatformName;
  label: string;
  width: number;
  height: number;
  /** Which template box set (square/tall/wide) this preset uses. */
  layout: LayoutClass;
  /** Insets (px) that must stay clear of text and logo. */
  safeZone: Insets;
  /** Extra rectangles (px) covered by platform UI. */
  uiOverlays: ReadonlyArray<Box & { label: string }>;
  output: OutputSpec;
  /** Largest file the platform accepts, in bytes. */
  maxBytes: number;
  copy: CopyLimits;
}

const MB = 1024 * 1024;

const deepFreeze = <T>(o: T): T => {
  for (const v of Object.values(o as object)) if (v && typeof v === 'object') deepFreeze(v);
  return Object.freeze(o);
};

/** A preset as the table below writes it: named by its key, and without UI overlays unless it lists some. */
type PresetEntry = Omit<PlatformPreset, 'name' | 'uiOverlays'> & Partial<Pick<PlatformPreset, 'uiOverlays'>>;

const presets = (entries: Record<PlatformName, PresetEntry>): Record<PlatformName, PlatformPreset> =>
  Object.fromEntries(
    platformNames.map((name) => [name, { name, ...entries[name], uiOverlays: entries[name].uiOverlays ?? [] }]),
  ) as Record<PlatformName, PlatformPreset>;

/** JPEG starting at `quality`, stepping down no lower than `minQuality` to meet `maxBytes`. */
const jpeg = (quality: number, minQuality = 60): OutputSpec => ({ format: 'jpeg', quality, minQuality });

export const PLATFORM_PRESETS: Readonly<Record<PlatformName, PlatformPreset>> = deepFreeze(
  presets({
    instagram_square: {
      label: 'Instagram post (square)',
      width: 1080,
      height: 1080,
      layout: 'square',
      safeZone: { top: 54, right: 54, bottom: 54, left: 54 },
      output: jpeg(90),
      maxBytes: 8 * MB,
      copy: { headline: 60, body: 140, cta: 25, caption: 2200, hashtags: 30 },
    },
    instagram_portrait: {
      label: 'Instagram post (portrait 4:5)',
      width: 1080,
      height: 1350,
      layout: 'tall',
      safeZone: { top: 68, right: 60, bottom: 68, left: 60 },
      output: jpeg(90),
      maxBytes: 8 * MB,
      copy: { headline: 70, body: 160, cta: 25, caption: 2200, hashtags: 30 },
    },
    instagram_story: {
      label: 'Instagram story',
      width: 1080,
      height: 1920,
      layout: 'tall',
      safeZone: { top: 250, right: 64, bottom: 340, left: 64 },
      output: jpeg(88),
      maxBytes: 8 * MB,
      copy: { headline: 50, body: 100, cta: 20, caption: null, hashtags: 10 },
    },
    facebook: {
      label: 'Facebook feed / link',
      width: 1200,
      height: 630,
      layout: 'wide',
      safeZone: { top: 32, right: 60, bottom: 32, left: 60 },
      output: jpeg(85),
      maxBytes: 30 * MB,
      copy: { headline: 40, body: 125, cta: 20, caption: 63206, hashtags: 30 },
    },
    linkedin: {
      label: 'LinkedIn post',
      width: 1200,
      height: 627,
      layout: 'wide',
      safeZone: { top: 32, right: 60, bottom: 32, left: 60 },
      output: jpeg(85),
      maxBytes: 5 * MB,
      copy: { headline: 70, body: 150, cta: 20, caption: 3000, hashtags: 30 },
    },
    x: {
      label: 'X (Twitter) post',
      width: 1600,
      height: 900,
      layout: 'wide',
      safeZone: { top: 45, right: 80, bottom: 45, left: 80 },
      output: jpeg(85),
      maxBytes: 5 * MB,
      copy: { headline: 60, body: 100, cta: 20, caption: 280, hashtags: 10 },
    },
    pinterest: {
      label: 'Pinterest pin (2:3)',
      width: 1000,
      height: 1500,
      layout: 'tall',
      safeZone: { top: 80, right: 50, bottom: 120, left: 50 },
      output: jpeg(88),
      maxBytes: 20 * MB,
      copy: { headline: 100, body: 150, cta: 20, caption: 500, hashtags: 20 },
    },
    youtube_thumbnail: {
      label: 'YouTube thumbnail',
      width: 1280,
      height: 720,
      layout: 'wide',
      safeZone: { top: 36, right: 64, bottom: 36, left: 64 },
      uiOverlays: [{ label: 'duration stamp', x: 1280 - 240, y: 720 - 110, w: 240, h: 110 }],
      output: jpeg(85, 55),
      maxBytes: 2 * MB,
      copy: { headline: 40, body: 60, cta: 20, caption: 5000, hashtags: 15 },
    },
  }),
);

export function getPreset(name: PlatformName): PlatformPreset {
  return PLATFORM_PRESETS[name];
}

/** The rectangle (px) text and logo must stay inside. */
export function safeRect(p: Pick<PlatformPreset, 'width' | 'height' | 'safeZone'>): Box {
  return insetRect(p.width, p.height, p.safeZone);
}

export const contentTypeFor = (f: OutputFormat): string => `image/${f}`;
export const extensionFor = (f: OutputFormat): string => (f === 'jpeg' ? 'jpg' : f);
