/**
 * Target of the `content.published` EventBridge rule: delivers the webhooks the publish
 * transaction queued for this event (a few quick tries; the retry job takes over after that).
 * Locally the event recorder calls the same delivery in-process.
 */
import type { EventBridgeEvent } from 'aws-lambda';
import { approvalServices } from '../../handlers/composition/approvals.js';
import { deliverEvent } from '../../app/approvals/webhooks.js';
import { AppError } from '../../shared/errors.js';

type Detail = { id?: string; organizationId?: string };

export const handler = async (
  event: EventBridgeEvent<'content.published', Detail>,
): Promise<{ deliveries: number }> => {
  const { id, organizationId } = event.detail ?? {};
  if (!id || !organizationId)
    throw new AppError('validation_failed', 'content.published event without id/organizationId');
  const out = await deliverEvent(approvalServices(), organizationId, id);
  return { deliveries: Object.keys(out).length };
};
