/**
 * Decides whether bytes are an image we accept: type from magic bytes (the declared type is never
 * trusted), dimensions from sharp with a pixel limit far below sharp's default (~268 MP), and a
 * small decode to prove the data is not just a valid header.
 */
import { createHash } from 'node:crypto';
import sharp, { type Metadata } from 'sharp';
import { sniffImageType, type ImageContentType } from '../../domain/sourcing.js';
import { AppError } from '../../shared/errors.js';

export interface InspectedImage {
  contentType: ImageContentType;
  width: number;
  height: number;
  /** Hex SHA-256 of the bytes. */
  sha256: string;
}

export interface InspectOptions {
  /** Largest width*height accepted (default 40 MP). */
  maxPixels?: number;
  /** Accepted types (default JPEG, PNG, WebP). */
  allowedTypes?: readonly ImageContentType[];
}

export const DEFAULT_MAX_PIXELS = 40_000_000;
const sharpFormat: Record<ImageContentType, string> = {
  'image/jpeg': 'jpeg',
  'image/png': 'png',
  'image/webp': 'webp',
};

/** Throws AppError('invalid_image') with detail.reason in: not_image | type_not_allowed | pixel_limit | corrupt. */
export async function inspectImage(bytes: Buffer, opts: InspectOptions = {}): Promise<InspectedImage> {
  const maxPixels = opts.maxPixels ?? DEFAULT_MAX_PIXELS;
  const contentType = sniffImageType(bytes);
  if (!contentType) {
    throw new AppError('invalid_image', 'The downloaded file is not a JPEG, PNG or WebP image', {
      detail: { reason: 'not_image' },
    });
  }
  if (opts.allowedTypes && !opts.allowedTypes.includes(contentType)) {
    throw new AppError('invalid_image', `Images of type ${contentType} are not accepted`, {
      detail: { reason: 'type_not_allowed', contentType },
    });
  }
  let meta: Metadata;
  try {
    meta = await sharp(bytes, { limitInputPixels: maxPixels, failOn: 'error' }).metadata();
  } catch (e) {
    throw classify(e, maxPixels);
  }
  const width = meta.width ?? 0;
  const height = meta.height ?? 0;
  // sharp enforces the limit in metadata() too, but a second check does not depend on that.
  if (width * height > maxPixels) throw pixelLimit(width, height, maxPixels);
  if (!width || !height || meta.format !== sharpFormat[contentType]) {
    throw new AppError('invalid_image', 'The image header is not consistent', {
      detail: { reason: 'corrupt', format: meta.format },
    });
  }
  try {
    // A tiny decode (JPEG shrink-on-load keeps it cheap) proves the pixel data is readable.
    await sharp(bytes, { limitInputPixels: maxPixels, failOn: 'error' })
      .resize(16, 16, { fit: 'inside' })
      .raw()
      .toBuffer();
  } catch (e) {
    throw classify(e, maxPixels);
  }
  return { contentType, width, height, sha256: createHash('sha256').update(bytes).digest('hex') };
}

const pixelLimit = (w: number | undefined, h: number | undefined, max: number) =>
  new AppError('invalid_image', `The image is larger than ${Math.round(max / 1e6)} megapixels`, {
    detail: { reason: 'pixel_limit', width: w, height: h, maxPixels: max },
  });

function classify(e: unknown, maxPixels: number): AppError {
  const msg = e instanceof Error ? e.message : String(e);
  if (/pixel limit/i.test(msg)) return pixelLimit(undefined, undefined, maxPixels);
  return new AppError('invalid_image', 'The image could not be decoded', {
    detail: { reason: 'corrupt', error: msg.slice(0, 200) },
    cause: e,
  });
}
