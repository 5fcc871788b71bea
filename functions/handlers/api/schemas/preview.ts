import { z } from 'zod';
import { briefSchema } from '../../../domain/brand-types.js';
import { uuid } from './common.js';
import { variantAdjustment } from './content.js';
import { platformName } from './platforms.js';

export const previewRequest = z.strictObject({
  platform: platformName,
  brief: briefSchema,
  /** A ready image asset of the template's brand used as the background. */
  assetId: uuid,
});

export const previewResponse = z
  .object({
    platform: z.string(),
    width: z.number().int(),
    height: z.number().int(),
    contentType: z.string(),
    /** The rendered image, base64. */
    imageBase64: z.string(),
    compliance: z.object({
      score: z.number(),
      decision: z.enum(['pass', 'review', 'reject']),
      findings: z.array(
        z.object({
          check: z.string(),
          severity: z.enum(['info', 'warning', 'error']),
          message: z.string(),
          fixHint: z.string(),
          details: z.record(z.string(), z.unknown()),
          platform: z.string().optional(),
        }),
      ),
      /** Worst severity per check: ok | info | warning | error | skipped. */
      checks: z.record(z.string(), z.string()),
    }),
    /** What the renderer changed on its own for this preset (see VariantAdjustment). */
    adjustments: z.array(variantAdjustment),
  })
  .meta({ id: 'TemplatePreview' });
