/**
 * EventBridge Scheduler expressions, evaluated locally: `rate(N unit)` and the six-field
 * `cron(minutes hours day-of-month month day-of-week year)` (UTC). The same strings go to
 * CDK (AWS::Scheduler::Schedule ScheduleExpression), so this parser refuses anything AWS would
 * refuse that we can detect, and the few cron features we do not evaluate (L, W, #).
 *
 * Rate schedules in AWS count from the schedule's creation; locally they are aligned to the Unix
 * epoch (rate(1 hour) fires on the hour), which keeps period keys stable across restarts.
 */
export type ScheduleExpression =
  | { kind: 'rate'; everyMs: number; text: string }
  | {
      kind: 'cron';
      minutes: Set<number>;
      hours: Set<number>;
      dom: Set<number> | null;
      months: Set<number>;
      dow: Set<number> | null;
      years: Set<number> | null;
      text: string;
    };

const MONTHS = ['JAN', 'FEB', 'MAR', 'APR', 'MAY', 'JUN', 'JUL', 'AUG', 'SEP', 'OCT', 'NOV', 'DEC'];
const DAYS = ['SUN', 'MON', 'TUE', 'WED', 'THU', 'FRI', 'SAT'];

export class ScheduleExpressionError extends Error {}

function field(spec: string, min: number, max: number, names: string[] | undefined, what: string): Set<number> {
  const out = new Set<number>();
  const num = (s: string): number => {
    const upper = s.toUpperCase();
    if (names) {
      const i = names.indexOf(upper);
      if (i >= 0) return i + min;
    }
    if (!/^\d+$/.test(s))
      throw new ScheduleExpressionError(`${what}: "${s}" is not a number${names ? ' or name' : ''}`);
    const n = Number(s);
    if (n < min || n > max) throw new ScheduleExpressionError(`${what}: ${n} is outside ${min}-${max}`);
    return n;
  };
  for (const part of spec.split(',')) {
    if (/[LW#]/i.test(part) && !names?.some((n) => part.toUpperCase().includes(n))) {
      throw new ScheduleExpressionError(`${what}: "${part}" (L, W, #) is not supported locally`);
    }
    const [range, stepText] = part.split('/');
    const step = stepText === undefined ? 1 : Number(stepText);
    if (!Number.isInteger(step) || step < 1) throw new ScheduleExpressionError(`${what}: bad step in "${part}"`);
    let lo: number;
    let hi: number;
    if (range === '*') {
      lo = min;
      hi = max;
    } else if (range.includes('-')) {
      const [a, b] = range.split('-');
      lo = num(a);
      hi = num(b);
      if (hi < lo) throw new ScheduleExpressionError(`${what}: range "${range}" runs backwards`);
    } else {
      lo = num(range);
      hi = stepText === undefined ? lo : max;
    }
    for (let v = lo; v <= hi; v += step) out.add(v);
  }
  return out;
}

export function parseScheduleExpression(text: string): ScheduleExpression {
  const rate = /^rate\((\d+)\s+(minute|minutes|hour|hours|day|days)\)$/.exec(text);
  if (rate) {
    const n = Number(rate[1]);
    const unit = rate[2];
    if (n < 1) throw new ScheduleExpressionError(`${text}: the value must be positive`);
    if ((n === 1) !== !unit.endsWith('s'))
      throw new ScheduleExpressionError(`${text}: use the singular unit for 1 and the plural otherwise`);
    const unitMs = unit.startsWith('minute') ? 60_000 : unit.startsWith('hour') ? 3_600_000 : 86_400_000;
    return { kind: 'rate', everyMs: n * unitMs, text };
  }
  const cron = /^cron\((.+)\)$/.exec(text);
  if (!cron) throw new ScheduleExpressionError(`${text}: expected rate(...) or cron(...)`);
  const parts = cron[1].trim().split(/\s+/);
  if (parts.length !== 6)
    throw new ScheduleExpressionError(
      `${text}: cron needs 6 fields (minutes hours day-of-month month day-of-week year)`,
    );
  const [mi, ho, dm, mo, dw, yr] = parts;
  if ((dm === '?') === (dw === '?'))
    throw new ScheduleExpressionError(`${text}: exactly one of day-of-month and day-of-week must be "?"`);
  return {
    kind: 'cron',
    text,
    minutes: field(mi, 0, 59, undefined, 'minutes'),
    hours: field(ho, 0, 23, undefined, 'hours'),
    dom: dm === '?' ? null : field(dm, 1, 31, undefined, 'day-of-month'),
    months: field(mo, 1, 12, MONTHS, 'month'),
    // AWS numbers days 1-7 from Sunday.
    dow: dw === '?' ? null : field(dw, 1, 7, DAYS, 'day-of-week'),
    years: yr === '*' ? null : field(yr, 1970, 2199, undefined, 'year'),
  };
}

/** The first fire time strictly after `after` (minute resolution for cron). */
export function nextFireTime(expr: ScheduleExpression, after: Date): Date {
  if (expr.kind === 'rate') {
    return new Date((Math.floor(after.getTime() / expr.everyMs) + 1) * expr.everyMs);
  }
  // Walk forward, skipping whole months / days / hours that cannot match.
  let t = new Date(Math.floor(after.getTime() / 60_000) * 60_000 + 60_000);
  const limit = after.getTime() + 5 * 366 * 86_400_000;
  while (t.getTime() <= limit) {
    const y = t.getUTCFullYear();
    if (expr.years && !expr.years.has(y)) {
      t = new Date(Date.UTC(y + 1, 0, 1));
      continue;
    }
    if (!expr.months.has(t.getUTCMonth() + 1)) {
      t = new Date(Date.UTC(y, t.getUTCMonth() + 1, 1));
      continue;
    }
    const dayOk = expr.dom ? expr.dom.has(t.getUTCDate()) : expr.dow!.has(t.getUTCDay() + 1);
    if (!dayOk) {
      t = new Date(Date.UTC(y, t.getUTCMonth(), t.getUTCDate() + 1));
      continue;
    }
    if (!expr.hours.has(t.getUTCHours())) {
      t = new Date(Date.UTC(y, t.getUTCMonth(), t.getUTCDate(), t.getUTCHours() + 1));
      continue;
    }
    if (!expr.minutes.has(t.getUTCMinutes())) {
      t = new Date(t.getTime() + 60_000);
      continue;
    }
    return t;
  }
  throw new ScheduleExpressionError(`${expr.text}: no fire time within five years`);
}
