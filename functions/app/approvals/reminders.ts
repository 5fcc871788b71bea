/**
 * Reminders: when a step's reminder time passes and it is still pending, every approver who has
 * not answered gets a fresh link (their previous one is revoked: one live link per approver) and
 * an email. One reminder per step phase (the outbox key makes a repeated sweep a no-op).
 */
import { withTenant } from '../../adapters/db/client.js';
import * as store from '../../adapters/approvals/approval-store.js';
import { audit } from '../audit.js';
import { issueLink, resolveWorkflow, systemActor } from './engine.js';
import type { ApprovalServices } from './deps.js';

export async function sendDueReminders(
  deps: Pick<ApprovalServices, 'db' | 'publicBaseUrl' | 'clock'>,
  opts: { limit?: number } = {},
): Promise<{ steps: number; emails: number }> {
  const due = await store.dueApprovalReminders(deps.db, opts.limit ?? 100);
  let emails = 0;
  for (const d of due) {
    emails += await withTenant(deps.db, { orgId: d.organization_id }, async (tx) => {
      const now = new Date(deps.clock.now());
      const first = await store.getApproval(tx, d.approval_id);
      if (!first) return 0;
      const request = await store.getRequest(tx, first.requestId, { forUpdate: true });
      const approval = await store.lockApproval(tx, d.approval_id);
      if (!request || !approval || approval.status !== 'pending' || !approval.remindAt || approval.remindAt > now)
        return 0;
      await store.updateApproval(tx, approval.id, { remindAt: null });
      if (request.status !== 'awaiting_approval' || request.run !== approval.run) return 0;
      const members = await store.listMembers(tx);
      const decided = new Set((await store.listDecisions(tx, [approval.id])).map((x) => x.approverId));
      const brand = await store.getBrand(tx, request.brandId);
      const workflow = await resolveWorkflow(tx, request);
      let n = 0;
      for (const userId of approval.approverIds) {
        const approver = members.find((m) => m.userId === userId && m.status === 'active');
        if (!approver || decided.has(userId)) continue;
        if (
          await issueLink(tx, deps, {
            approval,
            approver,
            request,
            brandName: brand?.name ?? 'your brand',
            stepCount: workflow.steps.length,
            reason: 'reminder',
            now,
            reminderNumber: 1,
          })
        )
          n++;
      }
      await audit(tx, systemActor(d.organization_id, 'reminder'), {
        action: 'approval.reminded',
        resourceType: 'content_request',
        resourceId: request.id,
        details: { approvalId: approval.id, step: approval.stepName, emails: n },
      });
      return n;
    });
  }
  return { steps: due.length, emails };
}
