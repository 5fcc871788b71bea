/**
 * The workflow's task use cases, one per Lambda handler. Each is idempotent for its (request,
 * run): re-running it — a Step Functions retry, a re-delivered invocation or a whole re-drive —
 * reuses what exists (the sourced image is never bought twice), overwrites deterministic S3 keys
 * and upserts rows (variants never duplicate), and never repeats a side effect that already
 * happened (publishing, rejection, failure records).
 */
import { createHash } from 'node:crypto';
import { and, asc, desc, eq, inArray, isNull, or, sql } from 'drizzle-orm';
import {
  approvalWorkflows, assetVariants, brandAssets, brandProfiles, contentRequests, contentTemplates, generatedAssets, requestSteps,
} from '../../../db/schema/index.js';
import { withTenant, type Db, type Tx } from '../../adapters/db/client.js';
import { templateLayersSchema, type BrandKitInput, type Brief, type TemplateLayers } from '../../domain/brand-types.js';
import type { ComplianceResult, Finding } from '../../domain/compliance/index.js';
import { failureFrom, routeAfterCompliance, stateLabel, type RequestRef, type RouteOutcome, type VariantRef } from '../../domain/pipeline.js';
import { contentTypeFor, PLATFORM_PRESETS, platformName, type OutputFormat, type PlatformName } from '../../domain/platforms.js';
import { masterKey, publishedKey, variantKey } from '../../domain/rendering/keys.js';
import { isTerminal } from '../../domain/request-status.js';
import type { Aspect } from '../../domain/sourcing.js';
import { AppError } from '../../shared/errors.js';
import type { PipelineDeps, PublishManifest } from './ports.js';
import { closeStep, lockRequest, moveStatus, runStep, type RequestRow } from './steps.js';

type BrandRow = typeof brandProfiles.$inferSelect;

/** The sourced image's key: tenant-namespaced and deterministic, so a re-drive finds it. */
export const sourceKey = (orgId: string, requestId: string, contentType: string) =>
  `orgs/${orgId}/requests/${requestId}/source.${contentType === 'image/png' ? 'png' : contentType === 'image/webp' ? 'webp' : 'jpg'}`;

/** Used when a request names no template and its brand has none. */
export const FALLBACK_TEMPLATE: TemplateLayers = templateLayersSchema.parse({
  overlay: { kind: 'gradient', colorRole: 'primary', opacity: 0.85 },
  headline: { box: { default: { x: 0.06, y: 0.68, w: 0.88, h: 0.24 } }, colorRole: 'background' },
  logo: { enabled: true },
});

const brandKit = (b: BrandRow): BrandKitInput => ({
  colors: b.colors, fonts: b.fonts, logo: b.logo, voiceRules: b.voiceRules, complianceThresholds: b.complianceThresholds,
});

function platformsOf(req: RequestRow): PlatformName[] {
  return req.platforms.map((p) => {
    const r = platformName.safeParse(p);
    if (!r.success) throw new AppError('validation_failed', `Unknown platform "${p}"`);
    return r.data;
  });
}

/** The layout most of the requested platforms use: the source image is bought for it. */
export function aspectFor(platforms: PlatformName[]): Aspect {
  const count: Record<Aspect, number> = { square: 0, tall: 0, wide: 0 };
  for (const p of platforms) count[PLATFORM_PRESETS[p].layout]++;
  return (['square', 'tall', 'wide'] as const).reduce((best, a) => (count[a] > count[best] ? a : best), 'square' as Aspect);
}

async function loadBrand(tx: Tx, req: RequestRow): Promise<BrandRow> {
  const [brand] = await tx.select().from(brandProfiles).where(eq(brandProfiles.id, req.brandId));
  if (!brand || brand.deletedAt) throw new AppError('invalid_state', 'The brand of this request was deleted');
  return brand;
}

