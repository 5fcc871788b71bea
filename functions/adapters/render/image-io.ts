/**
 * Decoding and encoding with sharp: the master asset, raw decodes reused across variants, and
 * encoding under a platform's file-size limit.
 */
import { createHash } from 'node:crypto';
import sharp, { type Metadata, type Sharp } from 'sharp';
import { AppError } from '../../shared/errors.js';
import { contentTypeFor, type OutputFormat, type OutputSpec } from '../../domain/platforms.js';
import type { ImageAnalysis } from '../../domain/rendering/types.js';
import { dominantColors, type RawImage } from './analyze.js';
import { INPUT_LIMITS } from './sharp-config.js';

export const sha256Hex = (b: Buffer): string => createHash('sha256').update(b).digest('hex');

/**
 * Raster formats accepted as a source photo. Vector/document formats (SVG, PDF) are refused: a
 * sourced file is untrusted, and an SVG could reference other resources.
 */
export const SOURCE_FORMATS: ReadonlySet<string> = new Set(['jpeg', 'png', 'webp', 'gif', 'avif', 'heif', 'tiff']);

function assertRaster(format: string | undefined): void {
  if (!format || !SOURCE_FORMATS.has(format)) {
    throw new AppError(
      'invalid_image',
      `The image format ${format ?? 'unknown'} cannot be used as a photo (use JPEG, PNG, WebP, AVIF/HEIF, GIF or TIFF).`,
      {
        detail: { reason: 'format', format: format ?? null },
      },
    );
  }
}

function invalidImage(message: string, cause: unknown, detail?: Record<string, unknown>): AppError {
  const reason = cause instanceof Error ? cause.message : String(cause);
  return new AppError('invalid_image', `${message}: ${reason}`, { cause, detail: { reason, ...detail } });
}

/** A decoded image kept in memory while several variants are rendered from it. */
export interface DecodedImage extends RawImage {
  channels: 3;
  /** Small copy (<= 320 px wide) where smart-crop decisions are made cheaply. */
  proxy: RawImage;
}

/** Decodes to sRGB RGB pixels (auto-oriented, alpha flattened on white) plus a crop proxy. */
export async function decodeImage(input: Buffer): Promise<DecodedImage> {
  let format: string | undefined;
  try {
    format = (await sharp(input, INPUT_LIMITS).metadata()).format;
  } catch (e) {
    throw invalidImage('The image could not be read', e);
  }
  assertRaster(format);
  try {
    const { data, info } = await sharp(input, INPUT_LIMITS)
      .rotate()
      .flatten({ background: '#ffffff' })
      .toColourspace('srgb')
      .removeAlpha()
      .raw()
      .toBuffer({ resolveWithObject: true });
    const proxyOut = await sharp(data, { raw: { width: info.width, height: info.height, channels: 3 } })
      .resize({ width: Math.min(320, info.width), height: Math.min(320, info.height), fit: 'inside' })
      .raw()
      .toBuffer({ resolveWithObject: true });
    return {
      data,
      width: info.width,
      height: info.height,
      channels: 3,
      proxy: {
        data: proxyOut.data,
        width: proxyOut.info.width,
        height: proxyOut.info.height,
        channels: proxyOut.info.channels,
      },
    };
  } catch (e) {
    throw invalidImage('The image could not be decoded', e);
  }
}

export interface MasterAsset {
  buffer: Buffer;
  format: 'jpeg';
  contentType: string;
  width: number;
  height: number;
  bytes: number;
  sha256: string;
  /** What came in, before normalizing. */
  source: { format: string; width: number; height: number; orientation: number; hasAlpha: boolean; space: string };
  analysis: ImageAnalysis;
}

export interface ComposeMasterOptions {
  /** Longest edge of the master; larger sources are reduced (never enlarged). Default 4096. */
  maxEdge?: number;
  /** Shortest acceptable edge of the source. Default 320. */
  minEdge?: number;
  /** JPEG quality of the master. Default 92. */
  quality?: number;
}

/**
 * Normalizes a sourced image into the master asset: auto-oriented, metadata stripped (EXIF/GPS/ICC
 * after conversion), sRGB, alpha flattened on white, at most `maxEdge` px, JPEG. Deterministic.
 */
