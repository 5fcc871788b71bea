/**
 * Publishing what was approved, exactly. Wraps the pipeline's publish use case:
 *
 *  1. before: the bytes of every variant in S3 are hashed and compared with the checksums the
 *     last approval step was given (what reviewers saw is what goes out);
 *  2. inside the publish transaction (onPublished hook): the stored checksums are compared again,
 *     a compliance auto-pass is accepted only when the workflow allows it, the webhook deliveries
 *     are queued and the publication is audited: all or nothing with `published`;
 *  3. after commit: the `content.published` event goes to the bus (EventBridge / local recorder),
 *     which triggers the webhook deliveries (functions/handlers/events/content-published.ts).
 *
 * A mismatch fails the publish task with `invalid_state` (the workflow records it on the request).
 */
import { createHash } from 'node:crypto';
import { withTenant, type Tx } from '../../adapters/db/client.js';
import * as store from '../../adapters/approvals/approval-store.js';
import { checksumProblems, checksumsOf, publicationEventId } from '../../domain/approvals/manifest.js';
import { mayAutoApprove } from '../../domain/approvals/workflow-plan.js';
import type { RequestRef } from '../../domain/pipeline.js';
import { AppError } from '../../shared/errors.js';
import { audit } from '../audit.js';
import type { PipelineDeps, PublishManifest } from '../pipeline/ports.js';
import { resolveWorkflow, systemActor } from './engine.js';
import type { ApprovalServices } from './deps.js';
import { enqueueDeliveries, type WebhookBody } from './webhooks.js';

export const CONTENT_PUBLISHED = 'content.published';

interface Approved {
  checksums: Record<string, string>;
  autoApproved: boolean;
  steps: store.ApprovalRow[];
}

/** The checksums the request was approved with (throws when it was not approved at all). */
async function approvedChecksums(tx: Tx, request: store.RequestRow, run: number): Promise<Approved> {
  const workflow = await resolveWorkflow(tx, request);
  const steps = await store.listApprovals(tx, request.id, run);
  if (steps.length === 0) {
    const compliance = (request.compliance ?? null) as { decision?: string } | null;
    if (!mayAutoApprove(workflow, compliance?.decision)) {
      throw new AppError(
        'invalid_state',
        `Not approved: workflow "${workflow.name}" requires approval and none was recorded`,
      );
    }
    const variants = await store.listVariants(tx, request.id, request.platforms);
    return { checksums: checksumsOf(variants), autoApproved: true, steps };
  }
  const notApproved = workflow.steps
    .map((_, i) => steps.find((s) => s.stepIndex === i))
    .findIndex((s) => s?.status !== 'approved');
  if (notApproved >= 0)
    throw new AppError(
      'invalid_state',
      `Not approved: step ${notApproved + 1} of workflow "${workflow.name}" is not approved`,
    );
  const last = steps.filter((s) => s.stepIndex < workflow.steps.length).at(-1)!;
  return { checksums: last.variantChecksums, autoApproved: false, steps };
}

function mismatch(problems: ReturnType<typeof checksumProblems>): AppError {
  const text = problems.map((p) => `${p.platform}: ${p.problem}`).join(', ');
  return new AppError('invalid_state', `The variants changed after approval (${text}); nothing was published`, {
    detail: { problems },
  });
}

/** Step 1: hashes the stored objects (outside any transaction: S3 reads take time). */
export async function verifyApprovedBytes(
  deps: Pick<ApprovalServices, 'db' | 'store'>,
  ref: RequestRef,
): Promise<void> {
  const { request, approved, variants } = await withTenant(deps.db, { orgId: ref.orgId }, async (tx) => {
    const request = await store.getRequest(tx, ref.requestId);
    if (!request || request.run !== ref.run)
      throw new AppError('invalid_state', `Run ${ref.run} of request ${ref.requestId} is not current`);
    if (request.status === 'published') return { request, approved: null, variants: [] };
    return {
      request,
      approved: await approvedChecksums(tx, request, ref.run),
      variants: await store.listVariants(tx, request.id, request.platforms),
    };
  });
  if (!approved || request.status === 'published') return;
  const actual: Record<string, string> = {};
  for (const v of variants)
    actual[v.platform] = createHash('sha256')
      .update(await deps.store.get(v.key))
      .digest('hex');
  const problems = checksumProblems(approved.checksums, actual);
  if (problems.length) throw mismatch(problems);
}

