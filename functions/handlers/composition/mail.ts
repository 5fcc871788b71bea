/**
 * The approval emails' mailer (SES), part of the composition root (./root.ts). A module of its own
 * so that only the outbox function bundles the SES adapter.
 */
import { z } from 'zod';
import { createSesMailer } from '../../adapters/approvals/ses-mailer.js';
import type { Mailer } from '../../domain/approvals/ports.js';
import { parseEnv } from '../../shared/env.js';
import { resolve } from './cache.js';

export const mailEnv = z.object({
  /** Verified SES sender, e.g. `Content Reviews <reviews@example.com>`. */
  MAIL_FROM: z.string().min(3),
  SES_CONFIGURATION_SET: z.string().optional(),
  AWS_REGION: z.string().optional(),
});

export function outboxMailer(): Mailer {
  return resolve('mailer', () => {
    const env = parseEnv(mailEnv);
    return createSesMailer({
      from: env.MAIL_FROM,
      configurationSet: env.SES_CONFIGURATION_SET,
      region: env.AWS_REGION,
    });
  });
}
