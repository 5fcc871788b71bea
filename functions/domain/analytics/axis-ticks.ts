/**
 * Value-axis ticks for the dashboard charts: evenly spaced "nice" numbers (1, 2, 2.5 or 5 times a
 * power of ten) from 0 to the first tick at or above the largest value. The charts plot counts,
 * so steps are whole numbers: an empty chart or a maximum of 1 gets 0 and 1, never 0, 0.5, 1
 * rounded into "0, 1, 1". Pure.
 */

/** Step multipliers; 2.5 only once the step is at least 25 (whole numbers). */
const MULTIPLIERS = [1, 2, 2.5, 5] as const;

export interface AxisTicks {
  /** The top of the axis (the last tick); values are plotted as a fraction of it. */
  max: number;
  /** Distance between ticks. */
  step: number;
  /** 0, step, 2 * step, ..., max. */
  ticks: number[];
}

/**
 * Ticks for values from 0 to `maxValue`, about `target` intervals (at most target + 2). Values
 * below 0 or not finite are treated as 0.
 */
export function axisTicks(maxValue: number, target = 4): AxisTicks {
  const top = Number.isFinite(maxValue) && maxValue > 0 ? maxValue : 0;
  const step = niceStep(top / Math.max(1, target));
  const intervals = Math.max(1, Math.ceil(top / step - 1e-9));
  return { max: intervals * step, step, ticks: Array.from({ length: intervals + 1 }, (_, i) => i * step) };
}

/** The smallest whole nice number at or above `raw` (at least 1). */
export function niceStep(raw: number): number {
  if (!(raw > 1)) return 1;
  let power = 10 ** Math.floor(Math.log10(raw));
  // log10 can land one decade off at exact powers of ten.
  if (power > raw) power /= 10;
  for (;;) {
    for (const m of MULTIPLIERS) {
      const step = m * power;
      if (Number.isInteger(step) && step >= raw) return step;
    }
    power *= 10;
  }
}
