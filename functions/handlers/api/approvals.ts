/**
 * The `approvals` function: review links (HTML, auth 'link') and approvals for signed-in members.
 * It alone holds states:SendTask* (it resumes the workflow when a decision completes a step).
 */
import { decideAsMember, listApprovalItems } from '../../app/approvals/member-decisions.js';
import { approvalServices } from '../../handlers/composition/approvals.js';
import { actorOf, defineHandler, inTenant, ok } from './define.js';
import { reviewGet, reviewPost } from './review-pages.js';

export const handler = defineHandler('approvals', {
  reviewPage: (req) => reviewGet(req),
  reviewDecide: (req) => reviewPost({ ...req, body: req.body as Record<string, string | undefined> }),
  listApprovals: async (req) => {
    const items = await inTenant(req, (tx) =>
      listApprovalItems(tx, {
        userId: req.tenant.userId,
        status: req.query.status,
        mine: req.query.mine,
        limit: req.query.limit,
      }),
    );
    return ok({ items });
  },
  decideApproval: async (req) => {
    const actor = actorOf(req);
    const r = await decideAsMember(
      approvalServices(),
      { ...actor, userId: req.tenant.userId },
      req.params.approvalId,
      req.body,
    );
    return ok({ status: r.status });
  },
});
