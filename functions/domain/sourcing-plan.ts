/**
 * Sourcing for a whole request, not for one size. The requested platform presets are grouped by
 * the layout they use (tall, square, wide); each group needs an image that covers every one of its
 * presets within the brand's `maxUpscale` without cropping most of the picture away. One image may
 * serve several groups (a 2000x1333 photo covers square and wide posts; a story needs a tall one).
 *
 * Pure rules: which groups a size serves, which AI size or Mystic resolution to ask for per group,
 * how stock search hits are ranked for a group from what the search already returns (orientation,
 * preview size, licence) plus a palette verdict on the free preview, and which download size to
 * ask for. No I/O here.
 */
import { coverScale } from './compliance/image-checks.js';
import { PLATFORM_PRESETS, type PlatformName } from './platforms.js';
import type { Aspect, StockCandidate } from './sourcing.js';

export interface Dimensions {
  width: number;
  height: number;
}

export interface AspectGroup {
  aspect: Aspect;
  /** The requested presets that use this layout. */
  platforms: PlatformName[];
}

/** Tie order when groups have as many presets: the hardest to find in stock first. */
const ASPECT_ORDER: readonly Aspect[] = ['tall', 'wide', 'square'];

/** The requested presets grouped by layout; the group with most presets first. */
export function aspectGroups(platforms: readonly PlatformName[]): AspectGroup[] {
  const by = new Map<Aspect, PlatformName[]>();
  for (const p of platforms) {
    const a = PLATFORM_PRESETS[p].layout;
    if (!by.get(a)?.includes(p)) by.set(a, [...(by.get(a) ?? []), p]);
  }
  return [...by]
    .map(([aspect, ps]) => ({ aspect, platforms: ps }))
    .sort(
      (a, b) =>
        b.platforms.length - a.platforms.length || ASPECT_ORDER.indexOf(a.aspect) - ASPECT_ORDER.indexOf(b.aspect),
    );
}

/** The group a preset belongs to. */
export const aspectOf = (p: PlatformName): Aspect => PLATFORM_PRESETS[p].layout;

/**
 * Least share of the image a cover crop may keep. Below it the crop cuts away what the photo is
 * about: a 3:2 photo keeps 67% as a square and 84% as 16:9, but only 38% as a 9:16 story; a square
 * keeps 56% as a story or a 16:9 frame. 60% lets a landscape photo serve square and wide posts,
 * and a square one square and 4:5 posts, while stories and link images get their own shape.
 */
export const MIN_CROP_KEEP = 0.6;

/** Share of the source's area a cover crop into `target`'s aspect ratio keeps (0..1]. */
export function cropKeep(source: Dimensions, target: Dimensions): number {
  const rs = source.width / source.height;
  const rt = target.width / target.height;
  return rs > rt ? rt / rs : rs / rt;
}

export interface PresetFit {
  platform: PlatformName;
  /** Output px per source px of the cover crop (> 1 is enlarging). */
  scale: number;
  keep: number;
  ok: boolean;
  /** Why it does not fit: enlarged beyond maxUpscale, or cropped beyond MIN_CROP_KEEP. */
  problem?: 'upscale' | 'crop';
}

export function presetFit(source: Dimensions, platform: PlatformName, maxUpscale: number): PresetFit {
  const preset = PLATFORM_PRESETS[platform];
  const scale = Math.round(coverScale(source, preset) * 1000) / 1000;
  const keep = Math.round(cropKeep(source, preset) * 1000) / 1000;
  const problem = scale > maxUpscale ? 'upscale' : keep < MIN_CROP_KEEP ? 'crop' : undefined;
  return { platform, scale, keep, ok: !problem, ...(problem ? { problem } : {}) };
}

export interface GroupFit {
  ok: boolean;
  /** Largest enlargement among the group's presets. */
  worstScale: number;
  /** Smallest share kept among the group's presets. */
  minKeep: number;
  fits: PresetFit[];
}