async function loadTemplate(tx: Tx, req: RequestRow): Promise<TemplateLayers> {
  const [tpl] = req.templateId
    ? await tx.select().from(contentTemplates).where(eq(contentTemplates.id, req.templateId))
    : await tx.select().from(contentTemplates)
      .where(and(eq(contentTemplates.brandId, req.brandId), eq(contentTemplates.isActive, true), isNull(contentTemplates.deletedAt)))
      .orderBy(asc(contentTemplates.createdAt)).limit(1);
  if (req.templateId && (!tpl || tpl.deletedAt)) throw new AppError('invalid_state', 'The template of this request was deleted');
  return tpl ? templateLayersSchema.parse(tpl.layers) : FALLBACK_TEMPLATE;
}

const read = <T>(db: Db, ref: RequestRef, fn: (tx: Tx) => Promise<T>) => withTenant(db, { orgId: ref.orgId }, fn);

async function generatedAssetOf(tx: Tx, requestId: string) {
  const [asset] = await tx.select().from(generatedAssets).where(eq(generatedAssets.requestId, requestId));
  return asset;
}

// ---- Validate brief -----------------------------------------------------------------------------

export interface ValidateResult { decision: ComplianceResult['decision']; score: number }

/** Copy checks before anything is paid for; a brief that cannot pass is rejected here. */
export function validateBrief(deps: PipelineDeps, ref: RequestRef): Promise<ValidateResult> {
  return runStep(deps.db, ref, 'validate', async ({ request }) => {
    const platforms = platformsOf(request);
    if (platforms.length === 0) throw new AppError('validation_failed', 'The request names no platform');
    const { brand, template } = await read(deps.db, ref, async (tx) => ({ brand: await loadBrand(tx, request), template: await loadTemplate(tx, request) }));
    const result = deps.imaging.checkBrief({ brief: request.brief, brand: brandKit(brand), platforms, template });
    await read(deps.db, ref, (tx) => tx.update(contentRequests).set({ compliance: { stage: 'brief', ...result }, updatedAt: new Date() })
      .where(eq(contentRequests.id, ref.requestId)));
    return { result: { decision: result.decision, score: result.score }, detail: { score: result.score, decision: result.decision, findings: result.findings.length } };
  });
}

// ---- Source image -------------------------------------------------------------------------------

/** Up to 6 attempts over ~8 s (250 ms doubling): outlasts an S3 blip or a restart of s3rver. */
async function patiently<T>(fn: () => Promise<T>, attempts = 6, baseMs = 250): Promise<T> {
  for (let i = 1; ; i++) {
    try {
      return await fn();
    } catch (e) {
      if (i >= attempts) throw e;
      await new Promise((r) => setTimeout(r, baseMs * 2 ** (i - 1)));
    }
  }
}

export interface SourceResult { reused: boolean; sha256: string }

/** Buys the image once per request: a re-drive finds the stored asset and pays nothing. */
export function sourceImage(deps: PipelineDeps, ref: RequestRef): Promise<SourceResult> {
  return runStep<SourceResult>(deps.db, ref, 'source', async ({ request }) => {
    const existing = await read(deps.db, ref, (tx) => generatedAssetOf(tx, ref.requestId));
    if (existing && (await deps.store.head(existing.s3Key))) {
      return { result: { reused: true, sha256: existing.sha256 }, detail: { reused: true, provider: existing.provider } };
    }
    const img = await deps.imageSource().source({
      orgId: ref.orgId, requestId: ref.requestId, spec: request.imageSpec, aspect: aspectFor(platformsOf(request)),
    });
    const key = sourceKey(ref.orgId, ref.requestId, img.contentType);
    // Stored at once: provider URLs expire and the bytes were paid for. Patiently: if the put
    // failed, a retry of this task would buy the image again (an S3 blip did exactly that).
    await patiently(() => deps.store.put(key, img.bytes, img.contentType, { sha256: img.sha256 }));
    const row = {
      organizationId: ref.orgId, requestId: ref.requestId, brandId: request.brandId,
      source: request.imageSpec.source, provider: 'freepik', providerResourceId: img.providerResourceId ?? null,
      providerTaskId: img.providerTaskId ?? null, license: img.license, s3Key: key, contentType: img.contentType,
      width: img.width, height: img.height, bytes: img.bytes.length, sha256: img.sha256,
    };
    await read(deps.db, ref, (tx) => tx.insert(generatedAssets).values(row).onConflictDoUpdate({
      target: generatedAssets.requestId,
      set: { ...row, complianceScore: null, complianceDecision: null, findings: null, updatedAt: new Date() },
    }));
    return {
      result: { reused: false, sha256: img.sha256 },
      detail: { reused: false, provider: 'freepik', credits: img.creditsSpent, bytes: img.bytes.length, width: img.width, height: img.height },
    };
  });
}

