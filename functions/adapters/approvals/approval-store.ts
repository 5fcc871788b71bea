/**
 * PostgreSQL access for the approval engine. Every function takes the transaction opened by
 * withTenant(), so RLS scopes each query to the tenant; the few cross-tenant questions go through
 * the SECURITY DEFINER functions of migration 0009 (ids only).
 */
import { and, asc, desc, eq, inArray, isNull, sql } from 'drizzle-orm';
import type { Db, Tx } from '../db/client.js';
import { rowExists, rowInserter } from '../db/tenant-rows.js';
import {
  approvalDecisions,
  approvalLinks,
  approvalWorkflows,
  assetVariants,
  brandProfiles,
  contentApprovals,
  contentRequests,
  outbox,
  requestSteps,
  userOrganizations,
  users,
} from '../../../db/schema/index.js';
import type { Member } from '../../domain/approvals/eligibility.js';
import type { ManifestVariant } from '../../domain/approvals/manifest.js';
import type { WorkflowLike } from '../../domain/approvals/workflow-plan.js';
import type { OrgRole } from '../../domain/roles.js';
import type { RequestStatus } from '../../domain/request-status.js';
import type { Brief } from '../../domain/brand-types.js';

export type ApprovalRow = typeof contentApprovals.$inferSelect;
export type LinkRow = typeof approvalLinks.$inferSelect;
export type DecisionRow = typeof approvalDecisions.$inferSelect;

export interface RequestRow {
  id: string;
  organizationId: string;
  brandId: string;
  workflowId: string | null;
  requestedBy: string;
  status: RequestStatus;
  brief: Brief;
  platforms: string[];
  run: number;
  compliance: unknown;
  manifest: unknown;
  rejectionReason: string | null;
  publishedAt: Date | null;
  createdAt: Date;
}

export async function getRequest(
  tx: Tx,
  requestId: string,
  opts: { forUpdate?: boolean } = {},
): Promise<RequestRow | undefined> {
  const q = tx
    .select({
      id: contentRequests.id,
      organizationId: contentRequests.organizationId,
      brandId: contentRequests.brandId,
      workflowId: contentRequests.workflowId,
      requestedBy: contentRequests.requestedBy,
      status: contentRequests.status,
      brief: contentRequests.brief,
      platforms: contentRequests.platforms,
      run: contentRequests.run,
      compliance: contentRequests.compliance,
      manifest: contentRequests.manifest,
      rejectionReason: contentRequests.rejectionReason,
      publishedAt: contentRequests.publishedAt,
      createdAt: contentRequests.createdAt,
    })
    .from(contentRequests)
    .where(eq(contentRequests.id, requestId));
  const rows = opts.forUpdate ? await q.for('update') : await q;
  return rows[0];
}

export async function getBrand(
  tx: Tx,
  brandId: string,
): Promise<{ id: string; name: string; defaultWorkflowId: string | null } | undefined> {
  const rows = await tx
    .select({ id: brandProfiles.id, name: brandProfiles.name, defaultWorkflowId: brandProfiles.defaultWorkflowId })
    .from(brandProfiles)
    .where(eq(brandProfiles.id, brandId));
  return rows[0];
}

export async function getWorkflow(
  tx: Tx,
  workflowId: string,
): Promise<(WorkflowLike & { id: string; isActive: boolean }) | undefined> {
  const rows = await tx.select().from(approvalWorkflows).where(eq(approvalWorkflows.id, workflowId));
  const w = rows[0];
  return w && { id: w.id, name: w.name, steps: w.steps, allowAutoApprove: w.allowAutoApprove, isActive: w.isActive };
}

/** Members of the current tenant (RLS), with their user record. */
export async function listMembers(tx: Tx): Promise<Member[]> {
  const rows = await tx
    .select({
      userId: userOrganizations.userId,
      role: userOrganizations.role,
      status: userOrganizations.status,
      userStatus: users.status,
      email: users.email,
      displayName: users.displayName,
    })
    .from(userOrganizations)
    .innerJoin(users, eq(users.id, userOrganizations.userId));
  return rows.map((r) => ({
    userId: r.userId,
    role: r.role as OrgRole,
    email: r.email,
    displayName: r.displayName,
    // a disabled identity cannot act in any tenant
    status: r.userStatus === 'active' ? r.status : r.userStatus,
  }));
}

/** The request's rendered variants (one generated asset per request), optionally only `platforms`. */
export async function listVariants(
  tx: Tx,
  requestId: string,
  platforms?: string[],
): Promise<
  (ManifestVariant & {
    id: string;
    complianceScore: number | null;
    complianceDecision: string | null;
    findings: unknown;
    adjustments: unknown;
  })[]