/** Whether `source` covers every preset of the group within maxUpscale and MIN_CROP_KEEP. */
export function groupFit(source: Dimensions, group: AspectGroup, maxUpscale: number): GroupFit {
  const fits = group.platforms.map((p) => presetFit(source, p, maxUpscale));
  return {
    ok: fits.every((f) => f.ok),
    worstScale: Math.max(...fits.map((f) => f.scale)),
    minKeep: Math.min(...fits.map((f) => f.keep)),
    fits,
  };
}

/** The groups (of `groups`) an image of this size serves. */
export function groupsServed(source: Dimensions, groups: readonly AspectGroup[], maxUpscale: number): Aspect[] {
  return groups.filter((g) => groupFit(source, g, maxUpscale).ok).map((g) => g.aspect);
}

/** Aspect-only version (a preview's ratio says nothing about the original's pixels). */
export function shapeServes(ratio: number, group: AspectGroup): boolean {
  return group.platforms.every((p) => cropKeep({ width: ratio, height: 1 }, PLATFORM_PRESETS[p]) >= MIN_CROP_KEEP);
}

/**
 * Which of the request's groups an image serves, the one it was bought for first. Used to decide
 * which master a preset renders from: the asset bought for its group, else one that covers it.
 */
export function assetFor<T extends { aspectGroup: string; covers: readonly string[] }>(
  assets: readonly T[],
  aspect: Aspect,
): T | undefined {
  return assets.find((a) => a.aspectGroup === aspect) ?? assets.find((a) => a.covers.includes(aspect));
}

// ---- AI -----------------------------------------------------------------------------------------

/**
 * Pixel sizes POST /v1/ai/text-to-image returns per `image.size` ("classic fast": about one
 * megapixel in every shape; the contract's sample shows square = 1024x1024). Mystic returns the
 * same shapes at 1k, twice each side at 2k and four times at 4k (long side at most 4096).
 * Reported figures: the real bytes are measured again before use.
 */
export const TEXT_TO_IMAGE_SIZES = {
  square_1_1: { width: 1024, height: 1024 },
  classic_4_3: { width: 1024, height: 768 },
  traditional_3_4: { width: 768, height: 1024 },
  widescreen_16_9: { width: 1344, height: 768 },
  social_story_9_16: { width: 768, height: 1344 },
  smartphone_horizontal_20_9: { width: 1440, height: 648 },
  smartphone_vertical_9_20: { width: 648, height: 1440 },
  standard_3_2: { width: 1152, height: 768 },
  portrait_2_3: { width: 768, height: 1152 },
  horizontal_2_1: { width: 1408, height: 704 },
  vertical_1_2: { width: 704, height: 1408 },
  social_5_4: { width: 1120, height: 896 },
  social_post_4_5: { width: 896, height: 1120 },
} as const satisfies Record<string, Dimensions>;
export type TextToImageSize = keyof typeof TEXT_TO_IMAGE_SIZES;

export const MYSTIC_ASPECT_RATIOS = {
  ...TEXT_TO_IMAGE_SIZES,
  film_horizontal_21_9: { width: 1512, height: 648 },
  film_vertical_9_21: { width: 648, height: 1512 },
} as const satisfies Record<string, Dimensions>;
export type MysticAspectRatio = keyof typeof MYSTIC_ASPECT_RATIOS;
export type MysticResolution = '1k' | '2k' | '4k';
export const MYSTIC_RESOLUTIONS: readonly MysticResolution[] = ['1k', '2k', '4k'];
const MYSTIC_SCALE: Record<MysticResolution, number> = { '1k': 1, '2k': 2, '4k': 4 };
const MYSTIC_MAX_EDGE = 4096;

/** Pixel size of a Mystic image for an aspect ratio and resolution. */
export function mysticSize(aspectRatio: MysticAspectRatio, resolution: MysticResolution): Dimensions {
  const base = MYSTIC_ASPECT_RATIOS[aspectRatio];
  const k = Math.min(MYSTIC_SCALE[resolution], MYSTIC_MAX_EDGE / Math.max(base.width, base.height));
  return { width: Math.round(base.width * k), height: Math.round(base.height * k) };
}

