/**
 * The workflow's task use cases, one per Lambda handler. Each is idempotent for its (request,
 * run): re-running it — a Step Functions retry, a re-delivered invocation or a whole re-drive —
 * reuses what exists (the sourced image is never bought twice), overwrites deterministic S3 keys
 * and upserts rows (variants never duplicate), and never repeats a side effect that already
 * happened (publishing, rejection, failure records).
 */
import { createHash } from 'node:crypto';
import { withTenant, type Db, type Tx } from '../../adapters/db/client.js';
import { readyAssetKey } from '../../adapters/db/stores/asset-store.js';
import { findBrandById, type BrandRow } from '../../adapters/db/stores/brand-store.js';
import {
  closeStep,
  failOpenSteps,
  findBrokenStep,
  insertStepOnce,
  selectRequestForUpdate,
  setRequestCompliance,
} from '../../adapters/db/stores/request-step-store.js';
import {
  listGeneratedAssets,
  setAssetCompliance,
  type GeneratedAssetRow,
} from '../../adapters/db/stores/sourcing-store.js';
import { findTemplateById, firstActiveTemplate } from '../../adapters/db/stores/template-store.js';
import { listVariantsOf, saveVariant } from '../../adapters/db/stores/variant-store.js';
import { findWorkflowRouting } from '../../adapters/db/stores/workflow-store.js';
import {
  brandKitSchema,
  templateLayersSchema,
  type BrandKitInput,
  type TemplateLayers,
} from '../../domain/brand-types.js';
import type { ComplianceResult, Finding } from '../../domain/compliance/index.js';
import {
  failureFrom,
  routeAfterCompliance,
  stateLabel,
  type RequestRef,
  type RouteOutcome,
  type VariantRef,
} from '../../domain/pipeline.js';
import { contentTypeFor, platformName, type OutputFormat, type PlatformName } from '../../domain/platforms.js';
import { masterKey, publishedKey, variantKey } from '../../domain/rendering/keys.js';
import { isTerminal } from '../../domain/request-status.js';
import { aspectGroups, aspectOf, assetFor } from '../../domain/sourcing-plan.js';
import { AppError } from '../../shared/errors.js';
import type { ImageSource } from '../../adapters/freepik/image-source.js';
import type { PipelineDeps, PublishManifest } from './ports.js';
import { sourceForRequest, type GroupOutcome } from './sourcing.js';
import { lockRequest, moveStatus, runStep, type RequestRow } from './steps.js';

type AssetRow = GeneratedAssetRow;

export { sourceKey } from './sourcing.js';

/**
 * Used when a request names no template and its brand has none: headline, body and call to action
 * stacked over a brand-colour gradient, in the lower part of square and tall formats and down the
 * left side of wide ones. Every field of the brief shows. The logo goes top right, over the photo:
 * away from the text, and not on the brand colour it is often drawn in.
 */
export const FALLBACK_TEMPLATE: TemplateLayers = templateLayersSchema.parse({
  overlay: { kind: 'gradient', colorRole: 'primary', opacity: 0.85 },
  headline: {
    box: { default: { x: 0.06, y: 0.5, w: 0.88, h: 0.22 }, wide: { x: 0, y: 0.1, w: 0.6, h: 0.4 } },
    colorRole: 'background',
    minSize: 32,
    maxSize: 80,
    maxLines: 3,
    weight: 'bold',
  },
  body: {
    box: { default: { x: 0.06, y: 0.73, w: 0.88, h: 0.13 }, wide: { x: 0, y: 0.52, w: 0.6, h: 0.26 } },
    colorRole: 'background',
    minSize: 18,
    maxSize: 32,
    maxLines: 3,
    weight: 'regular',
  },
  cta: {
    box: { default: { x: 0.06, y: 0.88, w: 0.6, h: 0.09 }, wide: { x: 0, y: 0.8, w: 0.5, h: 0.15 } },
    colorRole: 'secondary',
    minSize: 20,
    maxSize: 36,
    maxLines: 1,
    weight: 'bold',
  },
  logo: { enabled: true, placement: 'top-right' },
});

