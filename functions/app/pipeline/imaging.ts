/**
 * PipelineImaging on the imaging engine: the sharp renderer (functions/adapters/render) and the
 * compliance engine (functions/domain/compliance). The pipeline only adds which checks each stage
 * evaluated, so a report summed over stages says 'skipped' for what never ran.
 */
import { brandKitSchema, type ComplianceCheckId } from '../../domain/brand-types.js';
import { checkBriefAgainstBrand, checkMaster, checkVariant, summarize } from '../../domain/compliance/index.js';
import { analyzeImage } from '../../adapters/render/analyze.js';
import { composeMaster } from '../../adapters/render/image-io.js';
import { renderVariant } from '../../adapters/render/renderer.js';
import type { ComplianceStage, PipelineImaging } from './ports.js';

/** The checks each stage runs (mirrors the compliance entry points). */
const STAGE_CHECKS: Record<ComplianceStage, ComplianceCheckId[]> = {
  brief: ['banned_words', 'disclaimer', 'hashtags', 'copy_length'],
  master: ['resolution', 'license', 'palette'],
  variant: ['palette', 'contrast', 'logo', 'fonts', 'copy_length', 'resolution', 'safe_zone', 'file_size'],
};

export function createPipelineImaging(): PipelineImaging {
  return {
    masterFormat: 'jpeg',
    checkBrief: ({ brief, brand, platforms, template }) => checkBriefAgainstBrand(brief, brand, platforms, { template }),
    async composeMaster({ source }) {
      const m = await composeMaster(source);
      return { bytes: m.buffer, contentType: m.contentType, format: m.format, width: m.width, height: m.height };
    },
    async checkMaster({ master, license, brand, platforms }) {
      const analysis = await analyzeImage(master);
      return checkMaster({ width: analysis.width, height: analysis.height, analysis, license, brand, platforms });
    },
    async renderVariant({ master, platform, brand, template, brief, logo }) {
      const v = await renderVariant({ source: master, layers: template, brand, brief, logo, preset: platform });
      const compliance = checkVariant({ variant: { layout: v.layout, analysis: v.analysis, bytes: v.bytes }, brand });
      return { image: { bytes: v.buffer, contentType: v.contentType, format: v.format, width: v.width, height: v.height }, compliance };
    },
    summarize(findings, brand, stages) {
      const evaluated = new Set(stages.flatMap((s) => STAGE_CHECKS[s]));
      return summarize(findings, brandKitSchema.parse(brand).complianceThresholds, evaluated);
    },
  };
}
