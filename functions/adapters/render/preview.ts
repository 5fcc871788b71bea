/**
 * Template preview: renders one preset from a brief and a brand image and judges it, with no side
 * effects (no S3, no database), so brand managers can tune templates before running requests.
 * The API route POST /v1/orgs/{orgId}/templates/{templateId}/preview calls this.
 */
import {
  briefSchema,
  brandKitSchema,
  templateLayersSchema,
  type BrandKit,
  type BrandKitInput,
  type Brief,
  type ComplianceCheckId,
  type TemplateLayers,
} from '../../domain/brand-types.js';
import {
  checkBriefAgainstBrand,
  checkVariant,
  summarize,
  type ComplianceResult,
} from '../../domain/compliance/index.js';
import { PLATFORM_PRESETS, type PlatformName, type PlatformPreset } from '../../domain/platforms.js';
import type { RenderedLayout } from '../../domain/rendering/types.js';
import { AppError } from '../../shared/errors.js';
import { parseInput } from './parse-input.js';
import { renderVariant } from './renderer.js';

export interface PreviewInput {
  /** Background image bytes (any format sharp reads; <= 50 MP). */
  source: Buffer;
  preset: PlatformName | PlatformPreset;
  brand: BrandKit | BrandKitInput;
  /** The template's layers (raw JSON is parsed). */
  template: TemplateLayers | unknown;
  brief: Brief;
  /** Logo bytes; omit to preview without a logo (reported as a finding if the template wants one). */
  logo?: Buffer;
}

export interface PreviewResult {
  image: Buffer;
  contentType: string;
  width: number;
  height: number;
  /** Copy + variant checks for this preset, scored with the brand's thresholds. */
  compliance: ComplianceResult;
  /** Where everything landed (boxes, fonts, crop), for overlays in the UI. */
  layout: RenderedLayout;
}

export async function previewTemplate(input: PreviewInput): Promise<PreviewResult> {
  const brief = parseInput(briefSchema, input.brief, 'The brief is not valid');
  const brand = parseInput(brandKitSchema, input.brand, 'The brand settings are not valid');
  const layers = parseInput(templateLayersSchema, input.template, 'The template layers are not valid');
  const preset = typeof input.preset === 'string' ? PLATFORM_PRESETS[input.preset] : input.preset;
  if (!preset) throw new AppError('validation_failed', `Unknown platform preset: ${String(input.preset)}`);

  const variant = await renderVariant({
    source: input.source,
    preset,
    layers,
    brand,
    brief,
    logo: input.logo ?? null,
  });
  const copy = checkBriefAgainstBrand(brief, brand, [preset], { template: layers });
  const image = checkVariant({ variant, brand, preset });
  const evaluated = (Object.keys(copy.checks) as ComplianceCheckId[]).filter(
    (k) => copy.checks[k] !== 'skipped' || image.checks[k] !== 'skipped',
  );
  return {
    image: variant.buffer,
    contentType: variant.contentType,
    width: variant.width,
    height: variant.height,
    compliance: summarize([...copy.findings, ...image.findings], brand.complianceThresholds, evaluated),
    layout: variant.layout,
  };
}