const brandKit = (b: BrandRow): BrandKitInput => ({
  colors: b.colors,
  fonts: b.fonts,
  logo: b.logo,
  voiceRules: b.voiceRules,
  complianceThresholds: b.complianceThresholds,
});

function platformsOf(req: RequestRow): PlatformName[] {
  return req.platforms.map((p) => {
    const r = platformName.safeParse(p);
    if (!r.success) throw new AppError('validation_failed', `Unknown platform "${p}"`);
    return r.data;
  });
}

async function loadBrand(tx: Tx, req: RequestRow): Promise<BrandRow> {
  const brand = await findBrandById(tx, req.brandId);
  if (!brand || brand.deletedAt) throw new AppError('invalid_state', 'The brand of this request was deleted');
  return brand;
}

async function loadTemplate(tx: Tx, req: RequestRow): Promise<TemplateLayers> {
  const tpl = req.templateId ? await findTemplateById(tx, req.templateId) : await firstActiveTemplate(tx, req.brandId);
  if (req.templateId && (!tpl || tpl.deletedAt))
    throw new AppError('invalid_state', 'The template of this request was deleted');
  return tpl ? templateLayersSchema.parse(tpl.layers) : FALLBACK_TEMPLATE;
}

/** One short transaction as the request's tenant (reads and writes alike; work outside it takes seconds). */
const inTenantTx = <T>(db: Db, ref: RequestRef, fn: (tx: Tx) => Promise<T>) => withTenant(db, { orgId: ref.orgId }, fn);

/** An image of the request with the requested presets it serves (its layout groups'). */
interface AssetInUse {
  asset: AssetRow;
  platforms: PlatformName[];
}

/**
 * The sourced images the request's presets render from: per layout group, the image bought for
 * it, else one that covers it. Empty when nothing was sourced; throws when a group has none.
 */
async function assetsInUse(tx: Tx, request: RequestRow): Promise<AssetInUse[]> {
  const assets = await listGeneratedAssets(tx, request.id);
  if (assets.length === 0) return [];
  const out: AssetInUse[] = [];
  for (const g of aspectGroups(platformsOf(request))) {
    const asset = assetFor(assets, g.aspect);
    if (!asset) throw new AppError('invalid_state', `No sourced image for ${g.platforms.join(', ')}`);
    const seen = out.find((u) => u.asset.id === asset.id);
    if (seen) seen.platforms.push(...g.platforms);
    else out.push({ asset, platforms: [...g.platforms] });
  }
  return out;
}

const masterOf = (ref: RequestRef, asset: AssetRow, format: OutputFormat) =>
  masterKey({ orgId: ref.orgId, requestId: ref.requestId, format, aspect: asset.aspectGroup });

// ---- Validate brief -----------------------------------------------------------------------------

export interface ValidateResult {
  decision: ComplianceResult['decision'];
  score: number;
}

/** Copy checks before anything is paid for; a brief that cannot pass is rejected here. */
export function validateBrief(deps: PipelineDeps, ref: RequestRef): Promise<ValidateResult> {
  return runStep(deps.db, ref, 'validate', async ({ request }) => {
    const platforms = platformsOf(request);
    if (platforms.length === 0) throw new AppError('validation_failed', 'The request names no platform');
    const { brand, template } = await inTenantTx(deps.db, ref, async (tx) => ({
      brand: await loadBrand(tx, request),
      template: await loadTemplate(tx, request),
    }));
    const result = deps.imaging.checkBrief({ brief: request.brief, brand: brandKit(brand), platforms, template });
    // An error in the copy (banned word, missing disclaimer or required hashtag, post text over a
    // platform's limit) is one no image can fix: the request ends here, before anything is paid,
    // whatever the score. A check the brand weighted 0 is switched off.
    const weights = brandKitSchema.parse(brandKit(brand)).complianceThresholds.weights;
    const blocking = result.findings.filter((f) => f.severity === 'error' && (weights[f.check] ?? 1) > 0);
    const decision = blocking.length > 0 ? 'reject' : result.decision;
    await inTenantTx(deps.db, ref, (tx) =>
      setRequestCompliance(tx, ref.requestId, {
        stage: 'brief',
        ...result,
        decision,
        blocking: blocking.map((f) => f.check),
      }),
    );
    return {
      result: { decision, score: result.score },
      detail: {
        score: result.score,
        decision,
        findings: result.findings.length,
        ...(blocking.length ? { blocking: blocking.map((f) => f.check) } : {}),
      },
    };
  });
}

