/**
 * Server-rendered review pages: plain HTML and one nonce'd stylesheet, no script. Usable on a
 * phone (viewport meta, a grid that collapses to one column). Every value is escaped.
 */
import { randomBytes } from 'node:crypto';
import type { DecisionKind } from '../../domain/approvals/quorum.js';
import { contentSecurityPolicy, escapeHtml as esc } from '../../shared/http/html.js';
import type { AdjustmentView, DoneView, FindingView, RefusedView, ReviewPage, ReviewView, UsedView } from './review.js';
import { FAVICON_LINK } from '../favicon.js';

const date = (d: Date | null | undefined) => (d ? new Date(d).toUTCString().replace(' GMT', ' UTC') : '');
const kb = (n: number) =>
  n >= 1024 * 1024 ? `${(n / 1024 / 1024).toFixed(1)} MB` : `${Math.max(1, Math.round(n / 1024))} KB`;

const decisionWords: Record<DecisionKind, string> = {
  approve: 'approved',
  reject: 'rejected',
  request_changes: 'requested changes',
  delegate: 'delegated',
};

const CSS = `
*{box-sizing:border-box}body{margin:0;font:16px/1.5 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;color:#1c1c1e;background:#f4f4f6}
main{max-width:1100px;margin:0 auto;padding:16px}h1{font-size:1.4rem;margin:.2em 0}h2{font-size:1.1rem;margin:1.2em 0 .4em}
.card{background:#fff;border-radius:12px;padding:16px;margin:12px 0;box-shadow:0 1px 3px rgba(0,0,0,.08)}
.muted{color:#636366;font-size:.9rem}.grid{display:grid;gap:12px;grid-template-columns:repeat(auto-fill,minmax(240px,1fr))}
figure{margin:0;background:#fff;border-radius:10px;overflow:hidden;box-shadow:0 1px 3px rgba(0,0,0,.08)}
figure img{display:block;width:100%;height:auto;background:#e5e5ea}figcaption{padding:8px 10px;font-size:.85rem}
.badge{display:inline-block;padding:1px 8px;border-radius:99px;font-size:.8rem;background:#e5e5ea}
.pass{background:#d1f5dc}.review{background:#fff3c4}.reject,.fail{background:#ffd6d6}
ul.findings{padding-left:1.1em;margin:.3em 0}.adjusted{background:#e3ecfb}\
textarea,select{width:100%;font:inherit;padding:8px;border:1px solid #c7c7cc;border-radius:8px}
textarea{min-height:90px}.actions{display:flex;flex-wrap:wrap;gap:8px;margin-top:10px}
button{font:inherit;padding:10px 16px;border-radius:8px;border:0;cursor:pointer;flex:1 1 140px}
.approve{background:#1f8f4e;color:#fff}.changes{background:#f0ad2b}.rejectb{background:#c62828;color:#fff}.delegate{background:#e5e5ea}
.error{color:#b00020}.history li{margin:.3em 0}@media (max-width:600px){main{padding:10px}h1{font-size:1.2rem}}
`;

/**
 * Security headers for every review response. `imgOrigins`: where the presigned images live;
 * `data:` is the page icon (FAVICON_LINK).
 */
export function reviewHeaders(nonce: string, imgOrigins: string[] = []): Record<string, string> {
  return {
    'content-type': 'text/html; charset=utf-8',
    'cache-control': 'no-store',
    'referrer-policy': 'no-referrer',
    'x-frame-options': 'DENY',
    'x-content-type-options': 'nosniff',
    'content-security-policy': contentSecurityPolicy({ nonce, img: ["'self'", 'data:', ...imgOrigins] }),
  };
}

function layout(title: string, body: string, nonce: string): string {
  return `<!doctype html><html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="referrer" content="no-referrer"><meta name="robots" content="noindex,nofollow">${FAVICON_LINK}
<title>${esc(title)}</title><style nonce="${nonce}">${CSS}</style></head>
<body><main>${body}</main></body></html>`;
}

function findingsList(f: FindingView[]): string {
  if (!f.length) return '<p class="muted">No findings.</p>';
  const item = (x: FindingView) =>
    `<li><span class="badge ${esc(x.severity)}">${esc(x.severity)}</span> <strong>${esc(x.check)}</strong>: ${esc(x.message)}</li>`;
  return `<ul class="findings">${f.map(item).join('')}</ul>`;
}

const adjustmentWords: Record<string, string> = {
  text_box_grown: 'text box grown',
  overlay_extended: 'overlay extended',
  overlay_opacity: 'overlay opacity raised',
  text_color: 'text colour switched',
  plate: 'plate added',
};

/** What the renderer changed on its own, so a reviewer can tell the variant from the template. */
function adjustmentsList(a: AdjustmentView[]): string {
  if (!a.length) return '';
  const item = (x: AdjustmentView) =>
    `<li><span class="badge adjusted">${esc(adjustmentWords[x.kind] ?? x.kind)}</span> ${esc(x.reason)}</li>`;
  return (
    '<p class="muted">Adjusted automatically to keep the brand rules:</p>' +
    `<ul class="findings adjustments">${a.map(item).join('')}</ul>`
  );
}

