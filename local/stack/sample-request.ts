/**
 * The content request `npm start` prints as its example, which the end-to-end test and the
 * pipeline bench submit as well: the seeded Acme Coffee brand, copy that keeps its rules (required
 * hashtag and disclaimer) and a stock image. The content is fixed, so every submission passes
 * compliance and reaches the approval wait.
 */
import type { PlatformName } from '../../functions/domain/platforms.js';

export const SAMPLE_PLATFORMS: readonly PlatformName[] = [
  'instagram_square',
  'instagram_story',
  'facebook',
  'linkedin',
];

/** The POST /v1/orgs/{orgId}/content-requests body for the seeded Acme Coffee brand. */
export function sampleContentRequest(brandId: string, platforms: readonly PlatformName[] = SAMPLE_PLATFORMS) {
  return {
    brandId,
    brief: {
      headline: 'Slow mornings, fresh roasts',
      body: 'Our new single origin is in. Offer valid at participating stores only.',
      callToAction: 'Visit us today',
      hashtags: ['#AcmeCoffee'],
    },
    image: { source: 'stock', query: 'latte art' },
    platforms: [...platforms],
  };
}
