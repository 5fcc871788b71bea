import { existsSync } from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, test, vi } from 'vitest';
import { startLocalScheduler } from '../../../local/schedules/scheduler.js';
import { jobNames } from '../../../functions/domain/analytics/job-catalog.js';
import { nextFireTime, parseScheduleExpression } from '../../../local/schedules/schedule-expression.js';
import { schedulerInput, schedules } from '../../../functions/handlers/scheduled/schedules.js';

describe('schedule expressions (EventBridge Scheduler syntax)', () => {
  test('cron: minutes past every hour, daily, weekdays', () => {
    const hourly = parseScheduleExpression('cron(5 * * * ? *)');
    expect(nextFireTime(hourly, new Date('2025-01-01T10:04:59Z'))).toEqual(new Date('2025-01-01T10:05:00Z'));
    expect(nextFireTime(hourly, new Date('2025-01-01T10:05:00Z'))).toEqual(new Date('2025-01-01T11:05:00Z'));
    const nightly = parseScheduleExpression('cron(30 3 * * ? *)');
    expect(nextFireTime(nightly, new Date('2025-12-31T04:00:00Z'))).toEqual(new Date('2026-01-01T03:30:00Z'));
    const weekdays = parseScheduleExpression('cron(0 9 ? * MON-FRI *)');
    expect(nextFireTime(weekdays, new Date('2025-01-03T10:00:00Z'))).toEqual(new Date('2025-01-06T09:00:00Z')); // Fri -> Mon
    const every15 = parseScheduleExpression('cron(0/15 * * * ? *)');
    expect(nextFireTime(every15, new Date('2025-01-01T10:16:00Z'))).toEqual(new Date('2025-01-01T10:30:00Z'));
  });
  test('rate: aligned to the epoch', () => {
    expect(nextFireTime(parseScheduleExpression('rate(1 hour)'), new Date('2025-01-01T10:20:00Z'))).toEqual(
      new Date('2025-01-01T11:00:00Z'),
    );
    expect(nextFireTime(parseScheduleExpression('rate(5 minutes)'), new Date('2025-01-01T10:21:00Z'))).toEqual(
      new Date('2025-01-01T10:25:00Z'),
    );
  });
  test('what AWS would refuse is refused', () => {
    for (const bad of [
      'rate(1 hours)',
      'rate(2 hour)',
      'rate(0 minutes)',
      'cron(5 * * * *)',
      'cron(5 * * * * *)',
      'cron(5 * ? * ? *)',
      'cron(61 * * * ? *)',
      'every hour',
    ]) {
      expect(() => parseScheduleExpression(bad), bad).toThrow();
    }
  });
});

describe('the schedule table', () => {
  test('every job is scheduled once, every expression parses, every fn has a handler module', () => {
    expect(schedules.map((s) => s.name).sort()).toEqual([...jobNames].sort());
    for (const s of schedules) {
      expect(() => parseScheduleExpression(s.expression), s.name).not.toThrow();
      expect(existsSync(path.join('functions/handlers/scheduled', `${s.fn}.ts`)), s.fn).toBe(true);
      expect(s.periodOf(new Date('2025-03-01T14:05:00Z'))).toMatch(/^\d{4}-\d{2}-\d{2}(T\d{2})?$/);
    }
    expect(JSON.parse(schedulerInput(schedules[0]))).toEqual({
      job: schedules[0].name,
      scheduledTime: '<aws.scheduler.scheduled-time>',
    });
  });
  test('hourly rollups run after the hour they cover and the view refresh after them', () => {
    const at = (n: string) =>
      nextFireTime(
        parseScheduleExpression(schedules.find((s) => s.name === n)!.expression),
        new Date('2025-03-01T14:00:00Z'),
      );
    expect(at('rollup-content-hourly') < at('refresh-materialized-views')).toBe(true);
    expect(schedules.find((s) => s.name === 'rollup-content-hourly')!.periodOf(at('rollup-content-hourly'))).toBe(
      '2025-03-01T13',
    );
  });
});

describe('local scheduler', () => {
  afterEach(() => {
    vi.useRealTimers();
  });
  test('fires each schedule at its due time with that time, once per due time', async () => {
    vi.useFakeTimers({ now: new Date('2025-01-01T10:04:00Z') });
    const fired: string[] = [];
    const s = startLocalScheduler({
      schedules: [
        { name: 'a', expression: 'cron(5 * * * ? *)' },
        { name: 'b', expression: 'rate(30 minutes)' },
      ],
      run: async (sch, at) => {
        fired.push(`${sch.name}@${at.toISOString()}`);
      },
    });
    await vi.advanceTimersByTimeAsync(62 * 60_000);
    await s.stop();
    expect(fired).toEqual([
      'a@2025-01-01T10:05:00.000Z',
      'b@2025-01-01T10:30:00.000Z',
      'b@2025-01-01T11:00:00.000Z',
      'a@2025-01-01T11:05:00.000Z',
    ]);
  });
  test('a failing run is logged and the schedule keeps going; stop() ends firing', async () => {
    vi.useFakeTimers({ now: new Date('2025-01-01T10:00:30Z') });
    const logs: string[] = [];
    let n = 0;
    const s = startLocalScheduler({
      schedules: [{ name: 'x', expression: 'rate(1 minute)' }],
      run: async () => {
        n++;
        throw new Error('boom');
      },
      log: (m) => logs.push(m),
    });
    await vi.advanceTimersByTimeAsync(3 * 60_000);
    await s.stop();
    await vi.advanceTimersByTimeAsync(5 * 60_000);
    expect(n).toBe(3);
    expect(logs.filter((l) => l.includes('run failed'))).toHaveLength(3);
  });
  test('a bad expression fails at start', () => {
    expect(() =>
      startLocalScheduler({ schedules: [{ name: 'x', expression: 'rate(1 fortnight)' }], run: async () => {} }),
    ).toThrow();
  });
});
