/**
 * The image-sourcing use case: given a tenant and an ImageSpec, return image bytes proven by their
 * content plus the licence to record with the asset. The tenant's quota is checked before the
 * first HTTP call. Copying the bytes to our storage is the caller's job (do it at once: provider
 * URLs expire and are never handed to clients).
 */
import { z } from 'zod';
import type { AssetLicense, ImageSpec } from '../../domain/brand-types.js';
import { imageSpecSchema } from '../../domain/brand-types.js';
import { aiSizeFor, rankStockCandidates, stockOrientationFor, type Aspect, type ImageContentType } from '../../domain/sourcing.js';
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

export interface ImageSource {
  source(input: SourceInput): Promise<SourcedImage>;
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
}

const inputSchema = z.object({ orgId: z.string().uuid(), requestId: z.string().uuid().nullish(), spec: imageSpecSchema });

export function createImageSource(deps: ImageSourceDeps): ImageSource {
  const aiMode = deps.aiMode ?? 'classic';
  const resolution = deps.mysticResolution ?? '2k';

  async function stock(ctx: CallContext, query: string, aspect: Aspect | undefined, size: ImageSize): Promise<SourcedImage> {
    const page = await deps.client.search(ctx, {
      term: query, limit: deps.searchLimit ?? 20,
      filters: { contentType: ['photo'], ...(aspect ? { orientation: [stockOrientationFor[aspect]] } : {}) },
    });
    const ranked = rankStockCandidates(page.items.map((i) => ({ ...i, licenseTypes: i.licenses.map((l) => l.type) })), aspect);
    if (ranked.length === 0) throw new AppError('not_found', `No stock photo matches "${query}"`, { detail: { reason: 'no_results', query } });
    let lastRefusal: AppError | undefined;
    for (const item of ranked.slice(0, deps.maxDownloadCandidates ?? 3)) {
      try {
        const { image } = await deps.client.downloadResource(ctx, item.id, { imageSize: size });
        return { ...pick(image), license: stockLicense(item), providerResourceId: String(item.id), creditsSpent: deps.pricing.stockDownload.credits, costUsd: deps.pricing.stockDownload.costUsd };
      } catch (e) {
        // A premium item our plan may not download, or one that vanished: try the next best.
        if (isAppError(e) && e.code === 'upstream_rejected' && (e.detail?.status === 403 || e.detail?.status === 404)) { lastRefusal = e; continue; }
        throw e;
      }
    }
    throw lastRefusal!;
  }

  async function ai(ctx: CallContext, prompt: string, aspect: Aspect): Promise<SourcedImage> {
    const license: AssetLicense = { type: 'ai_generated', attributionRequired: false };
    if (aiMode === 'mystic') {
      const task = await deps.client.createMysticTask(ctx, { prompt, resolution, aspectRatio: aiSizeFor[aspect], filterNsfw: true });
      const done = await deps.client.waitForMysticTask({ ...ctx, deadline: undefined }, task.taskId, { deadline: ctx.deadline });
      const index = done.generated.findIndex((_, i) => !done.hasNsfw[i]);
      if (index < 0) throw new AppError('invalid_image', 'Every generated image was flagged as not safe for work', { detail: { reason: 'nsfw', taskId: task.taskId } });
      const image = await deps.client.downloadGenerated(ctx, done.generated[index]);
      return { ...pick(image), license, providerTaskId: task.taskId, creditsSpent: task.spent.credits, costUsd: task.spent.costUsd };
    }
    const r = await deps.client.textToImage(ctx, { prompt, numImages: 1, size: aiSizeFor[aspect], filterNsfw: true });
    const image = r.images.find((i) => !i.hasNsfw);
    if (!image) throw new AppError('invalid_image', 'The generated image was flagged as not safe for work', { detail: { reason: 'nsfw' } });
    return { ...pick(image), license, creditsSpent: r.spent.credits, costUsd: r.spent.costUsd };
  }

  return {
    async source(input) {
      const parsed = inputSchema.safeParse(input);
      if (!parsed.success) {
        throw new AppError('validation_failed', 'The image request is not valid', { fields: parsed.error.issues.map((i) => ({ path: i.path.join('.'), message: i.message })) });
      }
      const { spec } = parsed.data;
      const estimate: Price = spec.source === 'stock' ? deps.pricing.stockDownload
        : aiMode === 'mystic' ? deps.pricing.mystic[resolution] : deps.pricing.textToImage;
      // Before any HTTP call: a tenant over quota costs us nothing.
      await deps.quota.assertWithinQuota(input.orgId, estimate);
      const ctx: CallContext = { orgId: input.orgId, requestId: input.requestId ?? null, signal: input.signal, deadline: input.deadline };
      return spec.source === 'stock'
        ? stock(ctx, spec.query!, input.aspect, input.preferredSize ?? 'large')
        : ai(ctx, spec.prompt!, input.aspect ?? 'square');
    },
  };
}

const pick = (i: SafeImage) => ({ bytes: i.bytes, contentType: i.contentType, width: i.width, height: i.height, sha256: i.sha256 });

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
