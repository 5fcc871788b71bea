/**
 * PipelineImaging for "Source image": copy checks and scoring plus measuring an image's colours
 * and size (sharp decodes; nothing is rendered), so candidates are judged with the same palette
 * check the compliance engine applies to the master, without bundling the renderer and its fonts.
 */
import { analyzeImage } from '../../adapters/render/analyze.js';
import { createComplianceOnlyImaging } from './imaging-pure.js';
import type { PipelineImaging } from './ports.js';

export function createSourcingImaging(): PipelineImaging {
  return { ...createComplianceOnlyImaging(), analyze: analyzeImage };
}
