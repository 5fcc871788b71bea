import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import { fmtInt } from '../../../functions/app/analytics/dashboard-html.js';
import { axisTicks, niceStep } from '../../../functions/domain/analytics/axis-ticks.js';

const isNice = (step: number) => {
  const power = 10 ** Math.floor(Math.log10(step) + 1e-12);
  return [1, 2, 2.5, 5, 10].some((m) => Math.abs(step - m * power) < 1e-9 * step);
};

describe('axisTicks', () => {
  test('an empty chart and a maximum of 1 label 0 and 1 only', () => {
    expect(axisTicks(0).ticks).toEqual([0, 1]);
    expect(axisTicks(1).ticks).toEqual([0, 1]);
    expect(axisTicks(Number.NaN).ticks).toEqual([0, 1]);
    expect(axisTicks(-5).ticks).toEqual([0, 1]);
  });

  test('round steps for everyday maxima', () => {
    expect(axisTicks(3).ticks).toEqual([0, 1, 2, 3]);
    expect(axisTicks(7).ticks).toEqual([0, 2, 4, 6, 8]);
    expect(axisTicks(1000).ticks).toEqual([0, 250, 500, 750, 1000]);
    expect(axisTicks(1001).ticks).toEqual([0, 500, 1000, 1500]);
    expect(axisTicks(86_400).ticks).toEqual([0, 25_000, 50_000, 75_000, 100_000]);
    expect(niceStep(10)).toBe(10);
    expect(niceStep(2.4)).toBe(5);
  });

  test('over many ranges: distinct whole ticks from 0, evenly spaced, covering the maximum tightly', () => {
    fc.assert(
      fc.property(
        fc.oneof(
          fc.integer({ min: 0, max: 20 }),
          fc.integer({ min: 0, max: 2_000_000_000 }),
          fc.double({ min: 0, max: 1e12, noNaN: true }),
        ),
        fc.integer({ min: 2, max: 8 }),
        (max, target) => {
          const { ticks, step, max: top } = axisTicks(max, target);
          expect(ticks[0]).toBe(0);
          expect(ticks.at(-1)).toBe(top);
          expect(top).toBeGreaterThanOrEqual(max);
          if (max > 0) expect(top - step).toBeLessThan(max);
          expect(ticks.length).toBeGreaterThanOrEqual(2);
          expect(ticks.length).toBeLessThanOrEqual(target + 2);
          expect(isNice(step)).toBe(true);
          for (const [i, t] of ticks.entries()) {
            expect(Number.isInteger(t)).toBe(true);
            expect(t).toBe(i * step);
          }
          // What the reader sees: the formatted labels, all different.
          const labels = ticks.map(fmtInt);
          expect(new Set(labels).size).toBe(labels.length);
        },
      ),
      { numRuns: 2000 },
    );
  });
});
