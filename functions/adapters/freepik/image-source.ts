/**
 * Image sourcing on Freepik: given a tenant and an ImageSpec, image bytes proven by their content
 * plus the licence to record with the asset. `source` buys one image for one layout; the other
 * operations are the steps the pipeline's request-wide sourcing (functions/app/pipeline/sourcing.ts)
 * combines: search, detail, preview, download, text-to-image, Mystic start/finish. The tenant's
 * quota is checked before every paid call. Copying the bytes to our storage is the caller's job
 * (do it at once: provider URLs expire and are never handed to clients).
 */
import { z } from 'zod';
import type { AssetLicense, ImageSpec } from '../../domain/brand-types.js';
import { imageSpecSchema } from '../../domain/brand-types.js';
import {
  aiSizeFor,
  rankStockCandidates,
  stockOrientationFor,
  type Aspect,
  type ImageContentType,
} from '../../domain/sourcing.js';
import type { QuotaGuard } from '../../domain/sourcing-ports.js';
import { AppError, isAppError } from '../../shared/errors.js';
import type { SafeImage } from '../safe-fetch/safe-fetch.js';
import type { CallContext, FreepikClient, ImageSize, StockItem } from './client.js';
import type { FreepikPricing, MysticResolution, Price } from './config.js';

export interface SourcedImage {
  bytes: Buffer;
  contentType: ImageContentType;
  width: number;
  height: number;
  sha256: string;
  license: AssetLicense;
  /** Freepik stock resource id, for stock images. */
  providerResourceId?: string;
  /** Mystic task id, for Mystic images. */
  providerTaskId?: string;
  /** Provider credits this image cost. */
  creditsSpent: number;
  costUsd: number;
}

export interface SourceInput {
  orgId: string;
  /** Content request id (uuid), stored on usage rows. */
  requestId?: string | null;
  spec: ImageSpec;
  /** Layout the image is for; picks stock orientation / AI aspect. Default square. */
  aspect?: Aspect;
  /** Stock download size (default `large`, 2000 px). */
  preferredSize?: ImageSize;
  signal?: AbortSignal;
  /** Epoch-ms deadline for the whole sourcing. */
  deadline?: number;
}

/** Who the calls are for and by when (a whole sourcing step shares one deadline). */
export interface SourcingContext {
  orgId: string;
  /** Content request (uuid), stored on every usage row. */
  requestId?: string | null;
  signal?: AbortSignal;
  /** Epoch ms: no call runs past it (the Lambda's remaining time, less a margin). */
  deadline?: number;
}

/** `styling.colors` of an AI request: the brand's colours steer the generation. */
export interface StylingColor {
  color: string;
  weight: number;
}

/** A Mystic task that was paid for; its id is what lets a later attempt resume it. */
export interface StartedMystic {
  taskId: string;
  creditsSpent: number;
  costUsd: number;
}

/**
 * The use case of one image (`source`) and the steps a request-wide sourcing is made of. Every
 * paid step checks the tenant's quota first; every HTTP attempt is metered with the request id.
 */
