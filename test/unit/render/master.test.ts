import { describe, expect, it } from 'vitest';
import sharp from 'sharp';
import { crc32, deflateSync } from 'node:zlib';
import {
  analyzeImage,
  composeMaster,
  dominantColors,
  prepareLogo,
  previewTemplate,
  renderVariant,
} from '../../../functions/adapters/render/index.js';
import { deltaE } from '../../../functions/domain/compliance/color.js';
import { brand, brandLogo, brandPhoto, brief, decode, GOLD, layers, NAVY } from './fixtures.js';

/** A tiny PNG whose header claims `w` x `h` pixels (a decompression-bomb stand-in). */
function pngHeader(w: number, h: number): Buffer {
  const chunk = (type: string, data: Buffer) => {
    const len = Buffer.alloc(4);
    len.writeUInt32BE(data.length);
    const td = Buffer.concat([Buffer.from(type), data]);
    const crc = Buffer.alloc(4);
    crc.writeUInt32BE(crc32(td));
    return Buffer.concat([len, td, crc]);
  };
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(w, 0);
  ihdr.writeUInt32BE(h, 4);
  ihdr.set([8, 2, 0, 0, 0], 8);
  return Buffer.concat([
    Buffer.from([137, 80, 78, 71, 13, 10, 26, 10]),
    chunk('IHDR', ihdr),
    chunk('IDAT', deflateSync(Buffer.alloc(100))),
    chunk('IEND', Buffer.alloc(0)),
  ]);
}

const halves = (w: number, h: number, left: string, right: string) =>
  sharp(
    Buffer.from(
      `<svg xmlns="http://www.w3.org/2000/svg" width="${w}" height="${h}"><rect width="${w / 2}" height="${h}" fill="${left}"/>` +
        `<rect x="${w / 2}" width="${w / 2}" height="${h}" fill="${right}"/></svg>`,
    ),
  );

describe('composeMaster', () => {
  it('auto-orients, strips metadata and converts to sRGB JPEG', async () => {
    const src = await halves(800, 400, '#FF0000', '#0000FF')
      .jpeg()
      .withMetadata({ orientation: 6 })
      .withExif({ IFD0: { Copyright: 'someone', Artist: 'GPS leak' } })
      .toBuffer();
    const m = await composeMaster(src);
    const meta = await sharp(m.buffer).metadata();
    expect({ w: m.width, h: m.height, format: meta.format, space: meta.space, channels: meta.channels }).toEqual({
      w: 400,
      h: 800,
      format: 'jpeg',
      space: 'srgb',
      channels: 3,
    });
    expect(meta.exif).toBeUndefined();
    expect(meta.orientation).toBeUndefined();
    expect(m.source).toMatchObject({ width: 400, height: 800, orientation: 6, format: 'jpeg' });
    // Orientation 6 turns the left (red) half into the top half.
    const img = await decode(m.buffer);
    const top = img.data.subarray((10 * img.width + 200) * 3, (10 * img.width + 200) * 3 + 3);
    expect(top[0]).toBeGreaterThan(200);
    expect(top[2]).toBeLessThan(60);
    expect(m.bytes).toBe(m.buffer.length);
    expect(m.sha256).toMatch(/^[0-9a-f]{64}$/);
  });

  it('converts CMYK and flattens transparency', async () => {
    const cmyk = await halves(800, 600, NAVY, GOLD).jpeg().toColourspace('cmyk').toBuffer();
    expect((await sharp(cmyk).metadata()).space).toBe('cmyk');
    const m = await composeMaster(cmyk);
    expect((await sharp(m.buffer).metadata()).space).toBe('srgb');
    const alpha = await sharp({
      create: { width: 600, height: 400, channels: 4, background: { r: 0, g: 0, b: 0, alpha: 0 } },
    })
      .png()
      .toBuffer();
    const flat = await decode((await composeMaster(alpha)).buffer);
    expect([...flat.data.subarray(0, 3)].every((v) => v > 250)).toBe(true);
  });

  it('bounds the size without enlarging small images, and is deterministic', async () => {
    const big = await halves(4600, 1000, NAVY, GOLD).png().toBuffer();
    const m = await composeMaster(big);
    expect([m.width, m.height]).toEqual([4096, 890]);
    const small = await composeMaster(await brandPhoto(640, 480));
    expect([small.width, small.height]).toEqual([640, 480]);
    expect((await composeMaster(big)).sha256).toBe(m.sha256);
  });

  it('rejects truncated downloads, tiny images, huge pixel counts and non-images', async () => {
    const jpeg = await brandPhoto(1200, 900);
    const cases: Array<[Buffer, RegExp]> = [
      [jpeg.subarray(0, Math.floor(jpeg.length * 0.6)), /could not/],
      [await halves(300, 200, NAVY, GOLD).png().toBuffer(), /at least 320 px/],
      [pngHeader(10_000, 10_000), /pixel limit/i],
      [Buffer.from('<html>not an image</html>'), /could not be read/],
      [
        Buffer.from(
          '<svg xmlns="http://www.w3.org/2000/svg" width="800" height="600"><rect width="800" height="600"/></svg>',
        ),
        /format svg cannot be used/,
      ],
    ];
    for (const [buf, msg] of cases) {
      const err = await composeMaster(buf).catch((e) => e);
      expect(err?.code, String(msg)).toBe('invalid_image');
      expect(err.message).toMatch(msg);
    }
  });
});

