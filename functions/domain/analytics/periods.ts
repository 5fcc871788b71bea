/**
 * Period keys for scheduled jobs and date ranges for the dashboard. All UTC.
 *   hour key  2025-01-31T13   -> [13:00, 14:00)
 *   day key   2025-01-31      -> [00:00, next 00:00)
 *   month key 2025-01         -> [1st 00:00, next 1st)
 */
const HOUR_MS = 3_600_000;
const DAY_MS = 86_400_000;

export type PeriodGrain = 'hour' | 'day' | 'month';
export interface Period {
  key: string;
  grain: PeriodGrain;
  start: Date;
  end: Date;
}

const pad = (n: number) => String(n).padStart(2, '0');

export const startOfHour = (d: Date) => new Date(Math.floor(d.getTime() / HOUR_MS) * HOUR_MS);
export const startOfDay = (d: Date) => new Date(Math.floor(d.getTime() / DAY_MS) * DAY_MS);
export const startOfMonth = (d: Date) => new Date(Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), 1));
export const addHours = (d: Date, n: number) => new Date(d.getTime() + n * HOUR_MS);
export const addDays = (d: Date, n: number) => new Date(d.getTime() + n * DAY_MS);

export const dayKey = (d: Date) => `${d.getUTCFullYear()}-${pad(d.getUTCMonth() + 1)}-${pad(d.getUTCDate())}`;
export const hourKey = (d: Date) => `${dayKey(d)}T${pad(d.getUTCHours())}`;
export const monthKey = (d: Date) => `${d.getUTCFullYear()}-${pad(d.getUTCMonth() + 1)}`;

/** The hour that ended most recently at `now` (a job firing at 14:05 covers 13:00-14:00). */
export const previousHour = (now: Date): Period => hourPeriod(addHours(startOfHour(now), -1));
/** The hour `now` falls in. */
export const currentHour = (now: Date): Period => hourPeriod(startOfHour(now));
/** The UTC day that ended most recently (a job at 00:20 covers yesterday). */
export const previousDay = (now: Date): Period => dayPeriod(addDays(startOfDay(now), -1));
/** The UTC day `now` falls in. */
export const currentDay = (now: Date): Period => dayPeriod(startOfDay(now));

export function hourPeriod(start: Date): Period {
  const s = startOfHour(start);
  return { key: hourKey(s), grain: 'hour', start: s, end: addHours(s, 1) };
}
export function dayPeriod(start: Date): Period {
  const s = startOfDay(start);
  return { key: dayKey(s), grain: 'day', start: s, end: addDays(s, 1) };
}
export function monthPeriod(start: Date): Period {
  const s = startOfMonth(start);
  return {
    key: monthKey(s),
    grain: 'month',
    start: s,
    end: new Date(Date.UTC(s.getUTCFullYear(), s.getUTCMonth() + 1, 1)),
  };
}

/** Parses a period key (hour, day or month); undefined when it is not one or not a real date. */
export function parsePeriodKey(key: string): Period | undefined {
  let m = /^(\d{4})-(\d{2})-(\d{2})T(\d{2})$/.exec(key);
  if (m) {
    const d = new Date(Date.UTC(+m[1], +m[2] - 1, +m[3], +m[4]));
    return hourKey(d) === key ? hourPeriod(d) : undefined;
  }
  m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(key);
  if (m) {
    const d = new Date(Date.UTC(+m[1], +m[2] - 1, +m[3]));
    return dayKey(d) === key ? dayPeriod(d) : undefined;
  }
  m = /^(\d{4})-(\d{2})$/.exec(key);
  if (m) {
    const d = new Date(Date.UTC(+m[1], +m[2] - 1, 1));
    return monthKey(d) === key ? monthPeriod(d) : undefined;
  }
  return undefined;
}

/** Parses YYYY-MM-DD strictly (a real calendar date). */
export function parseDay(s: string): Date | undefined {
  const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(s);
  if (!m) return undefined;
  const d = new Date(Date.UTC(+m[1], +m[2] - 1, +m[3]));
  return dayKey(d) === s ? d : undefined;
}

/** Every day key in [from, to] (inclusive). */
export function daysBetween(from: Date, to: Date): string[] {
  const out: string[] = [];
  for (let d = startOfDay(from); d.getTime() <= startOfDay(to).getTime(); d = addDays(d, 1)) out.push(dayKey(d));
  return out;
}

export const DEFAULT_RANGE_DAYS = 30;
export const MAX_RANGE_DAYS = 366;

export interface DayRange {
  from: Date;
  to: Date;
  days: number;
}
export type RangeProblem = { path: 'from' | 'to'; message: string };

/**
 * The dashboard's inclusive day range: defaults to the last 30 days ending today (UTC); `from`
 * after `to` or a span over 366 days is refused.
 */
export function resolveDayRange(input: { from?: string; to?: string }, now: Date): DayRange | RangeProblem {
  const to = input.to !== undefined ? parseDay(input.to) : startOfDay(now);
  if (!to) return { path: 'to', message: 'expected a date YYYY-MM-DD' };
  const from = input.from !== undefined ? parseDay(input.from) : addDays(to, -(DEFAULT_RANGE_DAYS - 1));
  if (!from) return { path: 'from', message: 'expected a date YYYY-MM-DD' };
  if (from.getTime() > to.getTime()) return { path: 'from', message: 'from is after to' };
  const days = Math.round((to.getTime() - from.getTime()) / DAY_MS) + 1;
  if (days > MAX_RANGE_DAYS) return { path: 'from', message: `the range may span at most ${MAX_RANGE_DAYS} days` };
  return { from, to, days };
}
export const isRangeProblem = (r: DayRange | RangeProblem): r is RangeProblem => 'message' in r;