export interface ImageSource {
  /** One image for one layout: search + best candidate, or one AI generation. */
  source(input: SourceInput): Promise<SourcedImage>;
  /** Stock photos for a query (free; filtered to photos, optionally one orientation). */
  searchStock(ctx: SourcingContext, query: string, opts?: { aspect?: Aspect; limit?: number }): Promise<StockItem[]>;
  /** The original's pixel size from the resource detail (free; undefined when not reported). */
  stockDimensions(ctx: SourcingContext, id: number | string): Promise<{ width: number; height: number } | undefined>;
  /** A search hit's preview from the CDN, through the safe downloader (free). */
  fetchPreview(ctx: SourcingContext, url: string): Promise<SafeImage>;
  /** Downloads a stock photo (counts against the daily download cap; quota checked first). */
  downloadStock(ctx: SourcingContext, item: StockItem, size: ImageSize): Promise<SourcedImage>;
  /** One synchronous text-to-image generation at `size` (paid; quota checked first). */
  textToImage(
    ctx: SourcingContext,
    prompt: string,
    opts: { size: string; colors?: StylingColor[] },
  ): Promise<SourcedImage>;
  /** Creates a Mystic task (paid; quota checked first). Store the id before waiting for it. */
  startMystic(
    ctx: SourcingContext,
    prompt: string,
    opts: { aspectRatio: string; resolution: MysticResolution; colors?: StylingColor[] },
  ): Promise<StartedMystic>;
  /**
   * Waits for a Mystic task until `ctx.deadline` and downloads its image (nothing is paid here).
   * Past the deadline: a retryable upstream_unavailable (the next attempt resumes the same task).
   */
  finishMystic(ctx: SourcingContext, task: StartedMystic): Promise<SourcedImage>;
  /** The tenant's monthly quota check paid calls run first (throws quota_exceeded). */
  assertQuota(orgId: string, estimate: Price): Promise<void>;
  /** How request-wide sourcing may use this source (configuration). */
  readonly policy: SourcingPolicy;
  /** What a paid operation is estimated to cost (the quota check's estimate). */
  priceOf(op: { kind: 'stock' } | { kind: 'classic' } | { kind: 'mystic'; resolution: MysticResolution }): Price;
}

export interface SourcingPolicy {
  aiMode: 'classic' | 'mystic';
  mysticResolution: MysticResolution;
  /** Classic mode may buy Mystic for a group no text-to-image size covers. */
  mysticFallback: boolean;
  searchLimit: number;
  /** Previews judged per group before downloading. */
  previewChecks: number;
  /** Downloads per request before the best one so far is kept. */
  maxDownloads: number;
}

export interface ImageSourceDeps {
  client: FreepikClient;
  quota: QuotaGuard;
  pricing: FreepikPricing;
  /** classic = POST /v1/ai/text-to-image; mystic = the async task flow. */
  aiMode?: 'classic' | 'mystic';
  mysticResolution?: MysticResolution;
  /** Results requested per search (default 20). */
  searchLimit?: number;
  /** Candidates tried when a download is refused (403/404). Default 3. */
  maxDownloadCandidates?: number;
  /** Longest Mystic wait in one call (config.mystic.deadlineMs); the caller's deadline may cut it. */
  mysticDeadlineMs?: number;
  mysticFallback?: boolean;
  /** Previews judged per group (default 6). */
  previewChecks?: number;
}

const inputSchema = z.object({
  orgId: z.string().uuid(),
  requestId: z.string().uuid().nullish(),
  spec: imageSpecSchema,
});