// ---- Compose master -----------------------------------------------------------------------------

export function composeMaster(deps: PipelineDeps, ref: RequestRef): Promise<{ key: string }> {
  return runStep(deps.db, ref, 'compose', async ({ request }) => {
    const { asset, brand } = await read(deps.db, ref, async (tx) => ({ asset: await generatedAssetOf(tx, ref.requestId), brand: await loadBrand(tx, request) }));
    if (!asset) throw new AppError('invalid_state', 'No sourced image to compose from');
    const source = await deps.store.get(asset.s3Key);
    const master = await deps.imaging.composeMaster({ source, brand: brandKit(brand), platforms: platformsOf(request) });
    const key = masterKey({ orgId: ref.orgId, requestId: ref.requestId, format: deps.imaging.masterFormat });
    await deps.store.put(key, master.bytes, master.contentType);
    return { result: { key }, detail: { width: master.width, height: master.height, bytes: master.bytes.length } };
  });
}

// ---- Check compliance (master) ------------------------------------------------------------------

export interface CheckResult { decision: ComplianceResult['decision']; score: number; platforms: PlatformName[] }

export function checkMaster(deps: PipelineDeps, ref: RequestRef): Promise<CheckResult> {
  return runStep(deps.db, ref, 'check', async ({ request }) => {
    const platforms = platformsOf(request);
    const { asset, brand, template } = await read(deps.db, ref, async (tx) => ({
      asset: await generatedAssetOf(tx, ref.requestId), brand: await loadBrand(tx, request), template: await loadTemplate(tx, request),
    }));
    if (!asset) throw new AppError('invalid_state', 'No sourced image to check');
    const master = await deps.store.get(masterKey({ orgId: ref.orgId, requestId: ref.requestId, format: deps.imaging.masterFormat }));
    const kit = brandKit(brand);
    const masterResult = await deps.imaging.checkMaster({ master, license: asset.license, brand: kit, platforms });
    // The decision so far covers the brief too: a brief finding plus a master finding may reject.
    const brief = deps.imaging.checkBrief({ brief: request.brief, brand: kit, platforms, template });
    const sofar = deps.imaging.summarize([...brief.findings, ...masterResult.findings], kit, ['brief', 'master']);
    await read(deps.db, ref, async (tx) => {
      await tx.update(generatedAssets).set({
        complianceScore: masterResult.score, complianceDecision: masterResult.decision, findings: masterResult.findings, updatedAt: new Date(),
      }).where(eq(generatedAssets.id, asset.id));
      await tx.update(contentRequests).set({ compliance: { stage: 'master', ...sofar }, updatedAt: new Date() }).where(eq(contentRequests.id, ref.requestId));
    });
    return {
      result: { decision: sofar.decision, score: sofar.score, platforms },
      detail: { score: sofar.score, decision: sofar.decision, masterScore: masterResult.score },
    };
  });
}

// ---- Render variant (one Map iteration) ---------------------------------------------------------

export interface VariantResult { platform: string; key: string; score: number; decision: string }

