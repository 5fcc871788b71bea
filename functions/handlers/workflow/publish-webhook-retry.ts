/**
 * Scheduled (every minute): one more attempt for every webhook delivery whose backoff elapsed.
 * Deliveries give up after MAX_DELIVERY_ATTEMPTS (about a day); the log keeps every outcome.
 */
import { approvalServices } from '../../handlers/composition/approvals.js';
import { retryDueDeliveries } from '../../app/approvals/webhooks.js';

export const handler = async (): Promise<{ attempted: number; delivered: number }> =>
  retryDueDeliveries(approvalServices());