> {
  const rows = await tx
    .select()
    .from(assetVariants)
    .where(
      platforms
        ? and(
            eq(assetVariants.requestId, requestId),
            inArray(assetVariants.platform, platforms.length ? platforms : ['']),
          )
        : eq(assetVariants.requestId, requestId),
    )
    .orderBy(asc(assetVariants.platform));
  return rows.map((v) => ({
    id: v.id,
    platform: v.platform,
    key: v.s3Key,
    sha256: v.sha256,
    width: v.width,
    height: v.height,
    format: v.format,
    bytes: v.bytes,
    complianceScore: v.complianceScore,
    complianceDecision: v.complianceDecision,
    findings: v.findings,
    adjustments: v.adjustments,
  }));
}

/** Opens the timeline step of the approval wait (the pipeline closes it on publish / rejection). */
export async function openApprovalTimeline(tx: Tx, orgId: string, requestId: string, run: number): Promise<void> {
  await tx
    .insert(requestSteps)
    .values({ organizationId: orgId, requestId, run, step: 'await_approval', status: 'started' })
    .onConflictDoNothing();
}

export async function insertApprovalIfMissing(tx: Tx, row: typeof contentApprovals.$inferInsert): Promise<void> {
  await tx
    .insert(contentApprovals)
    .values(row)
    .onConflictDoNothing({ target: [contentApprovals.requestId, contentApprovals.run, contentApprovals.stepIndex] });
}

/** The approval steps of run `run` of the request. */
const stepsOfRun = (requestId: string, run: number) =>
  and(eq(contentApprovals.requestId, requestId), eq(contentApprovals.run, run));

export async function lockApprovalByStep(
  tx: Tx,
  requestId: string,
  run: number,
  stepIndex: number,
): Promise<ApprovalRow | undefined> {
  const rows = await tx
    .select()
    .from(contentApprovals)
    .where(and(stepsOfRun(requestId, run), eq(contentApprovals.stepIndex, stepIndex)))
    .for('update');
  return rows[0];
}

export async function lockApproval(tx: Tx, approvalId: string): Promise<ApprovalRow | undefined> {
  const rows = await tx.select().from(contentApprovals).where(eq(contentApprovals.id, approvalId)).for('update');
  return rows[0];
}

export async function getApproval(tx: Tx, approvalId: string): Promise<ApprovalRow | undefined> {
  const rows = await tx.select().from(contentApprovals).where(eq(contentApprovals.id, approvalId));
  return rows[0];
}

export async function updateApproval(
  tx: Tx,
  approvalId: string,
  set: Partial<typeof contentApprovals.$inferInsert>,
): Promise<void> {
  await tx
    .update(contentApprovals)
    .set({ ...set, updatedAt: new Date() })
    .where(eq(contentApprovals.id, approvalId));
}

/**
 * Closes a pending step with its outcome. Conditional on `status = 'pending'`, so of two racing
 * deciders exactly one gets the row back (and with it the task token to call back with).
 */
export async function closeApproval(
  tx: Tx,
  approvalId: string,
  status: string,
  reason: string | null,
  now: Date,
): Promise<ApprovalRow | undefined> {
  const rows = await tx
    .update(contentApprovals)
    .set({ status, outcomeReason: reason, decidedAt: now, remindAt: null, updatedAt: now })
    .where(and(eq(contentApprovals.id, approvalId), eq(contentApprovals.status, 'pending')))
    .returning();
  return rows[0];
}

export async function markCallbackSent(tx: Tx, approvalId: string, now: Date): Promise<void> {
  await tx
    .update(contentApprovals)
    .set({ callbackSentAt: now, updatedAt: now })
    .where(eq(contentApprovals.id, approvalId));
}

/** Approval steps of one run, in order. */
export async function listApprovals(tx: Tx, requestId: string, run?: number): Promise<ApprovalRow[]> {
  return tx
    .select()
    .from(contentApprovals)
    .where(run === undefined ? eq(contentApprovals.requestId, requestId) : stepsOfRun(requestId, run))
    .orderBy(asc(contentApprovals.run), asc(contentApprovals.stepIndex));
}

export async function listDecisions(
  tx: Tx,
  approvalIds: string[],
): Promise<(DecisionRow & { approverName: string; approverEmail: string; delegateName: string | null })[]> {
  if (!approvalIds.length) return [];
  const delegate = sql<
    string | null
  >`(select u2.display_name from users u2 where u2.id = ${approvalDecisions.delegatedTo})`;
  const rows = await tx
    .select({
      d: approvalDecisions,
      approverName: users.displayName,
      approverEmail: users.email,
      delegateName: delegate,
    })
    .from(approvalDecisions)
    .innerJoin(users, eq(users.id, approvalDecisions.approverId))
    .where(inArray(approvalDecisions.approvalId, approvalIds))
    .orderBy(asc(approvalDecisions.createdAt), asc(approvalDecisions.id));
  return rows.map((r) => ({
    ...r.d,
    approverName: r.approverName,
    approverEmail: r.approverEmail,
    delegateName: r.delegateName,
  }));
}