export function renderVariant(deps: PipelineDeps, ref: VariantRef): Promise<VariantResult> {
  const platform = platformName.safeParse(ref.platform);
  if (!platform.success) return Promise.reject(new AppError('validation_failed', `Unknown platform "${ref.platform}"`));
  return runStep(deps.db, ref, `render:${platform.data}`, async ({ request }) => {
    const { asset, brand, template, logoKey } = await read(deps.db, ref, async (tx) => {
      const b = await loadBrand(tx, request);
      const logoId = b.logo?.assetId;
      const [logo] = logoId
        ? await tx.select({ s3Key: brandAssets.s3Key }).from(brandAssets)
          .where(and(eq(brandAssets.id, logoId), eq(brandAssets.status, 'ready'), isNull(brandAssets.deletedAt)))
        : [];
      return { asset: await generatedAssetOf(tx, ref.requestId), brand: b, template: await loadTemplate(tx, request), logoKey: logo?.s3Key };
    });
    if (!asset) throw new AppError('invalid_state', 'No sourced image to render from');
    const [master, logo] = await Promise.all([
      deps.store.get(masterKey({ orgId: ref.orgId, requestId: ref.requestId, format: deps.imaging.masterFormat })),
      logoKey ? deps.store.get(logoKey).catch(() => null) : Promise.resolve(null),
    ]);
    const { image, compliance, adjustments } = await deps.imaging.renderVariant({
      master, platform: platform.data, brand: brandKit(brand), template, brief: request.brief, logo,
    });
    const key = variantKey({ orgId: ref.orgId, requestId: ref.requestId, platform: platform.data, format: image.format });
    await deps.store.put(key, image.bytes, image.contentType);
    const sha256 = createHash('sha256').update(image.bytes).digest('hex');
    const row = {
      organizationId: ref.orgId, requestId: ref.requestId, generatedAssetId: asset.id, platform: platform.data,
      width: image.width, height: image.height, format: image.format, bytes: image.bytes.length, sha256, s3Key: key,
      complianceScore: compliance.score, complianceDecision: compliance.decision, findings: compliance.findings, adjustments,
    };
    await read(deps.db, ref, (tx) => tx.insert(assetVariants).values(row).onConflictDoUpdate({
      target: [assetVariants.generatedAssetId, assetVariants.platform], set: { ...row, updatedAt: new Date() },
    }));
    return {
      result: { platform: platform.data, key, score: compliance.score, decision: compliance.decision },
      detail: { bytes: image.bytes.length, width: image.width, height: image.height, score: compliance.score, decision: compliance.decision },
    };
  });
}

// ---- Decide -------------------------------------------------------------------------------------

export interface DecideResult { outcome: RouteOutcome; decision: ComplianceResult['decision']; score: number }

/** Scores brief + master + variants together and picks the route (reject / approval / auto-approve). */
export function decide(deps: PipelineDeps, ref: RequestRef): Promise<DecideResult> {
  return runStep(deps.db, ref, 'decide', async ({ request }) => {
    const platforms = platformsOf(request);
    const ctx = await read(deps.db, ref, async (tx) => {
      const brand = await loadBrand(tx, request);
      const asset = await generatedAssetOf(tx, ref.requestId);
      const variants = asset
        ? await tx.select().from(assetVariants).where(and(eq(assetVariants.generatedAssetId, asset.id), inArray(assetVariants.platform, platforms)))
        : [];
      const workflowId = request.workflowId ?? brand.defaultWorkflowId;
      const [workflow] = workflowId
        ? await tx.select({ allowAutoApprove: approvalWorkflows.allowAutoApprove, isActive: approvalWorkflows.isActive })
          .from(approvalWorkflows).where(eq(approvalWorkflows.id, workflowId))
        : [];
      return { brand, asset, variants, workflow, template: await loadTemplate(tx, request) };
    });
    if (!ctx.asset) throw new AppError('invalid_state', 'No sourced image to decide on');
    const kit = brandKit(ctx.brand);
    const brief = deps.imaging.checkBrief({ brief: request.brief, brand: kit, platforms, template: ctx.template });
    const masterFindings = (ctx.asset.findings ?? []) as Finding[];
    const rendered = ctx.variants.length > 0;
    const findings = [...brief.findings, ...masterFindings, ...ctx.variants.flatMap((v) => (v.findings ?? []) as Finding[])];
    const final = deps.imaging.summarize(findings, kit, rendered ? ['brief', 'master', 'variant'] : ['brief', 'master']);
    // Variants are skipped only for a master that already rejects; anything else needs them all.
    if (final.decision !== 'reject' && ctx.variants.length < platforms.length) {
      const missing = platforms.filter((p) => !ctx.variants.some((v) => v.platform === p));
      throw new AppError('invalid_state', `Variants missing for ${missing.join(', ')}`);
    }
    const decision = final.decision;
    const outcome = routeAfterCompliance(decision, ctx.workflow?.isActive ? ctx.workflow : null);
    await read(deps.db, ref, async (tx) => {
      const req = await lockRequest(tx, ref);
      await moveStatus(tx, req, outcome === 'auto_approve' ? 'approved' : req.status, { compliance: { stage: 'final', ...final, decision } });
    });
    return { result: { outcome, decision, score: final.score }, detail: { outcome, decision, score: final.score } };
  });
}