// ---- Source image -------------------------------------------------------------------------------

export interface SourceResult {
  reused: boolean;
  groups: Array<Pick<GroupOutcome, 'aspect' | 'status'>>;
}

/**
 * One image per layout group the request needs (functions/app/pipeline/sourcing.ts); a re-drive
 * finds the stored ones and pays nothing. `deadline`: when the invocation must be done by (the
 * Lambda's remaining time less a margin); Freepik calls and Mystic polling stop before it.
 */
export function sourceImage(
  deps: PipelineDeps,
  ref: RequestRef,
  opts: { deadline?: number } = {},
): Promise<SourceResult> {
  return runStep<SourceResult>(deps.db, ref, 'source', async ({ request }) => {
    const brand = await inTenantTx(deps.db, ref, (tx) => loadBrand(tx, request));
    let source: ImageSource | undefined;
    const outcome = await sourceForRequest(
      {
        db: deps.db,
        store: deps.store,
        imaging: deps.imaging,
        // Created only when something must be bought: a re-drive needs no Freepik configuration.
        get imageSource() {
          return (source ??= deps.imageSource());
        },
      },
      {
        ref,
        brandId: request.brandId,
        spec: request.imageSpec,
        platforms: platformsOf(request),
        brand: brandKitSchema.parse(brandKit(brand)),
        deadline: opts.deadline,
      },
    );
    const groups = outcome.groups.map((g) => ({ aspect: g.aspect, status: g.status }));
    return {
      result: { reused: outcome.reused, groups },
      detail: {
        reused: outcome.reused,
        groups: groups.map((g) => `${g.aspect}:${g.status}`),
        ...(outcome.reused
          ? {}
          : {
              provider: 'freepik',
              downloads: outcome.downloads,
              generations: outcome.generations,
              credits: outcome.credits,
              costUsd: Math.round(outcome.costUsd * 1e6) / 1e6,
            }),
      },
    };
  });
}

// ---- Compose master -----------------------------------------------------------------------------

export function composeMaster(deps: PipelineDeps, ref: RequestRef): Promise<{ keys: string[] }> {
  return runStep(deps.db, ref, 'compose', async ({ request }) => {
    const { inUse, brand } = await inTenantTx(deps.db, ref, async (tx) => ({
      inUse: await assetsInUse(tx, request),
      brand: await loadBrand(tx, request),
    }));
    if (inUse.length === 0) throw new AppError('invalid_state', 'No sourced image to compose from');
    const masters = [];
    for (const { asset, platforms } of inUse) {
      const source = await deps.store.get(asset.s3Key);
      const master = await deps.imaging.composeMaster({ source, brand: brandKit(brand), platforms });
      const key = masterOf(ref, asset, deps.imaging.masterFormat);
      await deps.store.put(key, master.bytes, master.contentType);
      masters.push({
        key,
        aspect: asset.aspectGroup,
        width: master.width,
        height: master.height,
        bytes: master.bytes.length,
      });
    }
    return { result: { keys: masters.map((m) => m.key) }, detail: { masters: masters.map(({ key: _k, ...m }) => m) } };
  });
}

// ---- Check compliance (master) ------------------------------------------------------------------