export type AiPlan =
  | { mode: 'classic'; size: TextToImageSize; expected: Dimensions }
  | { mode: 'mystic'; aspectRatio: MysticAspectRatio; resolution: MysticResolution; expected: Dimensions };

export interface AiGeneration {
  plan: AiPlan;
  /** The groups this one image is expected to serve (the first is the one it is bought for). */
  groups: Aspect[];
  /** The estimate the quota is checked against. */
  costUsd: number;
}

export interface AiPlanOptions {
  maxUpscale: number;
  mode: 'classic' | 'mystic';
  /** Lowest Mystic resolution to use (the configured one). */
  mysticResolution: MysticResolution;
  /** Whether classic mode may buy a Mystic image for a group no classic size covers. */
  mysticFallback: boolean;
  /** What a plan costs (pricing is configuration). */
  priceOf: (plan: AiPlan) => number;
}

function aiOptions(o: AiPlanOptions, mystic: boolean): AiPlan[] {
  if (!mystic) {
    return (Object.keys(TEXT_TO_IMAGE_SIZES) as TextToImageSize[]).map((size) => ({
      mode: 'classic',
      size,
      expected: TEXT_TO_IMAGE_SIZES[size],
    }));
  }
  const from = MYSTIC_RESOLUTIONS.indexOf(o.mysticResolution);
  return MYSTIC_RESOLUTIONS.slice(from).flatMap((resolution) =>
    (Object.keys(MYSTIC_ASPECT_RATIOS) as MysticAspectRatio[]).map((aspectRatio) => ({
      mode: 'mystic' as const,
      aspectRatio,
      resolution,
      expected: mysticSize(aspectRatio, resolution),
    })),
  );
}

/**
 * The AI images to generate for `groups`, greedy: for the first group still uncovered, among the
 * sizes that cover it, the one serving most remaining groups, then the cheapest, then the one that
 * crops least, then the one enlarging least. Classic mode upgrades a group to Mystic (at the lowest
 * resolution that covers it) when no classic size does and the fallback is allowed; with nothing
 * covering, the size enlarging least is taken and the compliance check reports the rest.
 */
export function planAiGenerations(groups: readonly AspectGroup[], o: AiPlanOptions): AiGeneration[] {
  const out: AiGeneration[] = [];
  let left = [...groups];
  while (left.length > 0) {
    const g = left[0];
    const rank = (plans: AiPlan[]) =>
      plans
        .map((plan) => ({
          plan,
          fit: groupFit(plan.expected, g, o.maxUpscale),
          serves: groupsServed(plan.expected, left, o.maxUpscale),
          cost: o.priceOf(plan),
        }))
        .sort(
          (a, b) =>
            Number(b.fit.ok) - Number(a.fit.ok) ||
            b.serves.length - a.serves.length ||
            a.cost - b.cost ||
            b.fit.minKeep - a.fit.minKeep ||
            a.fit.worstScale - b.fit.worstScale,
        );
    let best = rank(aiOptions(o, o.mode === 'mystic'))[0];
    if (!best.fit.ok && o.mode === 'classic' && o.mysticFallback) {
      const upgraded = rank(aiOptions(o, true))[0];
      if (upgraded.fit.ok) best = upgraded;
    }
    const served = best.fit.ok ? best.serves : [g.aspect];
    const groupsFor = [g.aspect, ...served.filter((a) => a !== g.aspect)];
    out.push({ plan: best.plan, groups: groupsFor, costUsd: best.cost });
    left = left.filter((x) => !groupsFor.includes(x.aspect));
  }
  return out;
}

// ---- Stock --------------------------------------------------------------------------------------

/** What the free preview's palette check said (`unknown`: it could not be fetched or read). */
export type PreviewVerdict = 'ok' | 'warning' | 'error' | 'unknown';
const VERDICT_RANK: Record<PreviewVerdict, number> = { ok: 0, warning: 1, unknown: 1, error: 2 };