// ---- Publish ------------------------------------------------------------------------------------

export function publish(deps: PipelineDeps, ref: RequestRef): Promise<PublishManifest> {
  return withTenant(deps.db, { orgId: ref.orgId }, async (tx) => {
    let req = await lockRequest(tx, ref, { allowTerminal: true });
    // A re-delivered Publish after success: same answer, nothing sent again.
    if (req.status === 'published' && req.manifest) return req.manifest as PublishManifest;
    if (isTerminal(req.status)) throw new AppError('invalid_state', `The request is already ${req.status}`);
    if (req.status === 'awaiting_approval') {
      await closeStep(tx, ref, 'await_approval', 'succeeded', { decision: 'approved' });
      req = await moveStatus(tx, req, 'approved');
    }
    req = await moveStatus(tx, req, 'publishing');
    await tx.insert(requestSteps).values({ organizationId: ref.orgId, requestId: ref.requestId, run: ref.run, step: 'publish', status: 'started' })
      .onConflictDoNothing();
    const asset = await generatedAssetOf(tx, ref.requestId);
    const variants = asset
      ? await tx.select().from(assetVariants).where(and(eq(assetVariants.generatedAssetId, asset.id), inArray(assetVariants.platform, req.platforms)))
        .orderBy(asc(assetVariants.platform))
      : [];
    if (variants.length === 0) throw new AppError('invalid_state', 'Nothing to publish: no variants were rendered');
    // Copies under published/ (the only prefix CloudFront serves), named by content: a retried
    // Publish copies onto the same keys. Done before the status changes, so `published` is never
    // committed with an image missing; a failed copy rolls back and the task is retried.
    const published = await Promise.all(variants.map(async (v) => {
      const format = v.format as OutputFormat;
      const key = publishedKey({ orgId: ref.orgId, requestId: ref.requestId, platform: v.platform, format, sha256: v.sha256 });
      await deps.store.copy(v.s3Key, key, { contentType: contentTypeFor(format), cacheControl: 'public, max-age=31536000, immutable' });
      return { key, url: deps.store.publicUrl(key) };
    }));
    const publishedAt = new Date();
    const manifest: PublishManifest = {
      requestId: ref.requestId, run: ref.run, publishedAt: publishedAt.toISOString(),
      variants: variants.map((v, i) => ({
        platform: v.platform, s3Key: v.s3Key, sha256: v.sha256, bytes: v.bytes, width: v.width, height: v.height, format: v.format,
        publishedKey: published[i].key, url: published[i].url,
      })),
    };
    await moveStatus(tx, req, 'published', { manifest, publishedAt });
    await deps.onPublished?.(tx, ref, manifest);
    await closeStep(tx, ref, 'publish', 'succeeded', { variants: variants.length });
    return manifest;
  });
}

// ---- Record rejection ---------------------------------------------------------------------------

export interface RejectionInput extends RequestRef {
  /** Present when a reviewer decided (SendTaskSuccess output of the approval stage). */
  approval?: { decision?: string; reason?: string | null } | null;
}

