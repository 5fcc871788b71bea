/**
 * Scheduled (every minute) in AWS: sends pending outbox emails through SES and marks them sent.
 * Locally `npm start` runs the outbox printer instead (functions/adapters/notify/outbox.ts).
 */
import { dispatchOutbox } from '../../adapters/notify/outbox.js';
import { approvalServices } from '../../handlers/composition/approvals.js';
import { mailEnv, outboxMailer } from '../../handlers/composition/mail.js';
import { parseEnv } from '../../shared/env.js';

// Cold start: a missing sender fails the first invocation loudly.
parseEnv(mailEnv);

export const handler = async (): Promise<{ sent: number; failed: number }> => {
  const deps = approvalServices();
  return dispatchOutbox(deps.db, outboxMailer(), {
    onError: (row, e) => deps.log.warn('email not sent', { outboxId: row.id, error: (e as Error).message }),
  });
};
