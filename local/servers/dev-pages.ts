/**
 * The local sign-in pages (`npm start` stands in for the Cognito hosted UI): the seeded users to
 * pick from, and the hand-off that leaves the minted token in the tab. Same frame as the dashboard.
 */
import { page, TOKEN_KEY } from '../../functions/app/analytics/dashboard-html.js';
import { escapeHtml as esc } from '../../functions/shared/http/html.js';

/** Local-only sign-in: the seeded users, one button each, plus any email. */
export function renderSignInPage(opts: {
  nonce: string;
  users: { email: string; name: string; orgs: string[] }[];
}): string {
  const items = opts.users
    .map(
      (u) =>
        '<li><form method="post" action="/dev/sign-in">' +
        `<input type="hidden" name="email" value="${esc(u.email)}"><button type="submit" data-email="${esc(u.email)}">` +
        `<strong>${esc(u.name)}</strong> &lt;${esc(u.email)}&gt;<br><small>${esc(u.orgs.join(', ') || 'no organization')}</small>` +
        '</button></form></li>',
    )
    .join('');
  const body = `<header><strong>Local sign-in</strong><span>development only</span></header><main>
<p class="note">Local stand-in for the Cognito hosted sign-in: pick a seeded user. A token from the local issuer is kept in this tab only.</p>
<ul class="users" data-list="users">${items || '<li class="note">No seeded users found.</li>'}</ul>
<form method="post" action="/dev/sign-in" class="filters">\
<label>Another email<input type="email" name="email" required></label><button type="submit">Sign in</button></form></main>`;
  return page('Sign in (local)', opts.nonce, body);
}

/** Hands a freshly minted token to the tab and continues to the dashboard. */
export function renderTokenHandoff(opts: { nonce: string; token: string; next: string }): string {
  return page(
    'Signing in…',
    opts.nonce,
    '<main><p>Signing in…</p></main>',
    `sessionStorage.setItem(${JSON.stringify(TOKEN_KEY)},${JSON.stringify(opts.token)});location.replace(${JSON.stringify(opts.next)});`,
  );
}
