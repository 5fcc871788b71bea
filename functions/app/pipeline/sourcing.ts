/**
 * "Source image" for a whole request: one image per layout group the request needs (tall, square,
 * wide), reusing one image for several groups when it covers them within the brand's maxUpscale.
 *
 * Stock: one search (free); per group, hits ranked by shape, then the free previews' palette
 * verdicts (the compliance engine's own palette check), licence and relevance; the original's
 * size read from the resource detail (free) before downloading; the downloaded bytes checked
 * again (resolution for the group, palette); on failure the next candidate, within a download
 * budget, after which the best image tried is kept and the compliance check reports it.
 * AI: per group the text-to-image size or Mystic resolution that covers its presets, in the
 * brand's colours. Every paid call checks the tenant's quota first and is metered with the request
 * id; what each group cost is recorded on request_sourcing (shown on GET content request).
 *
 * Idempotent: a group whose stored image still exists is never bought again; a Mystic task id is
 * stored before its result is awaited, so an attempt cut short by its deadline (the Lambda's
 * remaining time) resumes the same task on the state machine's retry instead of paying again.
 */
import { withTenant, type Db, type Tx } from '../../adapters/db/client.js';
import {
  listGeneratedAssets,
  listSourcingGroups,
  saveSourcingGroup,
  upsertGeneratedAsset,
  type GeneratedAssetRow,
} from '../../adapters/db/stores/sourcing-store.js';
import type { ImageSize, StockItem } from '../../adapters/freepik/client.js';
import type {
  ImageSource,
  SourcedImage,
  SourcingContext,
  StartedMystic,
  StylingColor,
} from '../../adapters/freepik/image-source.js';
import type { ObjectStore } from '../../adapters/storage/object-store.js';
import type { BrandKit, ImageSpec } from '../../domain/brand-types.js';
import { checkPalette } from '../../domain/compliance/image-checks.js';
import type { PlatformName } from '../../domain/platforms.js';
import type { RequestRef } from '../../domain/pipeline.js';
import {
  aspectGroups,
  assetFor,
  groupFit,
  groupsServed,
  planAiGenerations,
  rankHitsForGroup,
  stockDownloadBudget,
  stockDownloadSize,
  type AiGeneration,
  type AiPlan,
  type AspectGroup,
  type PreviewVerdict,
} from '../../domain/sourcing-plan.js';
import type { Aspect } from '../../domain/sourcing.js';
import { AppError, isAppError } from '../../shared/errors.js';
import type { PipelineImaging } from './ports.js';

export interface SourcingDeps {
  db: Db;
  store: ObjectStore;
  imageSource: ImageSource;
  imaging: Pick<PipelineImaging, 'analyze'>;
}

export interface SourcingInput {
  ref: RequestRef;
  brandId: string;
  spec: ImageSpec;
  platforms: PlatformName[];
  brand: BrandKit;
  /** Epoch ms by which the step must be done (the Lambda's remaining time, less a margin). */
  deadline?: number;
}

export interface GroupOutcome {
  aspect: Aspect;
  platforms: PlatformName[];
  status: 'reused' | 'sourced' | 'covered' | 'fallback';
  assetId: string;
}

export interface SourcingOutcome {
  /** Nothing was bought: every group already had its stored image. */
  reused: boolean;
  groups: GroupOutcome[];
  downloads: number;
  generations: number;
  credits: number;
  costUsd: number;
}

type AssetRow = GeneratedAssetRow;

/** What one group's sourcing did (appended to its request_sourcing row). */
interface GroupLedger {
  attempts: Record<string, unknown>[];
  candidatesConsidered: number;
  downloads: number;
  generations: number;
  credits: number;
  costUsd: number;
}
const emptyLedger = (): GroupLedger => ({
  attempts: [],
  candidatesConsidered: 0,
  downloads: 0,
  generations: 0,
  credits: 0,
  costUsd: 0,
});