describe('logos', () => {
  it('rasterizes a small SVG logo at a high density, so it stays sharp at any logo size', async () => {
    const svg = Buffer.from(
      '<svg xmlns="http://www.w3.org/2000/svg" width="40" height="16"><rect width="40" height="16" fill="#FF00FF"/></svg>',
    );
    const logo = await prepareLogo(svg);
    expect([logo.width, logo.height]).toEqual([1200, 480]);
    const v = await renderVariant({
      source: await brandPhoto(1200, 900),
      preset: 'x',
      brief,
      brand: brand(),
      layers,
      logo: svg,
    });
    expect(v.layout.logo!.box.w).toBe(256);
  });
});

describe('image analysis', () => {
  it('finds the dominant colors and their shares', async () => {
    const img = await decode(await halves(400, 200, NAVY, GOLD).png().toBuffer());
    const colors = dominantColors(img);
    const navy = colors.find((c) => deltaE(c.hex, NAVY) < 2)!;
    const gold = colors.find((c) => deltaE(c.hex, GOLD) < 2)!;
    expect(navy.share).toBeCloseTo(0.5, 1);
    expect(gold.share).toBeCloseTo(0.5, 1);
    const a = await analyzeImage(await halves(400, 200, NAVY, GOLD).jpeg().toBuffer());
    expect(a).toMatchObject({ width: 400, height: 200 });
    const big = a.dominantColors.filter((c) => c.share > 0.3);
    expect(big).toHaveLength(2);
    expect(big.some((c) => deltaE(c.hex, NAVY) < 3) && big.some((c) => deltaE(c.hex, GOLD) < 3)).toBe(true);
  });
});

describe('previewTemplate', () => {
  it('renders one preset and returns its compliance, copy checks included', async () => {
    const r = await previewTemplate({
      source: await brandPhoto(),
      preset: 'instagram_story',
      brand: brand(),
      template: layers,
      brief: { ...brief, headline: 'Cheap layers for cold days' },
      logo: await brandLogo(),
    });
    const meta = await sharp(r.image).metadata();
    expect({ w: meta.width, h: meta.height, f: meta.format, ct: r.contentType }).toEqual({
      w: 1080,
      h: 1920,
      f: 'jpeg',
      ct: 'image/jpeg',
    });
    expect(r.compliance.findings.map((f) => f.check)).toEqual(['banned_words']);
    expect(r.compliance).toMatchObject({ decision: 'review', forcedReview: ['banned_words'] });
    expect(r.compliance.checks).toMatchObject({ contrast: 'ok', palette: 'ok', license: 'skipped' });
    expect(r.layout.texts[0].lines.join(' ')).toBe('Cheap layers for cold days');
  });

  it('rejects an invalid brief or template with validation_failed', async () => {
    const source = await brandPhoto(800, 600);
    const bad1 = await previewTemplate({
      source,
      preset: 'x',
      brand: brand(),
      template: layers,
      brief: { headline: '' },
    }).catch((e) => e);
    expect(bad1.code).toBe('validation_failed');
    const bad2 = await previewTemplate({ source, preset: 'x', brand: brand(), template: { nope: 1 }, brief }).catch(
      (e) => e,
    );
    expect(bad2.code).toBe('validation_failed');
  });
});
