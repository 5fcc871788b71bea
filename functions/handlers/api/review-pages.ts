/**
 * HTTP glue of the review links (routes `reviewPage` / `reviewDecide`, served by the `approvals`
 * function, the only one allowed to resume workflows): request -> use case -> HTML page with the
 * review security headers (no-referrer, no-store, no framing, strict CSP).
 */
import { decideByLink, viewReview } from '../../app/approvals/review.js';
import { renderReviewPage } from '../../app/approvals/review-html.js';
import { approvalServices } from '../../handlers/composition/approvals.js';
import type { ApiReply } from './api-handler.js';

interface LinkReq {
  params: { token: string };
  headers: Record<string, string>;
  requestId: string;
  ip?: string;
  userAgent?: string;
}

const reply = (r: ReturnType<typeof renderReviewPage>): ApiReply => ({
  status: r.status,
  body: r.body,
  contentType: r.headers['content-type'],
  headers: r.headers,
});
// The form posts back to the page's own path; the page lives at the configured public base URL.
const actionFor = (token: string) => `/review/${encodeURIComponent(token)}`;
const meta = (req: LinkReq) => ({ ip: req.ip, userAgent: req.userAgent, requestId: req.requestId });

export async function reviewGet(req: LinkReq): Promise<ApiReply> {
  const page = await viewReview(approvalServices(), req.params.token, meta(req));
  return reply(renderReviewPage(page, { action: actionFor(req.params.token) }));
}

export async function reviewPost(req: LinkReq & { body: Record<string, string | undefined> }): Promise<ApiReply> {
  const page = await decideByLink(approvalServices(), {
    token: req.params.token,
    form: req.body ?? {},
    origin: req.headers.origin,
    secFetchSite: req.headers['sec-fetch-site'],
    meta: meta(req),
  });
  return reply(renderReviewPage(page, { action: actionFor(req.params.token) }));
}
