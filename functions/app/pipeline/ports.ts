/**
 * What the pipeline use cases need from the outside. The handlers wire the real adapters (Freepik
 * image source, sharp renderer, S3, PostgreSQL); tests may pass other implementations.
 */
import type { Db, Tx } from '../../adapters/db/client.js';
import type { ImageSource } from '../../adapters/freepik/image-source.js';
import type { ObjectStore } from '../../adapters/storage/object-store.js';
import type { AssetLicense, BrandKitInput, Brief, TemplateLayers } from '../../domain/brand-types.js';
import type { ComplianceResult, Finding } from '../../domain/compliance/index.js';
import type { PlatformName } from '../../domain/platforms.js';
import type { ImageAnalysis } from '../../domain/rendering/types.js';
import type { RequestRef } from '../../domain/pipeline.js';
import type { Adjustment } from '../../domain/rendering/types.js';

export interface EncodedImage {
  bytes: Buffer;
  contentType: string;
  /** File extension / format of `bytes` (jpeg, png, webp). */
  format: 'jpeg' | 'png' | 'webp';
  width: number;
  height: number;
}

export type ComplianceStage = 'brief' | 'master' | 'variant';

/** Rendering and compliance, as the pipeline calls them (imaging engine behind it). */
export interface PipelineImaging {
  /** Format of the master asset (its key is masterKey(..., format)). */
  readonly masterFormat: 'jpeg' | 'png' | 'webp';
  /** Size and dominant colours of an image (sourcing judges previews and downloads with it). */
  analyze(image: Buffer): Promise<ImageAnalysis>;
  /** Copy checks of the brief, before any image is paid for. */
  checkBrief(i: {
    brief: Brief;
    brand: BrandKitInput;
    platforms: PlatformName[];
    template?: TemplateLayers;
  }): ComplianceResult;
  /** Normalizes the sourced image into the master asset. */
  composeMaster(i: { source: Buffer; brand: BrandKitInput; platforms: PlatformName[] }): Promise<EncodedImage>;
  /** Checks the master image: resolution for every platform, palette, licence. */
  checkMaster(i: {
    master: Buffer;
    license: AssetLicense | null;
    brand: BrandKitInput;
    platforms: PlatformName[];
  }): Promise<ComplianceResult>;
  /**
   * Renders one platform variant from the master and checks what was drawn. `adjustments`: what
   * the renderer changed on its own to fit the copy and keep it legible (shown to reviewers).
   */
  renderVariant(i: {
    master: Buffer;
    platform: PlatformName;
    brand: BrandKitInput;
    template: TemplateLayers;
    brief: Brief;
    logo: Buffer | null;
  }): Promise<{ image: EncodedImage; compliance: ComplianceResult; adjustments: Adjustment[] }>;
  /** Scores the findings of several stages together against the brand's thresholds. */
  summarize(findings: Finding[], brand: BrandKitInput, stages: ComplianceStage[]): ComplianceResult;
}

/** Runs inside the transaction that marks the request published (transactional outbox). */
export type PublishHook = (tx: Tx, ref: RequestRef, manifest: PublishManifest) => Promise<void>;

export interface PublishManifest {
  requestId: string;
  run: number;
  publishedAt: string;
  variants: Array<{
    platform: string;
    s3Key: string;
    sha256: string;
    bytes: number;
    width: number;
    height: number;
    format: string;
    /** The public copy (`published/...`) and its permanent URL (CloudFront in AWS). */
    publishedKey: string;
    url: string;
  }>;
}

export interface PipelineDeps {
  db: Db;
  store: ObjectStore;
  /** Created on first use: only "Source image" needs Freepik (and its configuration). */
  imageSource: () => ImageSource;
  imaging: PipelineImaging;
  /** Extra work committed atomically with `published` (events, webhooks); default none. */
  onPublished?: PublishHook;
}
