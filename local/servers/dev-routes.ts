/**
 * The routes only `npm start` has (fn 'dev' of the route table; lib/config/functions.ts
 * isLocalOnlyRoute keeps them out of AWS, and they 404 unless APP_MODE=local):
 *  - `GET /dev/outbox`: the emails the product would have sent (to, subject, text, links), newest
 *    last — follow the review links from here.
 *  - `GET /dev/sign-in`, `POST /dev/sign-in`: the stand-in for the Cognito hosted UI. The page
 *    lists the seeded users; posting one mints a token from the local issuer (the one the local
 *    API server verifies) and hands it to the tab, which continues to the dashboard.
 */
import { sql } from 'drizzle-orm';
import { listOutbox } from '../../functions/adapters/notify/outbox.js';
import { defineHandler, ok } from '../../functions/handlers/api/define.js';
import { services } from '../../functions/handlers/composition/root.js';
import { localEnv, parseEnv } from '../../functions/shared/env.js';
import { AppError } from '../../functions/shared/errors.js';
import { htmlReply } from '../../functions/shared/http/html.js';
import { issueLocalToken, localAuthConfig } from '../auth/local-issuer.js';
import { renderSignInPage, renderTokenHandoff } from './dev-pages.js';

function localOnly(): void {
  if (parseEnv(localEnv).APP_MODE !== 'local') throw new AppError('not_found', 'No such route');
}

export const handler = defineHandler('dev', {
  devOutbox: async (req) => {
    localOnly();
    const rows = await listOutbox(services.db(), { limit: 1000 });
    const to = req.query.to?.toLowerCase();
    const items = rows
      .filter((r) => !to || r.to.toLowerCase() === to)
      .slice(-req.query.limit)
      .map((r) => ({
        id: r.id,
        to: r.to,
        subject: r.subject,
        text: r.text,
        links: r.links,
        status: r.status,
        createdAt: r.createdAt.toISOString(),
      }));
    return ok({ items });
  },
  devSignInPage: async () => {
    localOnly();
    const rows = await services
      .db()
      .execute<{ email: string; display_name: string; orgs: string[] }>(sql`SELECT * FROM app.dev_sign_in_users()`);
    const users = rows.map((r) => ({ email: r.email, name: r.display_name, orgs: r.orgs ?? [] }));
    return htmlReply((nonce) => renderSignInPage({ nonce, users }));
  },
  devSignIn: async (req) => {
    localOnly();
    // Login CSRF guard: a form posted from another site must not sign this browser in.
    const origin = req.headers.origin;
    if (origin && origin !== 'null' && req.headers.host && new URL(origin).host !== req.headers.host) {
      throw new AppError('forbidden', 'Sign-in must be posted from this site');
    }
    const token = await issueLocalToken(localAuthConfig(process.env), { email: req.body.email });
    return htmlReply((nonce) => renderTokenHandoff({ nonce, token, next: '/dashboard' }));
  },
});
