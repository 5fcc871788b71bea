import { describe, expect, test } from 'vitest';
import fc from 'fast-check';
import {
  fullJitterDelay,
  monthKey,
  parseRetryAfter,
  rankStockCandidates,
  sniffImageType,
} from '../../../functions/domain/sourcing.js';
import { quotaVerdict } from '../../../functions/adapters/limits/rules.js';
import { createMemoryTokenBucket } from '../../../local/in-memory/sourcing-limits.js';
import { AppError } from '../../../functions/shared/errors.js';
import { fakeClock, tinyJpeg, tinyPng, tinyWebp } from './fakes.js';

describe('magic bytes', () => {
  test('JPEG, PNG and WebP are recognised by content; other bytes are not', async () => {
    expect(sniffImageType(await tinyJpeg())).toBe('image/jpeg');
    expect(sniffImageType(await tinyPng())).toBe('image/png');
    expect(sniffImageType(await tinyWebp())).toBe('image/webp');
    expect(sniffImageType(Buffer.from('GIF89a......'))).toBeNull();
    expect(sniffImageType(Buffer.from('<!doctype html>'))).toBeNull();
    expect(sniffImageType(Buffer.from([0xff, 0xd8]))).toBeNull();
    expect(sniffImageType(Buffer.from('RIFF\0\0\0\0WAVE'))).toBeNull();
  });
});

describe('stock ranking', () => {
  const items = [
    { id: 1, imageType: 'vector', orientation: 'horizontal', licenseTypes: ['freemium'] },
    { id: 2, imageType: 'photo', orientation: 'vertical', licenseTypes: ['freemium'] },
    { id: 3, imageType: 'photo', orientation: 'horizontal', licenseTypes: ['premium'] },
    { id: 4, imageType: 'psd', orientation: 'horizontal', licenseTypes: ['freemium'] },
    { id: 5, imageType: 'photo', orientation: 'horizontal', licenseTypes: ['freemium'] },
    { id: 6, imageType: 'photo', orientation: 'panoramic', licenseTypes: ['freemium'] },
  ];
  test('only photos; matching orientation first, then freemium, then relevance', () => {
    expect(rankStockCandidates(items, 'wide').map((i) => i.id)).toEqual([5, 6, 3, 2]);
    expect(rankStockCandidates(items, 'tall').map((i) => i.id)).toEqual([2, 5, 6, 3]);
    expect(rankStockCandidates(items).map((i) => i.id)).toEqual([2, 5, 6, 3]);
  });
});

describe('backoff arithmetic', () => {
  test('full jitter stays within [0, min(max, base * 2^n))', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 30 }), fc.double({ min: 0, max: 0.999999, noNaN: true }), (n, r) => {
        const d = fullJitterDelay(n, { baseMs: 500, maxMs: 8000 }, () => r);
        return d >= 0 && d < Math.min(8000, 500 * 2 ** n) + 1e-9;
      }),
    );
  });
  test('Retry-After: seconds, HTTP date, past date, garbage', () => {
    const now = Date.UTC(2026, 0, 1, 0, 0, 0);
    expect(parseRetryAfter('5', now)).toBe(5000);
    expect(parseRetryAfter('0', now)).toBe(0);
    expect(parseRetryAfter(new Date(now + 12_000).toUTCString(), now)).toBe(12_000);
    expect(parseRetryAfter(new Date(now - 12_000).toUTCString(), now)).toBe(0);
    expect(parseRetryAfter('soon', now)).toBeUndefined();
    expect(parseRetryAfter(null, now)).toBeUndefined();
    expect(parseRetryAfter('', now)).toBeUndefined();
  });
  test('month keys are UTC', () => {
    expect(monthKey(new Date('2026-03-31T23:30:00-05:00'))).toBe('2026-04-01');
    expect(monthKey(new Date('2026-12-01T00:00:00Z'))).toBe('2026-12-01');
  });
});

describe('quota verdict', () => {
  const ok = (s: Parameters<typeof quotaVerdict>[0], e = { credits: 1, costUsd: 0.1 }) => {
    quotaVerdict(s, e);
    return true;
  };
  const reason = (s: Parameters<typeof quotaVerdict>[0], e = { credits: 1, costUsd: 0.1 }) => {
    try {
      quotaVerdict(s, e);
      return 'ok';
    } catch (err) {
      expect(err).toBeInstanceOf(AppError);
      expect((err as AppError).code).toBe('quota_exceeded');
      return (err as AppError).message;
    }
  };
  test('unlimited, under, exactly at and over quota', () => {
    expect(ok({ creditQuota: null, budgetUsd: null, usedCredits: 1e6, usedUsd: 1e6 })).toBe(true);
    expect(ok({ creditQuota: 10, budgetUsd: 5, usedCredits: 9, usedUsd: 4.9 })).toBe(true);
    expect(reason({ creditQuota: 10, budgetUsd: null, usedCredits: 10, usedUsd: 0 })).toMatch(
      /credit quota reached: 10 of 10/,
    );
    expect(reason({ creditQuota: 10, budgetUsd: null, usedCredits: 9.5, usedUsd: 0 })).toMatch(/needs 1/);
    expect(reason({ creditQuota: null, budgetUsd: 5, usedCredits: 0, usedUsd: 4.95 })).toMatch(
      /budget reached: \$4\.95 of \$5\.00/,
    );
  });
  test('a used-up allowance stops even a free call; an unused one lets it through', () => {
    expect(
      reason({ creditQuota: 3, budgetUsd: null, usedCredits: 3, usedUsd: 0 }, { credits: 0, costUsd: 0 }),
    ).not.toBe('ok');
    expect(
      reason({ creditQuota: 0, budgetUsd: null, usedCredits: 0, usedUsd: 0 }, { credits: 0, costUsd: 0 }),
    ).not.toBe('ok');
    expect(ok({ creditQuota: 3, budgetUsd: 1, usedCredits: 2, usedUsd: 0.5 }, { credits: 0, costUsd: 0 })).toBe(true);
  });
});

describe('in-memory token bucket', () => {
  test('bursts to capacity, then waits for refill, and refuses past the deadline', async () => {
    const clock = fakeClock();
    const b = createMemoryTokenBucket({ capacity: 2, refillPerSecond: 4, clock });
    const deadline = clock.now() + 1000;
    await b.acquire({ deadline });
    await b.acquire({ deadline });
    expect(clock.sleeps).toEqual([]);
    await b.acquire({ deadline });
    expect(clock.sleeps).toEqual([250]);
    await expect(b.acquire({ deadline: clock.now() + 100 })).rejects.toMatchObject({
      code: 'rate_limited',
      retryable: true,
    });
  });
});
