/**
 * The dashboard page and its sign-in callback. Pages carry no data: the shell's script sends the
 * signed-in ID token (kept in sessionStorage: per tab, never a cookie, so there is nothing for a
 * cross-site request to ride on and no CSRF surface) as `Authorization: Bearer` to the same API
 * everyone uses. Inline scripts run only with the per-response CSP nonce.
 *  - AWS: "Sign in" goes to the Cognito hosted UI (SIGN_IN_URL, implicit grant) which returns to
 *    /dashboard/callback with the ID token in the URL fragment (never sent to a server).
 *  - `npm start` (APP_MODE=local): "Sign in" goes to /dev/sign-in, a local-only route
 *    (local/servers/dev-routes.ts) that mints a token from the local issuer.
 */
import { z } from 'zod';
import { renderCallbackPage, renderDashboardShell } from '../../app/analytics/dashboard-html.js';
import { localEnv, parseEnv } from '../../shared/env.js';
import { htmlReply } from '../../shared/http/html.js';
import { defineHandler } from './define.js';

const pagesEnv = localEnv.extend({
  /** Cognito hosted UI authorize URL (response_type=token, redirect_uri=<base>/dashboard/callback). */
  SIGN_IN_URL: z.string().url().optional(),
});
let env: z.infer<typeof pagesEnv> | undefined;
const config = () => (env ??= parseEnv(pagesEnv));

export const handler = defineHandler('dashboard-pages', {
  dashboardPage: async () => {
    const c = config();
    const signInUrl = c.APP_MODE === 'local' ? '/dev/sign-in' : (c.SIGN_IN_URL ?? '/dashboard');
    return htmlReply((nonce) => renderDashboardShell({ nonce, signInUrl }));
  },
  dashboardCallback: async () => htmlReply((nonce) => renderCallbackPage({ nonce })),
});