function complianceReason(c: unknown): string {
  const r = c as Partial<ComplianceResult> | null;
  if (!r || typeof r.score !== 'number') return 'Rejected by the compliance check';
  const worst = (r.findings ?? []).filter((f) => f.severity === 'error').slice(0, 3).map((f) => f.message.trim().replace(/\.+$/, ''));
  return `${[`Compliance score ${r.score} is below the brand's auto-reject threshold`, ...worst].join('. ')}.`.slice(0, 1000);
}

export function recordRejection(deps: PipelineDeps, input: RejectionInput): Promise<{ status: string; reason: string }> {
  const ref = { orgId: input.orgId, requestId: input.requestId, run: input.run };
  return withTenant(deps.db, { orgId: ref.orgId }, async (tx) => {
    const req = await lockRequest(tx, ref, { allowTerminal: true });
    if ((req.status === 'rejected' || req.status === 'changes_requested') && req.rejectionReason) {
      return { status: req.status, reason: req.rejectionReason };
    }
    if (isTerminal(req.status)) throw new AppError('invalid_state', `The request is already ${req.status}`);
    const byReviewer = !!input.approval?.decision;
    const status = input.approval?.decision === 'changes_requested' ? 'changes_requested' as const : 'rejected' as const;
    const reason = (input.approval?.reason?.trim() || (byReviewer ? `Rejected by a reviewer` : complianceReason(req.compliance))).slice(0, 1000);
    if (byReviewer) await closeStep(tx, ref, 'await_approval', 'succeeded', { decision: status });
    await tx.insert(requestSteps).values({
      organizationId: ref.orgId, requestId: ref.requestId, run: ref.run, step: 'reject', status: 'succeeded',
      finishedAt: new Date(), durationMs: 0, detail: { status, by: byReviewer ? 'reviewer' : 'compliance' },
    }).onConflictDoNothing();
    await moveStatus(tx, req, status, { rejectionReason: reason });
    return { status, reason };
  });
}

// ---- Record failure -----------------------------------------------------------------------------

export interface FailureInput extends RequestRef {
  /** The Catch output: {Error, Cause}. */
  error?: { Error?: string; Cause?: unknown } | null;
}

/**
 * Stores {state, code, message} on the request and marks it failed — unless the request moved on
 * meanwhile (cancelled, or superseded by a newer run): then only the answer is returned.
 * Returns the error/cause for the Fail state.
 */
export function recordFailure(deps: Pick<PipelineDeps, 'db'>, input: FailureInput): Promise<{ error: string; cause: string }> {
  const ref = { orgId: input.orgId, requestId: input.requestId, run: input.run };
  return withTenant(deps.db, { orgId: ref.orgId }, async (tx) => {
    const [req] = await tx.select().from(contentRequests).where(eq(contentRequests.id, ref.requestId)).for('update');
    // The step that broke: the one that recorded a failure, else the one left open (timeouts).
    const [step] = await tx.select().from(requestSteps)
      .where(and(eq(requestSteps.requestId, ref.requestId), eq(requestSteps.run, ref.run), or(eq(requestSteps.status, 'failed'), eq(requestSteps.status, 'started'))))
      .orderBy(desc(requestSteps.startedAt)).limit(1);
    const failure = failureFrom(input.error ?? undefined, step ? stateLabel(step.step) : 'Workflow');
    const answer = { error: failure.error, cause: `${failure.state}: ${failure.message}` };
    if (!req || req.run !== ref.run || isTerminal(req.status)) return answer;
    await tx.update(requestSteps).set({
      status: 'failed', finishedAt: sql`clock_timestamp()`,
      durationMs: sql`greatest(0, round(extract(epoch from (clock_timestamp() - ${requestSteps.startedAt})) * 1000))::int`,
    }).where(and(eq(requestSteps.requestId, ref.requestId), eq(requestSteps.run, ref.run), eq(requestSteps.status, 'started')));
    await moveStatus(tx, req, 'failed', { failure });
    return answer;
  });
}