/** The event every consumer gets (bus detail and webhook body). */
export function publicationEvent(
  ref: RequestRef,
  request: store.RequestRow,
  manifest: PublishManifest,
  approved: Approved,
): WebhookBody & { organizationId: string } {
  return {
    id: publicationEventId(ref.requestId, manifest.variants),
    type: CONTENT_PUBLISHED,
    createdAt: manifest.publishedAt,
    organizationId: ref.orgId,
    data: {
      requestId: ref.requestId,
      organizationId: ref.orgId,
      brandId: request.brandId,
      run: ref.run,
      headline: request.brief.headline,
      publishedAt: manifest.publishedAt,
      autoApproved: approved.autoApproved,
      variants: manifest.variants.map((v) => ({
        platform: v.platform,
        key: v.s3Key,
        url: v.url,
        sha256: v.sha256,
        bytes: v.bytes,
        width: v.width,
        height: v.height,
        format: v.format,
      })),
      approvals: approved.steps.map((s) => ({
        step: s.stepName,
        stepIndex: s.stepIndex,
        outcome: s.status,
        decidedAt: s.decidedAt?.toISOString() ?? null,
      })),
    },
  };
}

/** Step 2: the hook run inside the transaction that marks the request published. */
export function onPublishedHook(): NonNullable<PipelineDeps['onPublished']> {
  return async (tx, ref, manifest) => {
    const request = await store.getRequest(tx, ref.requestId);
    if (!request) throw new AppError('not_found', 'The content request no longer exists');
    const approved = await approvedChecksums(tx, request, ref.run);
    const problems = checksumProblems(
      approved.checksums,
      Object.fromEntries(manifest.variants.map((v) => [v.platform, v.sha256])),
    );
    if (problems.length) throw mismatch(problems);
    const event = publicationEvent(ref, request, manifest, approved);
    const queued = await enqueueDeliveries(tx, ref.orgId, event);
    await audit(tx, systemActor(ref.orgId, 'publish'), {
      action: 'content_request.published',
      resourceType: 'content_request',
      resourceId: ref.requestId,
      details: {
        run: ref.run,
        eventId: event.id,
        variants: manifest.variants.length,
        webhooks: queued,
        autoApproved: approved.autoApproved,
      },
    });
  };
}

/** Step 3 (also safe to repeat: same event id; consumers and deliveries dedupe on it). */
export async function announcePublication(
  deps: Pick<ApprovalServices, 'db' | 'events'>,
  ref: RequestRef,
  manifest: PublishManifest,
): Promise<string> {
  const { request, approved } = await withTenant(deps.db, { orgId: ref.orgId }, async (tx) => {
    const request = (await store.getRequest(tx, ref.requestId))!;
    return { request, approved: await approvedChecksums(tx, request, ref.run) };
  });
  const event = publicationEvent(ref, request, manifest, approved);
  await deps.events.publish({
    id: event.id,
    type: CONTENT_PUBLISHED,
    organizationId: ref.orgId,
    occurredAt: event.createdAt,
    data: event.data,
  });
  return event.id;
}

/**
 * The publish task: verify bytes, publish (the pipeline's use case with the hook), announce.
 * `publish` is functions/app/pipeline/tasks.ts `publish`, passed in to keep the dependency one-way.
 */
export async function publishApproved(
  deps: PipelineDeps,
  ref: RequestRef,
  publish: (deps: PipelineDeps, ref: RequestRef) => Promise<PublishManifest>,
  approvals: Pick<ApprovalServices, 'db' | 'store' | 'events'>,
): Promise<PublishManifest> {
  await verifyApprovedBytes(approvals, ref);
  const manifest = await publish({ ...deps, onPublished: onPublishedHook() }, ref);
  await announcePublication(approvals, ref, manifest);
  return manifest;
}
