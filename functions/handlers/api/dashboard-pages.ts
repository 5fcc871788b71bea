/**
 * The dashboard page and its sign-in helpers. Pages carry no data: the shell's script sends the
 * signed-in ID token (kept in sessionStorage: per tab, never a cookie, so there is nothing for a
 * cross-site request to ride on and no CSRF surface) as `Authorization: Bearer` to the same API
 * everyone uses. Inline scripts run only with the per-response CSP nonce.
 *  - AWS: "Sign in" goes to the Cognito hosted UI (SIGN_IN_URL, implicit grant) which returns to
 *    /dashboard/callback with the ID token in the URL fragment (never sent to a server).
 *  - `npm start` (APP_MODE=local): /dev/sign-in lists the seeded users and mints a token from the
 *    local issuer (the one the local API server verifies). Both /dev routes are 404 in AWS.
 */
import { randomBytes } from 'node:crypto';
import { sql } from 'drizzle-orm';
import { z } from 'zod';
import { pageCsp, renderCallbackPage, renderDashboardShell, renderSignInPage, renderTokenHandoff } from '../../app/analytics/dashboard-html.js';
import { issueLocalToken, localAuthConfig } from '../../shared/auth/local-issuer.js';
import { services } from '../../shared/container.js';
import { localEnv, parseEnv } from '../../shared/env.js';
import { AppError } from '../../shared/errors.js';
import type { ApiReply } from '../../shared/http/api-handler.js';
import { defineHandler } from './define.js';

const pagesEnv = localEnv.extend({
  /** Cognito hosted UI authorize URL (response_type=token, redirect_uri=<base>/dashboard/callback). */
  SIGN_IN_URL: z.string().url().optional(),
});
let env: z.infer<typeof pagesEnv> | undefined;
const config = () => (env ??= parseEnv(pagesEnv));

function html(body: (nonce: string) => string, status = 200): ApiReply {
  const nonce = randomBytes(16).toString('base64');
  return {
    status,
    body: body(nonce),
    contentType: 'text/html; charset=utf-8',
    headers: { 'content-security-policy': pageCsp(nonce), 'x-content-type-options': 'nosniff', 'referrer-policy': 'no-referrer', 'x-frame-options': 'DENY' },
  };
}

function localOnly(): void {
  if (config().APP_MODE !== 'local') throw new AppError('not_found', 'No such route');
}

export const handler = defineHandler('dashboard-pages', {
  dashboardPage: async () => {
    const c = config();
    const signInUrl = c.APP_MODE === 'local' ? '/dev/sign-in' : (c.SIGN_IN_URL ?? '/dashboard');
    return html((nonce) => renderDashboardShell({ nonce, signInUrl }));
  },
  dashboardCallback: async () => html((nonce) => renderCallbackPage({ nonce })),
  devSignInPage: async () => {
    localOnly();
    const rows = await services.db().execute<{ email: string; display_name: string; orgs: string[] }>(sql`SELECT * FROM app.dev_sign_in_users()`);
    const users = rows.map((r) => ({ email: r.email, name: r.display_name, orgs: r.orgs ?? [] }));
    return html((nonce) => renderSignInPage({ nonce, users }));
  },
  devSignIn: async (req) => {
    localOnly();
    // Login CSRF guard: a form posted from another site must not sign this browser in.
    const origin = req.headers.origin;
    if (origin && origin !== 'null' && req.headers.host && new URL(origin).host !== req.headers.host) {
      throw new AppError('forbidden', 'Sign-in must be posted from this site');
    }
    const token = await issueLocalToken(localAuthConfig(process.env), { email: req.body.email });
    return html((nonce) => renderTokenHandoff({ nonce, token, next: '/dashboard' }));
  },
});