/** A search hit as ranking sees it: the same fields the single-layout choice reads. */
export type StockHit = StockCandidate;

const ORIENTATION_RATIO: Record<string, number> = { horizontal: 1.5, vertical: 2 / 3, square: 1, panoramic: 3 };

/** The hit's aspect ratio from its preview size, else a typical one for its orientation. */
export function hitRatio(hit: StockHit): number | undefined {
  if (hit.width && hit.height) return hit.width / hit.height;
  return hit.orientation ? ORIENTATION_RATIO[hit.orientation] : undefined;
}

export interface RankedHit<T> {
  hit: T;
  /** Its shape suits the group (from the preview ratio). */
  shapeOk: boolean;
  verdict: PreviewVerdict;
  /** Other groups of the request its shape would also serve. */
  alsoServes: Aspect[];
}

/**
 * Orders a search's photos for one group: a shape that suits the group first, then the preview's
 * palette verdict (on-brand before off-brand), freemium before premium (premium may be refused),
 * hits that would also serve other groups of the request, then the provider's relevance order.
 */
export function rankHitsForGroup<T extends StockHit>(
  hits: readonly T[],
  group: AspectGroup,
  opts: {
    others?: readonly AspectGroup[];
    verdicts?: ReadonlyMap<string, PreviewVerdict>;
  } = {},
): RankedHit<T>[] {
  return hits
    .map((hit, index) => ({ hit, index }))
    .filter(({ hit }) => (hit.imageType ?? 'photo') === 'photo')
    .map(({ hit, index }) => {
      const ratio = hitRatio(hit);
      const shapeOk = ratio !== undefined && shapeServes(ratio, group);
      const verdict = opts.verdicts?.get(String(hit.id)) ?? 'unknown';
      const alsoServes =
        ratio === undefined
          ? []
          : (opts.others ?? []).filter((g) => g.aspect !== group.aspect && shapeServes(ratio, g)).map((g) => g.aspect);
      return { ranked: { hit, shapeOk, verdict, alsoServes }, index, freemium: hit.licenseTypes.includes('freemium') };
    })
    .sort(
      (a, b) =>
        Number(b.ranked.shapeOk) - Number(a.ranked.shapeOk) ||
        VERDICT_RANK[a.ranked.verdict] - VERDICT_RANK[b.ranked.verdict] ||
        Number(b.freemium) - Number(a.freemium) ||
        b.ranked.alsoServes.length - a.ranked.alsoServes.length ||
        a.index - b.index,
    )
    .map((x) => x.ranked);
}

/** Long side of the `large` download (`small` 1000, `medium` 1500, `large` 2000). */
export const LARGE_DOWNLOAD_EDGE = 2000;

/** Size of a download of `original` capped to a long side of `edge` (never enlarged). */
export function downloadedSize(original: Dimensions, edge: number): Dimensions {
  const k = Math.min(1, edge / Math.max(original.width, original.height));
  return { width: Math.max(1, Math.round(original.width * k)), height: Math.max(1, Math.round(original.height * k)) };
}

/**
 * The download size to ask for: `large` (2000 px, light and usually enough) when it covers the
 * group, else `original` (a panorama's short side, a strict maxUpscale).
 */
export function stockDownloadSize(
  original: Dimensions | undefined,
  group: AspectGroup,
  maxUpscale: number,
): 'large' | 'original' {
  if (!original) return 'large';
  return groupFit(downloadedSize(original, LARGE_DOWNLOAD_EDGE), group, maxUpscale).ok ? 'large' : 'original';
}

/**
 * Downloads a request may spend: the configured bound, but never fewer than one per group that
 * needs its own image (a square + story + wide request cannot be served by fewer than two).
 */
export function stockDownloadBudget(configured: number, groupsToSource: number): number {
  return Math.max(configured, groupsToSource);
}