export interface CheckResult {
  decision: ComplianceResult['decision'];
  score: number;
  platforms: PlatformName[];
}

export function checkMaster(deps: PipelineDeps, ref: RequestRef): Promise<CheckResult> {
  return runStep(deps.db, ref, 'check', async ({ request }) => {
    const platforms = platformsOf(request);
    const { inUse, brand, template } = await inTenantTx(deps.db, ref, async (tx) => ({
      inUse: await assetsInUse(tx, request),
      brand: await loadBrand(tx, request),
      template: await loadTemplate(tx, request),
    }));
    if (inUse.length === 0) throw new AppError('invalid_state', 'No sourced image to check');
    const kit = brandKit(brand);
    // Each master is checked for the presets it serves: a story's resolution against its tall image.
    const results: Array<{ asset: AssetRow; result: ComplianceResult }> = [];
    for (const { asset, platforms: served } of inUse) {
      const master = await deps.store.get(masterOf(ref, asset, deps.imaging.masterFormat));
      results.push({
        asset,
        result: await deps.imaging.checkMaster({ master, license: asset.license, brand: kit, platforms: served }),
      });
    }
    // The decision so far covers the brief too: a brief finding plus a master finding may reject.
    const brief = deps.imaging.checkBrief({ brief: request.brief, brand: kit, platforms, template });
    const sofar = deps.imaging.summarize([...brief.findings, ...results.flatMap((r) => r.result.findings)], kit, [
      'brief',
      'master',
    ]);
    await inTenantTx(deps.db, ref, async (tx) => {
      for (const { asset, result } of results) await setAssetCompliance(tx, asset.id, result);
      await setRequestCompliance(tx, ref.requestId, { stage: 'master', ...sofar });
    });
    return {
      result: { decision: sofar.decision, score: sofar.score, platforms },
      detail: {
        score: sofar.score,
        decision: sofar.decision,
        masterScore: Math.min(...results.map((r) => r.result.score)),
      },
    };
  });
}

// ---- Render variant (one Map iteration) ---------------------------------------------------------

export interface VariantResult {
  platform: string;
  key: string;
  score: number;
  decision: string;
}

export function renderVariant(deps: PipelineDeps, ref: VariantRef): Promise<VariantResult> {
  const platform = platformName.safeParse(ref.platform);
  if (!platform.success) return Promise.reject(new AppError('validation_failed', `Unknown platform "${ref.platform}"`));
  return runStep(deps.db, ref, `render:${platform.data}`, async ({ request }) => {
    const { asset, brand, template, logoKey } = await inTenantTx(deps.db, ref, async (tx) => {
      const b = await loadBrand(tx, request);
      const logoId = b.logo?.assetId;
      const logoKey = logoId ? await readyAssetKey(tx, logoId) : undefined;
      const assets = await listGeneratedAssets(tx, ref.requestId);
      return {
        asset: assetFor(assets, aspectOf(platform.data)),
        brand: b,
        template: await loadTemplate(tx, request),
        logoKey,
      };
    });
    if (!asset) throw new AppError('invalid_state', 'No sourced image to render from');
    const [master, logo] = await Promise.all([
      deps.store.get(masterOf(ref, asset, deps.imaging.masterFormat)),
      logoKey ? deps.store.get(logoKey).catch(() => null) : Promise.resolve(null),
    ]);
    const { image, compliance, adjustments } = await deps.imaging.renderVariant({
      master,
      platform: platform.data,
      brand: brandKit(brand),
      template,
      brief: request.brief,
      logo,
    });
    const key = variantKey({
      orgId: ref.orgId,
      requestId: ref.requestId,
      platform: platform.data,
      format: image.format,
    });
    await deps.store.put(key, image.bytes, image.contentType);
    const sha256 = createHash('sha256').update(image.bytes).digest('hex');
    const row = {
      organizationId: ref.orgId,
      requestId: ref.requestId,
      generatedAssetId: asset.id,
      platform: platform.data,
      width: image.width,
      height: image.height,
      format: image.format,
      bytes: image.bytes.length,
      sha256,
      s3Key: key,
      complianceScore: compliance.score,
      complianceDecision: compliance.decision,
      findings: compliance.findings,
      adjustments,
    };
    await inTenantTx(deps.db, ref, (tx) => saveVariant(tx, row));
    return {
      result: { platform: platform.data, key, score: compliance.score, decision: compliance.decision },
      detail: {
        bytes: image.bytes.length,
        width: image.width,
        height: image.height,
        score: compliance.score,
        decision: compliance.decision,
      },
    };
  });
}