/** Up to 6 attempts over ~8 s (250 ms doubling): outlasts an S3 blip or a restart of s3rver. */
export async function patiently<T>(fn: () => Promise<T>, attempts = 6, baseMs = 250): Promise<T> {
  for (let i = 1; ; i++) {
    try {
      return await fn();
    } catch (e) {
      if (i >= attempts) throw e;
      await new Promise((r) => setTimeout(r, baseMs * 2 ** (i - 1)));
    }
  }
}

const extension = (contentType: string) =>
  contentType === 'image/png' ? 'png' : contentType === 'image/webp' ? 'webp' : 'jpg';

/** A group's sourced image: tenant-namespaced and deterministic, so a re-drive finds it. */
export const sourceKey = (orgId: string, requestId: string, aspect: Aspect, contentType: string) =>
  `orgs/${orgId}/requests/${requestId}/sources/${aspect}.${extension(contentType)}`;

/** The brand's colourful roles as `styling.colors` (the generation leans towards them). */
export function brandStylingColors(brand: BrandKit): StylingColor[] {
  const weights: Record<string, number> = { primary: 0.5, secondary: 0.3, accent: 0.2 };
  const colors = brand.colors.palette
    .filter((c) => weights[c.role])
    .map((c) => ({ color: c.hex.toUpperCase(), weight: weights[c.role] }));
  return colors.length
    ? colors.slice(0, 5)
    : brand.colors.palette.slice(0, 1).map((c) => ({ color: c.hex.toUpperCase(), weight: 1 }));
}

const paletteVerdict = (analysis: { dominantColors: { hex: string; share: number }[] }, brand: BrandKit) => {
  const f = checkPalette(analysis.dominantColors, brand)[0];
  return {
    verdict: (f?.severity ?? 'ok') as PreviewVerdict,
    onPaletteShare: (f?.details.onPaletteShare as number | undefined) ?? undefined,
  };
};

/** Provider refusals that concern one candidate only (premium not allowed, vanished, link expired). */
const candidateRefused = (e: unknown) =>
  isAppError(e) && e.code === 'upstream_rejected' && [403, 404].includes(Number(e.detail?.status));
/** A preview that could not be judged costs the candidate its verdict, not the request. */
const previewUnusable = (e: unknown) =>
  isAppError(e) && ['unsafe_download', 'upstream_rejected', 'upstream_unavailable', 'invalid_image'].includes(e.code);

