/**
 * Scheduled (every minute) in AWS: sends pending outbox emails through SES and marks them sent.
 * Locally `npm start` runs the outbox printer instead (functions/adapters/notify/outbox.ts).
 */
import { z } from 'zod';
import { createSesMailer } from '../../adapters/approvals/ses-mailer.js';
import { dispatchOutbox } from '../../adapters/notify/outbox.js';
import { approvalServices } from '../../handlers/composition/approvals.js';
import { parseEnv } from '../../shared/env.js';

const mailEnv = z.object({
  /** Verified SES sender, e.g. `Content Reviews <reviews@example.com>`. */
  MAIL_FROM: z.string().min(3),
  SES_CONFIGURATION_SET: z.string().optional(),
  AWS_REGION: z.string().optional(),
});
const env = parseEnv(mailEnv);
const mailer = createSesMailer({
  from: env.MAIL_FROM,
  configurationSet: env.SES_CONFIGURATION_SET,
  region: env.AWS_REGION,
});

export const handler = async (): Promise<{ sent: number; failed: number }> => {
  const deps = approvalServices();
  return dispatchOutbox(deps.db, mailer, {
    onError: (row, e) => deps.log.warn('email not sent', { outboxId: row.id, error: (e as Error).message }),
  });
};