function reviewBody(v: ReviewView, action: string): string {
  const errs = new Map((v.errors ?? []).map((e) => [e.path, e.message]));
  const err = (field: string) => (errs.has(field) ? `<p class="error" role="alert">${esc(errs.get(field))}</p>` : '');
  const brief = v.request;
  const history = v.history.filter((h) => h.decisions.length || h.stepIndex < v.step.index);
  const reviewer = `Reviewer: ${esc(v.approverName)}. ${esc(v.step.quorumText)}.`;
  const due = v.step.dueAt ? ` Answer by ${esc(date(v.step.dueAt))}.` : '';
  const c = v.compliance;
  const score =
    c.score !== null
      ? `<span class="badge ${esc(c.decision ?? '')}">score ${esc(c.score)}${c.decision ? ` · ${esc(c.decision)}` : ''}</span>`
      : '';
  const decisionItem = (d: ReviewView['history'][number]['decisions'][number]) =>
    `<li>${esc(d.who)} ${esc(decisionWords[d.decision] ?? d.decision)}` +
    (d.delegateName ? ` to ${esc(d.delegateName)}` : '') +
    (d.comment ? `: “${esc(d.comment)}”` : '') +
    ` <span class="muted">(${esc(date(d.at))})</span></li>`;
  const delegateOption = (d: ReviewView['delegates'][number]) =>
    `<option value="${esc(d.userId)}"${v.values?.delegate_to === d.userId ? ' selected' : ''}>` +
    `${esc(d.name)} (${esc(d.role)})</option>`;
  return `
<header class="card">
  <p class="muted">${esc(v.brandName)} · step ${v.step.index + 1} of ${v.step.count}: ${esc(v.step.name)}${v.step.escalated ? ' (escalated)' : ''}</p>
  <h1>${esc(brief.headline)}</h1>
  <p class="muted">Requested by ${esc(brief.creatorName)} on ${esc(date(brief.createdAt))}. ${reviewer}${due}</p>
</header>
<section class="card" aria-label="Brief">
  <h2>Brief</h2>
  ${brief.body ? `<p>${esc(brief.body)}</p>` : ''}
  ${brief.callToAction ? `<p><strong>Call to action:</strong> ${esc(brief.callToAction)}</p>` : ''}
  ${brief.hashtags.length ? `<p>${brief.hashtags.map((h) => `<span class="badge">${esc(h)}</span>`).join(' ')}</p>` : ''}
  <p class="muted">Platforms: ${esc(brief.platforms.join(', '))}</p>
</section>
<section class="card" aria-label="Compliance">
  <h2>Compliance ${score}</h2>
  ${findingsList(v.compliance.findings)}
</section>
<section aria-label="Variants">
  <h2>Variants (${v.variants.length})</h2>
  <div class="grid">${v.variants
    .map(
      (x) => `
    <figure>
      <img src="${esc(x.url)}" alt="${esc(x.platform)} variant, ${x.width}×${x.height}" width="${x.width}" height="${x.height}" loading="eager">
      <figcaption><strong>${esc(x.platform)}</strong> · ${x.width}×${x.height} ${esc(x.format)} · ${esc(kb(x.bytes))}
        ${x.complianceScore !== null ? `<br><span class="badge ${esc(x.complianceDecision ?? '')}">score ${esc(x.complianceScore)}</span>` : ''}
        ${x.findings.length ? findingsList(x.findings) : ''}
        ${adjustmentsList(x.adjustments)}</figcaption>
    </figure>`,
    )
    .join('')}
  </div>
</section>
${
  history.length
    ? `<section class="card" aria-label="Earlier decisions"><h2>Decisions so far</h2><ul class="history">${history
        .map(
          (h) => `
  <li><strong>Step ${h.stepIndex + 1}: ${esc(h.stepName)}</strong> — ${esc(h.status)}${h.decidedAt ? ` on ${esc(date(h.decidedAt))}` : ''}
  ${h.decisions.length ? `<ul>${h.decisions.map(decisionItem).join('')}</ul>` : ''}</li>`,
        )
        .join('')}
</ul></section>`
    : ''
}
<section class="card" aria-label="Your decision">
  <h2>Your decision</h2>
  ${errs.size ? '<p class="error" role="alert">Please fix the highlighted field.</p>' : ''}
  <form method="post" action="${esc(action)}">
    <input type="hidden" name="approval" value="${esc(v.approvalId)}">
    <input type="hidden" name="form_token" value="${esc(v.formToken)}">
    <label for="comment">Comment (required to reject or request changes)</label>
    <textarea id="comment" name="comment" maxlength="2000">${esc(v.values?.comment ?? '')}</textarea>
    ${err('comment')}
    <div class="actions">
      <button class="approve" type="submit" name="decision" value="approve">Approve</button>
      <button class="changes" type="submit" name="decision" value="request_changes">Request changes</button>
      <button class="rejectb" type="submit" name="decision" value="reject">Reject</button>
    </div>
    ${
      v.delegates.length
        ? `
    <h2>Delegate</h2>
    <label for="delegate_to">Hand this review to a colleague (they get their own link)</label>
    <select id="delegate_to" name="delegate_to"><option value="">Choose a member…</option>
      ${v.delegates.map(delegateOption).join('')}
    </select>
    ${err('delegate_to')}
    <div class="actions"><button class="delegate" type="submit" name="decision" value="delegate">Delegate</button></div>`
        : ''
    }
  </form>
  <p class="muted">This link is personal and works once.</p>
</section>`;
}

