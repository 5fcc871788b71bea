/**
 * PipelineImaging on the imaging engine: the sharp renderer (functions/adapters/render) and the
 * compliance engine (functions/domain/compliance). The pipeline only adds which checks each stage
 * evaluated, so a report summed over stages says 'skipped' for what never ran.
 */
import { checkMaster, checkVariant } from '../../domain/compliance/index.js';
import { analyzeImage } from '../../adapters/render/analyze.js';
import { composeMaster } from '../../adapters/render/image-io.js';
import { renderVariant } from '../../adapters/render/renderer.js';
import { createComplianceOnlyImaging } from './imaging-pure.js';
import type { PipelineImaging } from './ports.js';

export function createPipelineImaging(): PipelineImaging {
  const pure = createComplianceOnlyImaging();
  return {
    ...pure,
    analyze: analyzeImage,
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
      return {
        image: { bytes: v.buffer, contentType: v.contentType, format: v.format, width: v.width, height: v.height },
        compliance,
        adjustments: v.adjustments,
      };
    },
  };
}
