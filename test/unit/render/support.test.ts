import { describe, expect, it } from 'vitest';
import sharp from 'sharp';
import { configureSharp, mapPool, sharpSettings } from '../../../functions/adapters/render/sharp-config.js';
import { blendOver, blendStrip } from '../../../functions/adapters/render/blend.js';

describe('mapPool', () => {
  it('keeps at most `limit` tasks in flight and returns results in input order', async () => {
    let inFlight = 0;
    let peak = 0;
    const out = await mapPool([50, 10, 30, 5, 20, 1], 2, async (ms, i) => {
      inFlight++;
      peak = Math.max(peak, inFlight);
      await new Promise((r) => setTimeout(r, ms));
      inFlight--;
      return i * 10;
    });
    expect(out).toEqual([0, 10, 20, 30, 40, 50]);
    expect(peak).toBe(2);
  });

  it('stops handing out work after a failure and rejects with it', async () => {
    const started: number[] = [];
    const err = await mapPool([1, 2, 3, 4, 5, 6], 1, async (n) => {
      started.push(n);
      if (n === 2) throw new Error('boom');
      return n;
    }).catch((e) => e);
    expect(err.message).toBe('boom');
    expect(started).toEqual([1, 2]);
  });
});

describe('configureSharp', () => {
  it('sets libvips threads per pipeline and the variant pool deliberately', () => {
    const s = configureSharp({ vcpus: 6 });
    expect(s).toEqual({ concurrency: 1, pool: 4 });
    expect(sharp.concurrency()).toBe(1);
    expect(configureSharp({ vcpus: 1 })).toEqual({ concurrency: 1, pool: 1 });
    expect(configureSharp({ concurrency: 2, pool: 3 })).toEqual({ concurrency: 2, pool: 3 });
    expect(sharp.concurrency()).toBe(2);
    expect(sharpSettings()).toEqual({ concurrency: 2, pool: 3 });
    configureSharp();
  });
});

describe('blending', () => {
  const ref = (s: number, d: number, a: number) => Math.floor((s * a + d * (255 - a) + 127) / 255);

  it('blends an RGBA layer over RGB with straight alpha, clipped at the canvas edges', () => {
    const dst = { data: Buffer.alloc(4 * 3 * 3, 100), width: 4, height: 3, channels: 3 };
    const layer = {
      data: new Uint8Array([200, 0, 50, 255, 200, 0, 50, 128, 200, 0, 50, 0, 200, 0, 50, 64]),
      width: 2,
      height: 2,
    };
    blendOver(dst, layer, 3, 2); // only the layer's top-left pixel lands on the canvas
    expect([...dst.data.subarray((2 * 4 + 3) * 3, (2 * 4 + 3) * 3 + 3)]).toEqual([200, 0, 50]);
    expect([...dst.data.subarray(0, 3)]).toEqual([100, 100, 100]);
    blendOver(dst, layer, 0, 0);
    expect([...dst.data.subarray(3, 6)]).toEqual([ref(200, 100, 128), ref(0, 100, 128), ref(50, 100, 128)]);
    expect([...dst.data.subarray((4 + 1) * 3, (4 + 1) * 3 + 3)]).toEqual([
      ref(200, 100, 64),
      ref(0, 100, 64),
      ref(50, 100, 64),
    ]);
  });

  it('applies a 1-px column strip to every column of its row', () => {
    const dst = { data: Buffer.alloc(5 * 2 * 3, 10), width: 5, height: 2, channels: 3 };
    blendStrip(dst, { data: new Uint8Array([0, 0, 0, 0, 250, 100, 0, 200]), width: 1, height: 2 });
    expect([...dst.data.subarray(0, 15)]).toEqual(Array(15).fill(10));
    const row = [ref(250, 10, 200), ref(100, 10, 200), ref(0, 10, 200)];
    expect([...dst.data.subarray(15, 30)]).toEqual([...row, ...row, ...row, ...row, ...row]);
  });
});