export function createImageSource(deps: ImageSourceDeps): ImageSource {
  const aiMode = deps.aiMode ?? 'classic';
  const resolution = deps.mysticResolution ?? '2k';

  async function stock(
    ctx: CallContext,
    query: string,
    aspect: Aspect | undefined,
    size: ImageSize,
  ): Promise<SourcedImage> {
    const page = await deps.client.search(ctx, {
      term: query,
      limit: deps.searchLimit ?? 20,
      filters: { contentType: ['photo'], ...(aspect ? { orientation: [stockOrientationFor[aspect]] } : {}) },
    });
    const ranked = rankStockCandidates(
      page.items.map((i) => ({ ...i, licenseTypes: i.licenses.map((l) => l.type) })),
      aspect,
    );
    if (ranked.length === 0)
      throw new AppError('not_found', `No stock photo matches "${query}"`, { detail: { reason: 'no_results', query } });
    let lastRefusal: AppError | undefined;
    for (const item of ranked.slice(0, deps.maxDownloadCandidates ?? 3)) {
      try {
        const { image } = await deps.client.downloadResource(ctx, item.id, { imageSize: size });
        return {
          ...pick(image),
          license: stockLicense(item),
          providerResourceId: String(item.id),
          creditsSpent: deps.pricing.stockDownload.credits,
          costUsd: deps.pricing.stockDownload.costUsd,
        };
      } catch (e) {
        // A premium item our plan may not download, or one that vanished: try the next best.
        if (isAppError(e) && e.code === 'upstream_rejected' && (e.detail?.status === 403 || e.detail?.status === 404)) {
          lastRefusal = e;
          continue;
        }
        throw e;
      }
    }
    throw lastRefusal!;
  }

  async function ai(ctx: CallContext, prompt: string, aspect: Aspect): Promise<SourcedImage> {
    if (aiMode === 'mystic') {
      const task = await deps.client.createMysticTask(ctx, {
        prompt,
        resolution,
        aspectRatio: aiSizeFor[aspect],
        filterNsfw: true,
      });
      return mysticImage(ctx, { taskId: task.taskId, creditsSpent: task.spent.credits, costUsd: task.spent.costUsd });
    }
    const r = await deps.client.textToImage(ctx, { prompt, numImages: 1, size: aiSizeFor[aspect], filterNsfw: true });
    const image = r.images.find((i) => !i.hasNsfw);
    if (!image)
      throw new AppError('invalid_image', 'The generated image was flagged as not safe for work', {
        detail: { reason: 'nsfw' },
      });
    return { ...pick(image), license, creditsSpent: r.spent.credits, costUsd: r.spent.costUsd };
  }

  const license: AssetLicense = { type: 'ai_generated', attributionRequired: false };
  const callCtx = (c: SourcingContext): CallContext => ({
    orgId: c.orgId,
    requestId: c.requestId ?? null,
    signal: c.signal,
    deadline: c.deadline,
  });
  const priceOf: ImageSource['priceOf'] = (op) =>
    op.kind === 'stock'
      ? deps.pricing.stockDownload
      : op.kind === 'classic'
        ? deps.pricing.textToImage
        : deps.pricing.mystic[op.resolution];

  async function mysticImage(ctx: CallContext, task: StartedMystic): Promise<SourcedImage> {
    // The configured cap and the caller's (the Lambda's remaining time), whichever comes first.
    const deadline = Math.min(ctx.deadline ?? Infinity, Date.now() + (deps.mysticDeadlineMs ?? 90_000));
    const done = await deps.client.waitForMysticTask({ ...ctx, deadline: undefined }, task.taskId, { deadline });
    const index = done.generated.findIndex((_, i) => !done.hasNsfw[i]);
    if (index < 0)
      throw new AppError('invalid_image', 'Every generated image was flagged as not safe for work', {
        detail: { reason: 'nsfw', taskId: task.taskId },
      });
    const image = await deps.client.downloadGenerated(ctx, done.generated[index]);
    return {
      ...pick(image),
      license,
      providerTaskId: task.taskId,
      creditsSpent: task.creditsSpent,
      costUsd: task.costUsd,
    };
  }

  const ops: Omit<ImageSource, 'source'> = {
    priceOf,
    assertQuota: (orgId, estimate) => deps.quota.assertWithinQuota(orgId, estimate),
    policy: {
      aiMode,
      mysticResolution: resolution,
      mysticFallback: deps.mysticFallback ?? true,
      searchLimit: deps.searchLimit ?? 20,
      previewChecks: deps.previewChecks ?? 6,
      maxDownloads: deps.maxDownloadCandidates ?? 3,
    },
    async searchStock(c, query, opts = {}) {
      const page = await deps.client.search(callCtx(c), {
        term: query,
        limit: opts.limit ?? deps.searchLimit ?? 20,
        filters: {
          contentType: ['photo'],
          ...(opts.aspect ? { orientation: [stockOrientationFor[opts.aspect]] } : {}),
        },
      });
      return page.items;
    },
    async stockDimensions(c, id) {
      const d = await deps.client.getResource(callCtx(c), id);
      return d.width && d.height ? { width: d.width, height: d.height } : undefined;
    },
    fetchPreview(c, url) {
      return deps.client.fetchPreview(callCtx(c), url);
    },
    async downloadStock(c, item, size) {
      const price = priceOf({ kind: 'stock' });
      await deps.quota.assertWithinQuota(c.orgId, price);
      const { image } = await deps.client.downloadResource(callCtx(c), item.id, { imageSize: size });
      return {
        ...pick(image),
        license: stockLicense(item),
        providerResourceId: String(item.id),
        creditsSpent: price.credits,
        costUsd: price.costUsd,
      };
    },
    async textToImage(c, prompt, opts) {
      await deps.quota.assertWithinQuota(c.orgId, priceOf({ kind: 'classic' }));
      const r = await deps.client.textToImage(callCtx(c), {
        prompt,
        numImages: 1,
        size: opts.size,
        colors: opts.colors,
        filterNsfw: true,
      });
      const image = r.images.find((i) => !i.hasNsfw);
      if (!image)
        throw new AppError('invalid_image', 'The generated image was flagged as not safe for work', {
          detail: { reason: 'nsfw' },
        });
      return { ...pick(image), license, creditsSpent: r.spent.credits, costUsd: r.spent.costUsd };
    },
    async startMystic(c, prompt, opts) {
      await deps.quota.assertWithinQuota(c.orgId, priceOf({ kind: 'mystic', resolution: opts.resolution }));
      const task = await deps.client.createMysticTask(callCtx(c), {
        prompt,
        resolution: opts.resolution,
        aspectRatio: opts.aspectRatio,
        colors: opts.colors,
        filterNsfw: true,
      });
      return { taskId: task.taskId, creditsSpent: task.spent.credits, costUsd: task.spent.costUsd };
    },
    finishMystic(c, task) {
      return mysticImage(callCtx(c), task);
    },
  };

  return {
    ...ops,
    async source(input) {
      const parsed = inputSchema.safeParse(input);
      if (!parsed.success) {
        throw new AppError('validation_failed', 'The image request is not valid', {
          fields: parsed.error.issues.map((i) => ({ path: i.path.join('.'), message: i.message })),
        });
      }
      const { spec } = parsed.data;
      const estimate: Price =
        spec.source === 'stock'
          ? deps.pricing.stockDownload
          : aiMode === 'mystic'
            ? deps.pricing.mystic[resolution]
            : deps.pricing.textToImage;
      // Before any HTTP call: a tenant over quota costs us nothing.
      await deps.quota.assertWithinQuota(input.orgId, estimate);
      const ctx: CallContext = {
        orgId: input.orgId,
        requestId: input.requestId ?? null,
        signal: input.signal,
        deadline: input.deadline,
      };
      return spec.source === 'stock'
        ? stock(ctx, spec.query!, input.aspect, input.preferredSize ?? 'large')
        : ai(ctx, spec.prompt!, input.aspect ?? 'square');
    },
  };
}

const pick = (i: SafeImage) => ({
  bytes: i.bytes,
  contentType: i.contentType,
  width: i.width,
  height: i.height,
  sha256: i.sha256,
});

function stockLicense(item: StockItem): AssetLicense {
  const lic = item.licenses.find((l) => l.type === 'freemium') ?? item.licenses[0];
  const type = lic?.type === 'premium' ? 'premium' : 'freemium';
  return {
    type,
    author: item.author?.name?.slice(0, 200),
    sourceUrl: validUrl(item.pageUrl),
    licenseUrl: validUrl(lic?.url),
    // Freepik's free licence requires crediting the author; for premium the contract says
    // "attribution/plan rights": record it as required until the plan's terms say otherwise.
    attributionRequired: true,
    freepikId: item.id,
  };
}

const validUrl = (u: string | undefined) => (u && z.string().url().safeParse(u).success ? u : undefined);

/** The safe downloader, for callers that fetch a provider URL themselves (same checks as sourcing). */
export { fetchImage, type SafeImage, type DownloadPolicy } from '../safe-fetch/safe-fetch.js';
