import { describe, expect, test } from 'vitest';
import sharp from 'sharp';
import { createHash } from 'node:crypto';
import { inspectImage } from '../../../functions/adapters/safe-fetch/inspect-image.js';
import { NON_IMAGE_BYTES, pixelBombPng } from '../../../local/emulators/freepik/images.js';
import { refusalReason } from '../../support/app-error.js';
import { tinyJpeg, tinyPng, tinyWebp } from './fakes.js';

const reason = (p: Promise<unknown>) => refusalReason(p, 'invalid_image');

describe('inspectImage', () => {
  test('real JPEG/PNG/WebP: type from bytes, dimensions, sha256', async () => {
    const jpg = await tinyJpeg(30, 20);
    expect(await inspectImage(jpg)).toEqual({
      contentType: 'image/jpeg',
      width: 30,
      height: 20,
      sha256: createHash('sha256').update(jpg).digest('hex'),
    });
    expect(await inspectImage(await tinyPng(5, 9))).toMatchObject({ contentType: 'image/png', width: 5, height: 9 });
    expect(await inspectImage(await tinyWebp(7, 3))).toMatchObject({ contentType: 'image/webp', width: 7, height: 3 });
  });
  test('an HTML page, a GIF and an empty body are not images', async () => {
    expect(await reason(inspectImage(NON_IMAGE_BYTES))).toBe('not_image');
    const gif = await sharp({ create: { width: 4, height: 4, channels: 3, background: '#000' } })
      .gif()
      .toBuffer();
    expect(await reason(inspectImage(gif))).toBe('not_image');
    expect(await reason(inspectImage(Buffer.alloc(0)))).toBe('not_image');
  });
  test('a pixel bomb (tiny PNG claiming 30000x30000) is refused before decoding', async () => {
    const bomb = pixelBombPng();
    expect(bomb.length).toBeLessThan(200);
    expect(await reason(inspectImage(bomb))).toBe('pixel_limit');
  });
  test('the pixel limit is configurable and applies to real images too', async () => {
    const jpg = await tinyJpeg(100, 100);
    expect(await reason(inspectImage(jpg, { maxPixels: 9_999 }))).toBe('pixel_limit');
    await expect(inspectImage(jpg, { maxPixels: 10_000 })).resolves.toMatchObject({ width: 100 });
  });
  test('a truncated JPEG (valid header, missing data) is refused as corrupt', async () => {
    const jpg = await sharp({ create: { width: 256, height: 256, channels: 3, background: '#123456' } })
      .jpeg()
      .toBuffer();
    expect(await reason(inspectImage(jpg.subarray(0, 200)))).toBe('corrupt');
  });
  test('types can be restricted (text-to-image accepts JPEG/PNG only)', async () => {
    expect(await reason(inspectImage(await tinyWebp(), { allowedTypes: ['image/jpeg', 'image/png'] }))).toBe(
      'type_not_allowed',
    );
  });
});