export async function sourceForRequest(deps: SourcingDeps, input: SourcingInput): Promise<SourcingOutcome> {
  const { ref, brand, spec } = input;
  const groups = aspectGroups(input.platforms);
  const maxUpscale = brand.complianceThresholds.maxUpscale;
  const tenant = <T>(fn: (tx: Tx) => Promise<T>) => withTenant(deps.db, { orgId: ref.orgId }, fn);

  const [assets, rows] = await tenant(
    async (tx) => [await listGeneratedAssets(tx, ref.requestId), await listSourcingGroups(tx, ref.requestId)] as const,
  );
  const live: AssetRow[] = [];
  for (const a of assets) if (await deps.store.head(a.s3Key)) live.push(a);

  const outcome: SourcingOutcome = { reused: true, groups: [], downloads: 0, generations: 0, credits: 0, costUsd: 0 };
  const covered = (aspect: Aspect) => assetFor(live, aspect);
  for (const g of groups) {
    const a = covered(g.aspect);
    if (a) outcome.groups.push({ aspect: g.aspect, platforms: g.platforms, status: 'reused', assetId: a.id });
  }
  const toSource = groups.filter((g) => !covered(g.aspect));
  if (toSource.length === 0) return outcome;
  outcome.reused = false;

  const src = deps.imageSource;
  const ctx: SourcingContext = { orgId: ref.orgId, requestId: ref.requestId, deadline: input.deadline };
  // Before any HTTP call: a tenant over quota costs us nothing (not even a search).
  const pendingMystic = rows.some((r) => r.status === 'generating' && r.providerTaskId);
  if (!pendingMystic) {
    await src.assertQuota(
      ref.orgId,
      spec.source === 'stock'
        ? src.priceOf({ kind: 'stock' })
        : src.priceOf(
            src.policy.aiMode === 'mystic'
              ? { kind: 'mystic', resolution: src.policy.mysticResolution }
              : { kind: 'classic' },
          ),
    );
  }

  const ledgers = new Map<Aspect, GroupLedger>();
  const ledger = (a: Aspect) => ledgers.get(a) ?? ledgers.set(a, emptyLedger()).get(a)!;
  const spend = (a: Aspect, img: { creditsSpent: number; costUsd: number }) => {
    const l = ledger(a);
    l.credits += img.creditsSpent;
    l.costUsd += img.costUsd;
    outcome.credits += img.creditsSpent;
    outcome.costUsd += img.costUsd;
  };

  /** Writes a group's progress: attempts appended, counters added (a resumed attempt adds to them). */
  async function saveGroup(
    g: AspectGroup,
    patch: { status: string; plan?: unknown; providerTaskId?: string | null; generatedAssetId?: string | null },
  ) {
    const l = ledger(g.aspect);
    ledgers.set(g.aspect, emptyLedger());
    await tenant((tx) =>
      saveSourcingGroup(tx, {
        organizationId: ref.orgId,
        requestId: ref.requestId,
        aspectGroup: g.aspect,
        platforms: g.platforms,
        source: spec.source,
        ...patch,
        attempts: l.attempts,
        candidatesConsidered: l.candidatesConsidered,
        downloads: l.downloads,
        generations: l.generations,
        credits: l.credits,
        costUsd: l.costUsd,
      }),
    );
  }

  /**
   * Stores a bought image at once (provider URLs expire; the bytes were paid for) as the asset of
   * `g`, serving `covers`; marks the other groups it covers. Patiently: if the put failed, a retry
   * of this task would buy the image again.
   */
  async function keep(
    g: AspectGroup,
    img: SourcedImage,
    covers: Aspect[],
    status: 'sourced' | 'fallback',
    plan?: unknown,
  ) {
    const key = sourceKey(ref.orgId, ref.requestId, g.aspect, img.contentType);
    await patiently(() => deps.store.put(key, img.bytes, img.contentType, { sha256: img.sha256 }));
    const row = {
      organizationId: ref.orgId,
      requestId: ref.requestId,
      brandId: input.brandId,
      aspectGroup: g.aspect,
      covers,
      source: spec.source,
      provider: 'freepik',
      providerResourceId: img.providerResourceId ?? null,
      providerTaskId: img.providerTaskId ?? null,
      license: img.license,
      s3Key: key,
      contentType: img.contentType,
      width: img.width,
      height: img.height,
      bytes: img.bytes.length,
      sha256: img.sha256,
    };
    const asset = await tenant((tx) => upsertGeneratedAsset(tx, row));
    live.push(asset);
    await saveGroup(g, { status, generatedAssetId: asset.id, ...(plan !== undefined ? { plan } : {}) });
    outcome.groups.push({ aspect: g.aspect, platforms: g.platforms, status, assetId: asset.id });
    for (const other of toSource) {
      if (
        other.aspect === g.aspect ||
        !covers.includes(other.aspect) ||
        outcome.groups.some((o) => o.aspect === other.aspect)
      )
        continue;
      await saveGroup(other, { status: 'covered', generatedAssetId: asset.id });
      outcome.groups.push({ aspect: other.aspect, platforms: other.platforms, status: 'covered', assetId: asset.id });
    }
  }

  /** Groups of the whole request an image of this size serves, `g` first (it was bought for it). */
  const coversOf = (g: AspectGroup, img: { width: number; height: number }): Aspect[] => [
    g.aspect,
    ...groupsServed(img, groups, maxUpscale).filter((a) => a !== g.aspect && !covered(a)),
  ];

  if (spec.source === 'stock') await sourceStock();
  else await sourceAi();
  return outcome;

  // ---- stock -------------------------------------------------------------------------------------

  async function sourceStock() {
    const query = spec.query!;
    const hits: StockItem[] = [];
    const addHits = (items: StockItem[]) => {
      for (const i of items) if (!hits.some((h) => String(h.id) === String(i.id))) hits.push(i);
    };
    addHits(await src.searchStock(ctx, query, { limit: src.policy.searchLimit }));
    const searchedFor = new Set<Aspect>();
    const verdicts = new Map<string, PreviewVerdict>();
    const done = new Set<string>();
    const downloaded: Array<{ item: StockItem; img: SourcedImage; verdict: PreviewVerdict }> = [];
    const budget = stockDownloadBudget(src.policy.maxDownloads, toSource.length);
    const rank = (g: AspectGroup) =>
      rankHitsForGroup(
        hits.map((h) => ({ ...h, licenseTypes: h.licenses.map((l) => l.type) })),
        g,
        { others: toSource.filter((x) => !covered(x.aspect)), verdicts },
      );

    for (const g of toSource) {
      if (covered(g.aspect)) continue;
      const l = ledger(g.aspect);
      // An image downloaded for another group may already fit this one: no second download.
      const spare = downloaded.find((d) => d.verdict !== 'error' && groupFit(d.img, g, maxUpscale).ok);
      if (spare) {
        l.attempts.push({ kind: 'reuse', resourceId: String(spare.item.id), outcome: 'fits' });
        await keep(g, spare.img, coversOf(g, spare.img), 'sourced');
        continue;
      }
      let ranked = rank(g);
      if (!ranked.some((r) => r.shapeOk && !done.has(String(r.hit.id))) && !searchedFor.has(g.aspect)) {
        // Nothing of this shape on the first page: one search filtered to the group's orientation.
        searchedFor.add(g.aspect);
        addHits(await src.searchStock(ctx, query, { aspect: g.aspect, limit: src.policy.searchLimit }));
        ranked = rank(g);
      }
      // Previews in rank order until one is on-brand (it then ranks first), at most previewChecks.
      const unjudged = ranked
        .filter((r) => r.shapeOk && !done.has(String(r.hit.id)) && !verdicts.has(String(r.hit.id)) && r.hit.previewUrl)
        .slice(0, src.policy.previewChecks);
      for (const r of unjudged) {
        if (
          [...verdicts.entries()].some(
            ([id, v]) => v === 'ok' && !done.has(id) && ranked.some((x) => x.shapeOk && String(x.hit.id) === id),
          )
        )
          break;
        const id = String(r.hit.id);
        try {
          const preview = await src.fetchPreview(ctx, r.hit.previewUrl!);
          const v = paletteVerdict(await deps.imaging.analyze(preview.bytes), brand);
          verdicts.set(id, v.verdict);
          l.attempts.push({
            kind: 'preview',
            resourceId: id,
            verdict: v.verdict,
            ...(v.onPaletteShare !== undefined ? { onPaletteShare: v.onPaletteShare } : {}),
          });
        } catch (e) {
          if (!previewUnusable(e)) throw e;
          verdicts.set(id, 'unknown');
          l.attempts.push({ kind: 'preview', resourceId: id, verdict: 'unknown', error: (e as AppError).code });
        }
      }
      ranked = rank(g);
      l.candidatesConsidered += ranked.filter((r) => r.shapeOk).length;

      let chosen: SourcedImage | undefined;
      for (const r of ranked) {
        const id = String(r.hit.id);
        if (!r.shapeOk) break; // shape first: nothing after this can serve the group
        if (done.has(id)) continue;
        if (r.verdict === 'error') {
          l.attempts.push({ kind: 'skip', resourceId: id, reason: 'off_palette_preview' });
          continue;
        }
        if (outcome.downloads >= budget) break;
        done.add(id);
        let dims: { width: number; height: number } | undefined;
        try {
          dims = await src.stockDimensions(ctx, r.hit.id);
        } catch (e) {
          if (!candidateRefused(e)) throw e;
          l.attempts.push({ kind: 'skip', resourceId: id, reason: 'detail_refused' });
          continue;
        }
        if (dims && !groupFit(dims, g, maxUpscale).ok) {
          l.attempts.push({
            kind: 'skip',
            resourceId: id,
            reason: 'too_small',
            width: dims.width,
            height: dims.height,
          });
          continue;
        }
        const size: ImageSize = stockDownloadSize(dims, g, maxUpscale);
        let img: SourcedImage;
        try {
          img = await src.downloadStock(ctx, r.hit, size);
        } catch (e) {
          if (!candidateRefused(e)) throw e;
          l.attempts.push({
            kind: 'download',
            resourceId: id,
            size,
            outcome: 'refused',
            status: (e as AppError).detail?.status,
          });
          continue;
        }
        outcome.downloads++;
        l.downloads++;
        spend(g.aspect, img);
        // The real bytes decide: the preview's colours or the detail's size may have been wrong.
        const v = paletteVerdict(await deps.imaging.analyze(img.bytes), brand);
        const fit = groupFit(img, g, maxUpscale);
        const ok = fit.ok && v.verdict !== 'error';
        l.attempts.push({
          kind: 'download',
          resourceId: id,
          size,
          width: img.width,
          height: img.height,
          palette: v.verdict,
          outcome: ok ? 'accepted' : !fit.ok ? 'too_small' : 'off_palette',
          credits: img.creditsSpent,
          costUsd: img.costUsd,
        });
        downloaded.push({ item: r.hit, img, verdict: v.verdict });
        if (ok) {
          chosen = img;
          break;
        }
      }
      if (chosen) {
        await keep(g, chosen, coversOf(g, chosen), 'sourced');
        continue;
      }
      // Out of candidates or budget: keep the best image tried (fitting first, then on-brand);
      // the compliance check then says what is wrong with it instead of the request failing.
      const best = [...downloaded].sort(
        (a, b) =>
          Number(groupFit(b.img, g, maxUpscale).ok) - Number(groupFit(a.img, g, maxUpscale).ok) ||
          Number(a.verdict === 'error') - Number(b.verdict === 'error') ||
          groupFit(a.img, g, maxUpscale).worstScale - groupFit(b.img, g, maxUpscale).worstScale,
      )[0];
      if (best) {
        l.attempts.push({ kind: 'fallback', resourceId: String(best.item.id) });
        await keep(g, best.img, [g.aspect], 'fallback');
        continue;
      }
      await saveGroup(g, { status: 'failed' });
      throw new AppError('not_found', `No stock photo for "${query}" suits ${g.platforms.join(', ')}`, {
        detail: { reason: 'no_candidate', query, group: g.aspect, candidates: ranked.length },
      });
    }
  }

  // ---- AI ----------------------------------------------------------------------------------------

  async function sourceAi() {
    const prompt = spec.prompt!;
    const colors = brandStylingColors(brand);
    const groupOf = (a: Aspect) => toSource.find((g) => g.aspect === a)!;
    // Tasks paid for by an earlier attempt and not finished: resumed, never created again.
    let pending: Array<{ group: AspectGroup; task: StartedMystic; plan: AiGeneration }> = [];
    for (const r of rows) {
      const g = toSource.find((x) => x.aspect === r.aspectGroup);
      if (!g || r.status !== 'generating' || !r.providerTaskId) continue;
      pending.push({
        group: g,
        task: { taskId: r.providerTaskId, creditsSpent: Number(r.credits), costUsd: Number(r.costUsd) },
        plan: r.plan as AiGeneration,
      });
      ledger(g.aspect).attempts.push({ kind: 'resume', taskId: r.providerTaskId });
    }
    const planFor = (gs: AspectGroup[]) =>
      planAiGenerations(gs, {
        maxUpscale,
        mode: src.policy.aiMode,
        mysticResolution: src.policy.mysticResolution,
        mysticFallback: src.policy.mysticFallback,
        priceOf: (p: AiPlan) =>
          src.priceOf(p.mode === 'classic' ? { kind: 'classic' } : { kind: 'mystic', resolution: p.resolution })
            .costUsd,
      });

    async function generate(plans: AiGeneration[]) {
      for (const gen of plans) {
        const g = groupOf(gen.groups[0]);
        const l = ledger(g.aspect);
        l.generations++;
        outcome.generations++;
        if (gen.plan.mode === 'classic') {
          const img = await src.textToImage(ctx, prompt, { size: gen.plan.size, colors });
          spend(g.aspect, img);
          l.attempts.push({
            kind: 'generate',
            mode: 'classic',
            size: gen.plan.size,
            width: img.width,
            height: img.height,
            credits: img.creditsSpent,
            costUsd: img.costUsd,
          });
          await keep(g, img, coversOf(g, img), 'sourced', gen);
          continue;
        }
        const task = await src.startMystic(ctx, prompt, {
          aspectRatio: gen.plan.aspectRatio,
          resolution: gen.plan.resolution,
          colors,
        });
        spend(g.aspect, task);
        l.attempts.push({
          kind: 'generate',
          mode: 'mystic',
          aspectRatio: gen.plan.aspectRatio,
          resolution: gen.plan.resolution,
          taskId: task.taskId,
          credits: task.creditsSpent,
          costUsd: task.costUsd,
        });
        // Written before waiting: a timeout or crash from here on resumes this task, unpaid.
        await saveGroup(g, { status: 'generating', plan: gen, providerTaskId: task.taskId });
        pending.push({ group: g, task, plan: gen });
      }
      await finishPending();
    }

    /** Waits for every pending Mystic task together and keeps what completed. */
    async function finishPending() {
      const settled = await Promise.allSettled(pending.map((p) => src.finishMystic(ctx, p.task)));
      let failure: unknown;
      for (const [i, r] of settled.entries()) {
        const p = pending[i];
        if (r.status === 'fulfilled') {
          ledger(p.group.aspect).attempts.push({
            kind: 'completed',
            taskId: p.task.taskId,
            width: r.value.width,
            height: r.value.height,
          });
          await keep(p.group, r.value, coversOf(p.group, r.value), 'sourced');
          continue;
        }
        const e = r.reason;
        const stillRunning = isAppError(e) && e.retryable;
        ledger(p.group.aspect).attempts.push({
          kind: stillRunning ? 'waiting' : 'failed',
          taskId: p.task.taskId,
          error: isAppError(e) ? e.code : 'internal',
          reason: isAppError(e) ? e.detail?.reason : undefined,
        });
        // A task still running stays resumable; one that failed is given up (a re-drive starts anew).
        await saveGroup(p.group, { status: stillRunning ? 'generating' : 'failed' });
        // A permanent failure decides the outcome: retrying cannot save the request.
        if (failure === undefined || (isAppError(failure) && failure.retryable && !stillRunning)) failure = e;
      }
      const tasks = pending.map((p) => p.task.taskId);
      pending = [];
      if (failure === undefined) return;
      // Out of time (the poll deadline, or too little left to wait for the rate bucket): the task
      // keeps running at Freepik and its id is stored, so the state machine's retry resumes it.
      if (isAppError(failure) && failure.retryable) {
        throw new AppError(
          'upstream_unavailable',
          'The AI image is still being generated; the next attempt resumes it (nothing is paid again)',
          {
            retryable: true,
            detail: { reason: 'generation_pending', tasks },
            cause: failure,
          },
        );
      }
      throw failure;
    }

    const resumed = new Set(pending.flatMap((p) => p.plan.groups));
    await generate(planFor(toSource.filter((g) => !resumed.has(g.aspect))));
    // An image smaller than its size promised serves fewer groups than planned: those get their
    // own generation (which always covers the group it is bought for, so this ends).
    for (const g of toSource) if (!covered(g.aspect)) await generate(planFor([g]));
  }
}