// ---- Decide -------------------------------------------------------------------------------------

export interface DecideResult {
  outcome: RouteOutcome;
  decision: ComplianceResult['decision'];
  score: number;
}

/** Scores brief + master + variants together and picks the route (reject / approval / auto-approve). */
export function decide(deps: PipelineDeps, ref: RequestRef): Promise<DecideResult> {
  return runStep(deps.db, ref, 'decide', async ({ request }) => {
    const platforms = platformsOf(request);
    const ctx = await inTenantTx(deps.db, ref, async (tx) => {
      const brand = await loadBrand(tx, request);
      const inUse = await assetsInUse(tx, request);
      const variants = await listVariantsOf(
        tx,
        inUse.map((u) => u.asset.id),
        platforms,
      );
      const workflowId = request.workflowId ?? brand.defaultWorkflowId;
      const workflow = workflowId ? await findWorkflowRouting(tx, workflowId) : undefined;
      return { brand, inUse, variants, workflow, template: await loadTemplate(tx, request) };
    });
    if (ctx.inUse.length === 0) throw new AppError('invalid_state', 'No sourced image to decide on');
    const kit = brandKit(ctx.brand);
    const brief = deps.imaging.checkBrief({ brief: request.brief, brand: kit, platforms, template: ctx.template });
    const masterFindings = ctx.inUse.flatMap((u) => (u.asset.findings ?? []) as Finding[]);
    const rendered = ctx.variants.length > 0;
    const findings = [
      ...brief.findings,
      ...masterFindings,
      ...ctx.variants.flatMap((v) => (v.findings ?? []) as Finding[]),
    ];
    const final = deps.imaging.summarize(
      findings,
      kit,
      rendered ? ['brief', 'master', 'variant'] : ['brief', 'master'],
    );
    // Variants are skipped only for a master that already rejects; anything else needs them all.
    if (final.decision !== 'reject' && ctx.variants.length < platforms.length) {
      const missing = platforms.filter((p) => !ctx.variants.some((v) => v.platform === p));
      throw new AppError('invalid_state', `Variants missing for ${missing.join(', ')}`);
    }
    const decision = final.decision;
    const outcome = routeAfterCompliance(decision, ctx.workflow?.isActive ? ctx.workflow : null);
    await inTenantTx(deps.db, ref, async (tx) => {
      const req = await lockRequest(tx, ref);
      await moveStatus(tx, req, outcome === 'auto_approve' ? 'approved' : req.status, {
        compliance: { stage: 'final', ...final, decision },
      });
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
    await insertStepOnce(tx, ref, 'publish', { status: 'started' });
    const inUse = await assetsInUse(tx, req);
    const variants = await listVariantsOf(
      tx,
      inUse.map((u) => u.asset.id),
      req.platforms,
      { byPlatform: true },
    );
    if (variants.length === 0) throw new AppError('invalid_state', 'Nothing to publish: no variants were rendered');
    // Copies under published/ (the only prefix CloudFront serves), named by content: a retried
    // Publish copies onto the same keys. Done before the status changes, so `published` is never
    // committed with an image missing; a failed copy rolls back and the task is retried.
    const published = await Promise.all(
      variants.map(async (v) => {
        const format = v.format as OutputFormat;
        const key = publishedKey({
          orgId: ref.orgId,
          requestId: ref.requestId,
          platform: v.platform,
          format,
          sha256: v.sha256,
        });
        await deps.store.copy(v.s3Key, key, {
          contentType: contentTypeFor(format),
          cacheControl: 'public, max-age=31536000, immutable',
        });
        return { key, url: deps.store.publicUrl(key) };
      }),
    );
    const publishedAt = new Date();
    const manifest: PublishManifest = {
      requestId: ref.requestId,
      run: ref.run,
      publishedAt: publishedAt.toISOString(),
      variants: variants.map((v, i) => ({
        platform: v.platform,
        s3Key: v.s3Key,
        sha256: v.sha256,
        bytes: v.bytes,
        width: v.width,
        height: v.height,
        format: v.format,
        publishedKey: published[i].key,
        url: published[i].url,
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
  const r = c as (Partial<ComplianceResult> & { stage?: string; blocking?: string[] }) | null;
  if (!r || typeof r.score !== 'number') return 'Rejected by the compliance check';
  if (r.stage === 'brief' && r.blocking?.length) {
    // Stopped before any image was bought: say what to change, in the findings' own words.
    const errors = (r.findings ?? []).filter((f) => f.severity === 'error' && r.blocking!.includes(f.check));
    const fixes = errors.map((f) => `${f.message.trim()} Fix: ${f.fixHint.trim()}`).join(' ');
    return `The brief cannot be published as written, so no image was bought. ${fixes}`.slice(0, 1000);
  }
  const worst = (r.findings ?? [])
    .filter((f) => f.severity === 'error')
    .slice(0, 3)
    .map((f) => f.message.trim().replace(/\.+$/, ''));
  return `${[`Compliance score ${r.score} is below the brand's auto-reject threshold`, ...worst].join('. ')}.`.slice(
    0,
    1000,
  );
}

export function recordRejection(
  deps: PipelineDeps,
  input: RejectionInput,
): Promise<{ status: string; reason: string }> {
  const ref = { orgId: input.orgId, requestId: input.requestId, run: input.run };
  return withTenant(deps.db, { orgId: ref.orgId }, async (tx) => {
    const req = await lockRequest(tx, ref, { allowTerminal: true });
    if ((req.status === 'rejected' || req.status === 'changes_requested') && req.rejectionReason) {
      return { status: req.status, reason: req.rejectionReason };
    }
    if (isTerminal(req.status)) throw new AppError('invalid_state', `The request is already ${req.status}`);
    const byReviewer = !!input.approval?.decision;
    const status =
      input.approval?.decision === 'changes_requested' ? ('changes_requested' as const) : ('rejected' as const);
    const reason = (
      input.approval?.reason?.trim() || (byReviewer ? `Rejected by a reviewer` : complianceReason(req.compliance))
    ).slice(0, 1000);
    if (byReviewer) await closeStep(tx, ref, 'await_approval', 'succeeded', { decision: status });
    await insertStepOnce(tx, ref, 'reject', {
      status: 'succeeded',
      finishedAt: new Date(),
      durationMs: 0,
      detail: { status, by: byReviewer ? 'reviewer' : 'compliance' },
    });
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
export function recordFailure(
  deps: Pick<PipelineDeps, 'db'>,
  input: FailureInput,
): Promise<{ error: string; cause: string }> {
  const ref = { orgId: input.orgId, requestId: input.requestId, run: input.run };
  return withTenant(deps.db, { orgId: ref.orgId }, async (tx) => {
    const req = await selectRequestForUpdate(tx, ref);
    const step = await findBrokenStep(tx, ref);
    const failure = failureFrom(input.error ?? undefined, step ? stateLabel(step.step) : 'Workflow');
    const answer = { error: failure.error, cause: `${failure.state}: ${failure.message}` };
    if (!req || req.run !== ref.run || isTerminal(req.status)) return answer;
    await failOpenSteps(tx, ref);
    await moveStatus(tx, req, 'failed', { failure });
    return answer;
  });
}