/** Records a decision; undefined when this approver already decided this step (unique constraint). */
export async function insertDecision(
  tx: Tx,
  row: typeof approvalDecisions.$inferInsert,
): Promise<DecisionRow | undefined> {
  const rows = await tx
    .insert(approvalDecisions)
    .values(row)
    .onConflictDoNothing({ target: [approvalDecisions.approvalId, approvalDecisions.approverId] })
    .returning();
  return rows[0];
}

export const insertLink = rowInserter(approvalLinks);

export async function getLink(
  tx: Tx,
  linkId: string,
  opts: { forUpdate?: boolean } = {},
): Promise<LinkRow | undefined> {
  const q = tx.select().from(approvalLinks).where(eq(approvalLinks.id, linkId));
  const rows = opts.forUpdate ? await q.for('update') : await q;
  return rows[0];
}

/** Marks the link used; false when it was used already (single use, even under a race). */
export async function consumeLink(tx: Tx, linkId: string, now: Date): Promise<boolean> {
  const rows = await tx
    .update(approvalLinks)
    .set({ usedAt: now })
    .where(and(eq(approvalLinks.id, linkId), isNull(approvalLinks.usedAt)))
    .returning({ id: approvalLinks.id });
  return rows.length === 1;
}

/** Revokes the live links of a step (optionally of one approver). Returns how many. */
export async function revokeLinks(tx: Tx, approvalId: string, now: Date, approverId?: string): Promise<number> {
  const rows = await tx
    .update(approvalLinks)
    .set({ revokedAt: now })
    .where(
      and(
        eq(approvalLinks.approvalId, approvalId),
        isNull(approvalLinks.usedAt),
        isNull(approvalLinks.revokedAt),
        ...(approverId ? [eq(approvalLinks.approverId, approverId)] : []),
      ),
    )
    .returning({ id: approvalLinks.id });
  return rows.length;
}

export async function outboxHasKey(tx: Tx, dedupeKey: string): Promise<boolean> {
  return rowExists(tx, outbox, eq(outbox.dedupeKey, dedupeKey));
}

/**
 * Moves the request of `run` to `to` when its current status is one of `from`. Returns whether it
 * moved (a cancelled or re-driven request is left alone).
 */
export async function moveRequest(
  tx: Tx,
  requestId: string,
  run: number,
  from: readonly RequestStatus[],
  to: RequestStatus,
  extra: Partial<typeof contentRequests.$inferInsert> = {},
): Promise<boolean> {
  const rows = await tx
    .update(contentRequests)
    .set({ ...extra, status: to, updatedAt: new Date() })
    .where(
      and(eq(contentRequests.id, requestId), eq(contentRequests.run, run), inArray(contentRequests.status, [...from])),
    )
    .returning({ id: contentRequests.id });
  return rows.length === 1;
}

/** Resolves a link token hash to (organization, link) across tenants (SECURITY DEFINER). */
export async function findLinkByHash(db: Db, hash: Buffer): Promise<{ orgId: string; linkId: string } | undefined> {
  const rows = await db.execute<{ organization_id: string; link_id: string }>(
    sql`select * from app.find_approval_link(${hash})`,
  );
  const r = rows[0];
  return r && { orgId: r.organization_id, linkId: r.link_id };
}

/** Approval steps of the tenant with their request's headline, newest first (1..200 rows). */
export async function listApprovalsWithHeadline(
  tx: Tx,
  q: { status?: string; voterId?: string; limit: number },
): Promise<{ a: ApprovalRow; headline: string }[]> {
  const conds = [];
  if (q.status) conds.push(eq(contentApprovals.status, q.status));
  if (q.voterId) conds.push(sql`${q.voterId}::uuid = ANY(${contentApprovals.approverIds})`);
  return tx
    .select({ a: contentApprovals, headline: sql<string>`${contentRequests.brief}->>'headline'` })
    .from(contentApprovals)
    .innerJoin(contentRequests, eq(contentRequests.id, contentApprovals.requestId))
    .where(conds.length ? and(...conds) : undefined)
    .orderBy(desc(contentApprovals.createdAt))
    .limit(Math.min(Math.max(q.limit, 1), 200));
}

/** Pending steps whose reminder time has passed, across tenants (app.due_approval_reminders). */
export async function dueApprovalReminders(
  db: Db,
  limit: number,
): Promise<{ organization_id: string; approval_id: string }[]> {
  return db.execute<{ organization_id: string; approval_id: string }>(
    sql`select * from app.due_approval_reminders(${limit})`,
  );
}