const refusalText: Record<string, [string, string]> = {
  invalid: ['This link is not valid', 'Check that you copied the whole link from the email.'],
  used: ['This link was already used', 'Each review link works once.'],
  expired: [
    'This link has expired',
    'The review deadline passed. If the review was escalated, the new reviewer has their own link.',
  ],
  revoked: [
    'This link no longer works',
    'It was replaced: the review was escalated, reassigned, or a newer link was sent to you.',
  ],
  decided: [
    'This review step is already decided',
    'Enough reviewers answered before you; nothing more is needed from you.',
  ],
  request_closed: ['This request is no longer waiting for review', 'It was cancelled, decided or restarted.'],
  variants_changed: [
    'The images changed since this link was sent',
    'A new link will be sent for the current images; this one cannot approve them.',
  ],
  cross_origin: ['Request refused', 'The form was not sent from the review page.'],
  stale_form: ['This form has expired', 'Open the link from your email again to reload the page, then decide.'],
  wrong_step: ['Request refused', 'This link cannot be used for that request.'],
  own_request: ['You cannot review your own request', 'Someone other than the creator has to approve it.'],
  not_approver: ['You are not a reviewer of this step', 'Your membership changed or the review was reassigned.'],
  already_decided: ['You already answered this review', 'Your first answer counts.'],
  step_closed: ['This review step is already decided', 'Nothing more is needed from you.'],
};

function refusedBody(v: RefusedView): string {
  const [title, text] = refusalText[v.reason] ?? ['This link cannot be used', ''];
  return `<section class="card"><h1>${esc(title)}</h1><p>${esc(text)}</p></section>`;
}

function usedBody(v: UsedView): string {
  const when = v.decidedAt ? ` on ${esc(date(v.decidedAt))}` : '';
  const text = v.decision
    ? `You ${esc(decisionWords[v.decision])} “${esc(v.headline)}” (${esc(v.stepName)})${when}.`
    : 'Each review link works once.';
  return `<section class="card"><h1>This link was already used</h1>
<p>${text}</p></section>`;
}

function doneBody(v: DoneView): string {
  const what =
    v.decision === 'delegate'
      ? `You delegated the review to ${esc(v.delegateName ?? 'a colleague')}. They will receive their own link.`
      : `You ${esc(decisionWords[v.decision])} “${esc(v.headline)}”.`;
  const next =
    v.stepOutcome === 'approved'
      ? 'This step is approved.'
      : v.stepOutcome === 'rejected'
        ? 'The request has been rejected.'
        : v.stepOutcome === 'changes_requested'
          ? 'The creator has been asked for changes.'
          : v.waitingForOthers
            ? 'Other reviewers still need to answer.'
            : '';
  return `<section class="card" id="confirmation"><h1>Thank you — your decision was recorded</h1><p>${what}</p>${next ? `<p>${esc(next)}</p>` : ''}
<p class="muted">Step: ${esc(v.stepName)}. You can close this page.</p></section>`;
}

/** Renders any review page result with its status code and headers. */
export function renderReviewPage(
  page: ReviewPage,
  opts: { action: string },
): { status: number; headers: Record<string, string>; body: string } {
  const nonce = randomBytes(16).toString('base64');
  switch (page.kind) {
    case 'review': {
      const origins = page.variants
        .map((v) => {
          try {
            return new URL(v.url).origin;
          } catch {
            return '';
          }
        })
        .filter(Boolean);
      return {
        status: page.errors?.length ? 400 : 200,
        headers: reviewHeaders(nonce, origins),
        body: layout(`Review: ${page.request.headline}`, reviewBody(page, opts.action), nonce),
      };
    }
    case 'done':
      return { status: 200, headers: reviewHeaders(nonce), body: layout('Decision recorded', doneBody(page), nonce) };
    case 'used':
      return { status: 410, headers: reviewHeaders(nonce), body: layout('Link already used', usedBody(page), nonce) };
    case 'refused':
      return {
        status: page.status,
        headers: reviewHeaders(nonce),
        body: layout(refusalText[page.reason]?.[0] ?? 'Link refused', refusedBody(page), nonce),
      };
  }
}
