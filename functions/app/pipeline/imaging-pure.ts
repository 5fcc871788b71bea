/**
 * The part of PipelineImaging that needs no image library: copy checks and scoring. Tasks that
 * never touch pixels (validate, decide, publish...) use this, so their Lambda bundles carry no
 * sharp binaries; the rendering tasks use createPipelineImaging() (imaging.ts).
 */
import { brandKitSchema, type ComplianceCheckId } from '../../domain/brand-types.js';
import { checkBriefAgainstBrand, summarize } from '../../domain/compliance/index.js';
import { AppError } from '../../shared/errors.js';
import type { ComplianceStage, PipelineImaging } from './ports.js';

/** The checks each stage runs (mirrors the compliance entry points). */
export const STAGE_CHECKS: Record<ComplianceStage, ComplianceCheckId[]> = {
  brief: ['banned_words', 'disclaimer', 'hashtags', 'copy_length'],
  master: ['resolution', 'license', 'palette'],
  variant: ['palette', 'contrast', 'logo', 'fonts', 'copy_length', 'resolution', 'safe_zone', 'file_size'],
};

const notWired = (what: string) => async (): Promise<never> => {
  throw new AppError(
    'internal',
    `${what} is not available in this function (it is wired only into the rendering tasks)`,
  );
};

export function createComplianceOnlyImaging(): PipelineImaging {
  return {
    masterFormat: 'jpeg',
    checkBrief: ({ brief, brand, platforms, template }) =>
      checkBriefAgainstBrand(brief, brand, platforms, { template }),
    analyze: notWired('analyze'),
    composeMaster: notWired('composeMaster'),
    checkMaster: notWired('checkMaster'),
    renderVariant: notWired('renderVariant'),
    summarize(findings, brand, stages) {
      const evaluated = new Set(stages.flatMap((s) => STAGE_CHECKS[s]));
      return summarize(findings, brandKitSchema.parse(brand).complianceThresholds, evaluated);
    },
  };
}
