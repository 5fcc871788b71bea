/**
 * The compliance engine's entry points. Each returns a scored ComplianceResult; to judge a whole
 * request, concatenate the findings of the brief, the master and the variants and call
 * `summarize(findings, brand.complianceThresholds)` (each check counts once, by its worst finding).
 */
import {
  brandKitSchema,
  type AssetLicense,
  type BrandKit,
  type BrandKitInput,
  type Brief,
  type ComplianceCheckId,
  type TemplateLayers,
} from '../brand-types.js';
import { PLATFORM_PRESETS, type PlatformName, type PlatformPreset } from '../platforms.js';
import type { ImageAnalysis, RenderedLayout, VariantAnalysis } from '../rendering/types.js';
import { checkBannedWords, checkCopyLength, checkDisclaimer, checkHashtags, checkShownOnImage } from './copy-checks.js';
import {
  checkContrast,
  checkFileSize,
  checkFonts,
  checkLicense,
  checkLogo,
  checkPalette,
  checkPlacement,
  checkSafeZone,
  checkUpscale,
  coverScale,
} from './image-checks.js';
import { summarize } from './score.js';
import type { ComplianceResult, Finding } from './types.js';

export { summarize, FORCE_REVIEW_CHECKS, SEVERITY_COST } from './score.js';
export type { ComplianceResult, Finding, Severity, Decision, CheckStatus } from './types.js';
export { composeCaption, collectHashtags } from './copy-checks.js';

export type PlatformRef = PlatformName | PlatformPreset;
const toPreset = (p: PlatformRef): PlatformPreset => (typeof p === 'string' ? PLATFORM_PRESETS[p] : p);
const parseBrand = (b: BrandKitInput | BrandKit): BrandKit => brandKitSchema.parse(b);

/** Copy-only checks, usable before any image exists. `template` tells which copy appears on the image. */
export function checkBriefAgainstBrand(
  brief: Brief,
  brandInput: BrandKitInput | BrandKit,
  platforms: readonly PlatformRef[],
  opts: { template?: TemplateLayers } = {},
): ComplianceResult {
  const brand = parseBrand(brandInput);
  const presets = platforms.map(toPreset);
  const findings: Finding[] = [
    ...checkBannedWords(brief, brand.voiceRules),
    ...checkDisclaimer(brief, brand.voiceRules),
    ...checkHashtags(brief, brand.voiceRules, presets),
    ...checkCopyLength(brief, presets, opts.template),
    ...(opts.template ? checkShownOnImage(brief, opts.template, brand.voiceRules) : []),
  ];
  const evaluated: ComplianceCheckId[] = ['banned_words', 'disclaimer', 'hashtags', 'copy_length'];
  return summarize(findings, brand.complianceThresholds, evaluated);
}

export interface MasterCheckInput {
  /** Size of the normalized master image. */
  width: number;
  height: number;
  /** Dominant colors of the master (from the render adapter's analyzeImage/composeMaster). */
  analysis?: Pick<ImageAnalysis, 'dominantColors'>;
  license?: AssetLicense | null;
  brand: BrandKitInput | BrandKit;
  /** Platforms the master will be rendered to (drives the resolution check). */
  platforms: readonly PlatformRef[];
}

/** Checks the sourced image itself: resolution for every requested platform, palette, licence. */
export function checkMaster(input: MasterCheckInput): ComplianceResult {
  const brand = parseBrand(input.brand);
  const source = { width: input.width, height: input.height };
  const findings: Finding[] = [];
  for (const p of input.platforms.map(toPreset)) {
    findings.push(...checkUpscale(coverScale(source, p), brand.complianceThresholds.maxUpscale, p, source));
  }
  if (input.analysis) findings.push(...checkPalette(input.analysis.dominantColors, brand));
  findings.push(...checkLicense(input.license));
  const evaluated: ComplianceCheckId[] = ['resolution', 'license', ...(input.analysis ? (['palette'] as const) : [])];
  return summarize(findings, brand.complianceThresholds, evaluated);
}

export interface VariantCheckInput {
  /** What the renderer returned (RenderedVariant satisfies this). */
  variant: { layout: RenderedLayout; analysis: VariantAnalysis; bytes: number };
  brand: BrandKitInput | BrandKit;
  /** Defaults to the built-in preset named in the layout. */
  preset?: PlatformPreset;
}

/** Checks one rendered variant from its measured layout and pixels. */
export function checkVariant(input: VariantCheckInput): ComplianceResult {
  const brand = parseBrand(input.brand);
  const { layout, analysis, bytes } = input.variant;
  const preset = input.preset ?? PLATFORM_PRESETS[layout.preset as PlatformName];
  if (!preset) throw new RangeError(`unknown platform preset: ${layout.preset}`);
  const t = brand.complianceThresholds;
  const where = { name: preset.name, label: preset.label };
  const source = { width: layout.crop.sourceWidth, height: layout.crop.sourceHeight };
  const findings: Finding[] = [
    ...checkPalette(analysis.dominantColors, brand, where),
    ...checkContrast(layout, analysis.textBackgrounds, t.minContrast, where),
    ...checkLogo(layout, where),
    ...checkFonts(layout, brand, where),
    ...checkPlacement(layout, where),
    ...checkUpscale(layout.crop.scale, t.maxUpscale, preset, source),
    ...checkSafeZone(layout, preset),
    ...checkFileSize(bytes, preset),
  ];
  const evaluated: ComplianceCheckId[] = [
    'palette',
    'contrast',
    'logo',
    'fonts',
    'copy_length',
    'resolution',
    'safe_zone',
    'file_size',
  ];
  return summarize(findings, t, evaluated);
}
