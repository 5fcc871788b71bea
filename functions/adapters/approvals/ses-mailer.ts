/**
 * Emails through Amazon SES (v2 API). The outbox dispatcher calls it for each pending row; locally
 * the outbox printer replaces it.
 */
import type { SESv2Client } from '@aws-sdk/client-sesv2';
import { AppError } from '../../shared/errors.js';
import type { Mailer } from '../../domain/approvals/ports.js';
import type { AdapterPermissions } from '../aws-permissions.js';

/**
 * `sender-identity` = the verified identity the From address belongs to (the address itself, or
 * its domain); `recipient-identity` = each recipient's identity, checked only while the account
 * is in the SES sandbox, where every recipient must be a verified identity too.
 */
export const SES_MAILER_PERMISSIONS = {
  send: [
    { action: 'ses:SendEmail', on: 'sender-identity' },
    {
      action: 'ses:SendEmail',
      on: 'recipient-identity',
      why: "in the SES sandbox a send is also authorized against each recipient's verified identity",
    },
  ],
} as const satisfies AdapterPermissions<keyof Mailer, 'sender-identity' | 'recipient-identity'>;

export interface SesMailerOptions {
  /** Verified sender identity, e.g. `Content Reviews <reviews@example.com>`. */
  from: string;
  /** SES configuration set (bounce/complaint tracking), optional. */
  configurationSet?: string;
  region?: string;
  client?: Pick<SESv2Client, 'send'>;
}

type SesSdk = typeof import('@aws-sdk/client-sesv2');
// Loaded at the first email, not at module load (~70 ms of a cold start).
let sesSdk: Promise<SesSdk> | undefined;
const loadSes = (): Promise<SesSdk> => (sesSdk ??= import('@aws-sdk/client-sesv2'));

export function createSesMailer(opts: SesMailerOptions): Mailer {
  let client = opts.client;
  return {
    async send(email) {
      const sdk = await loadSes();
      client ??= new sdk.SESv2Client(opts.region ? { region: opts.region } : {});
      try {
        await client.send(
          new sdk.SendEmailCommand({
            FromEmailAddress: opts.from,
            Destination: { ToAddresses: [email.to] },
            ConfigurationSetName: opts.configurationSet,
            Content: {
              Simple: {
                Subject: { Data: email.subject, Charset: 'UTF-8' },
                Body: { Text: { Data: email.text, Charset: 'UTF-8' } },
              },
            },
          }),
        );
      } catch (e) {
        const name = (e as { name?: string }).name ?? '';
        const retryable = /Throttl|TooManyRequests|LimitExceeded|ServiceUnavailable|InternalFailure|Timeout/i.test(
          name,
        );
        throw new AppError(
          retryable ? 'upstream_unavailable' : 'upstream_rejected',
          `SES did not accept the email (${name || 'error'})`,
          { retryable, cause: e },
        );
      }
    },
  };
}