export async function composeMaster(source: Buffer, opts: ComposeMasterOptions = {}): Promise<MasterAsset> {
  const maxEdge = opts.maxEdge ?? 4096;
  const minEdge = opts.minEdge ?? 320;
  let meta: Metadata;
  try {
    meta = await sharp(source, INPUT_LIMITS).metadata();
  } catch (e) {
    throw invalidImage('The image could not be read', e);
  }
  assertRaster(meta.format);
  const orientation = meta.orientation ?? 1;
  const rotated = orientation >= 5;
  const srcW = (rotated ? meta.height : meta.width) ?? 0;
  const srcH = (rotated ? meta.width : meta.height) ?? 0;
  if (Math.min(srcW, srcH) < minEdge) {
    throw new AppError(
      'invalid_image',
      `The image is ${srcW}x${srcH} px; at least ${minEdge} px on the short side is needed.`,
      {
        detail: { width: srcW, height: srcH, minEdge },
      },
    );
  }
  try {
    const { data, info } = await sharp(source, INPUT_LIMITS)
      .rotate()
      .resize({ width: maxEdge, height: maxEdge, fit: 'inside', withoutEnlargement: true })
      .flatten({ background: '#ffffff' })
      .toColourspace('srgb')
      .removeAlpha()
      .raw()
      .toBuffer({ resolveWithObject: true });
    const raw = { raw: { width: info.width, height: info.height, channels: 3 as const } };
    const buffer = await sharp(data, raw)
      .jpeg({ quality: opts.quality ?? 92, chromaSubsampling: '4:4:4' })
      .toBuffer();
    const small = await sharp(data, raw).resize(96, 96, { fit: 'inside' }).raw().toBuffer({ resolveWithObject: true });
    return {
      buffer,
      format: 'jpeg',
      contentType: contentTypeFor('jpeg'),
      width: info.width,
      height: info.height,
      bytes: buffer.length,
      sha256: sha256Hex(buffer),
      source: {
        format: meta.format ?? 'unknown',
        width: srcW,
        height: srcH,
        orientation,
        hasAlpha: !!meta.hasAlpha,
        space: meta.space ?? 'unknown',
      },
      analysis: {
        width: info.width,
        height: info.height,
        dominantColors: dominantColors({
          data: small.data,
          width: small.info.width,
          height: small.info.height,
          channels: 3,
        }),
      },
    };
  } catch (e) {
    throw invalidImage('The image could not be normalized', e);
  }
}

export interface Encoded {
  buffer: Buffer;
  format: OutputFormat;
  quality: number;
}

function encoder(img: RawImage, format: OutputFormat, quality: number, first: boolean): Sharp {
  const s = sharp(img.data, { raw: { width: img.width, height: img.height, channels: img.channels as 3 | 4 } });
  if (format === 'jpeg') return s.jpeg({ quality, chromaSubsampling: '4:2:0' });
  if (format === 'webp') return s.webp({ quality, effort: 4 });
  // PNG: lossless first; stepping down switches to a quantized palette at decreasing quality.
  return first ? s.png({ compressionLevel: 8 }) : s.png({ compressionLevel: 9, palette: true, quality, effort: 7 });
}

/**
 * Encodes at the spec's quality, stepping down by 8 until the file fits `maxBytes`. Fails with
 * invalid_image when even `minQuality` is too large, naming the sizes reached.
 */
export async function encodeUnderLimit(
  img: RawImage,
  spec: OutputSpec,
  maxBytes: number,
  label: string,
): Promise<Encoded> {
  const attempts: Array<{ quality: number; bytes: number }> = [];
  let quality = spec.quality;
  let first = true;
  for (;;) {
    const buffer = await encoder(img, spec.format, quality, first).toBuffer();
    attempts.push({ quality, bytes: buffer.length });
    if (buffer.length <= maxBytes) return { buffer, format: spec.format, quality };
    if (quality <= spec.minQuality) break;
    quality = first && spec.format === 'png' ? quality : Math.max(spec.minQuality, quality - 8);
    first = false;
  }
  throw new AppError(
    'invalid_image',
    `The ${label} image cannot be made smaller than ${maxBytes} bytes (${attempts.at(-1)!.bytes} bytes at quality ${attempts.at(-1)!.quality}).`,
    {
      detail: { reason: 'size_limit', platform: label, maxBytes, attempts },
    },
  );
}
