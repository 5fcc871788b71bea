import { expect, test } from 'vitest';
import { AdmissionQueue } from '../../../local/workflow/admission-queue.js';

const flush = () => new Promise((r) => setImmediate(r));

test('grants up to the limit at once, then in arrival order, executions already under way first', async () => {
  const q = new AdmissionQueue(2);
  const order: string[] = [];
  const take = (name: string, kind: 'new' | 'continuing') => q.acquire(kind).granted.then(() => order.push(name));
  void take('n1', 'new');
  void take('n2', 'new');
  void take('n3', 'new');
  void take('n4', 'new');
  void take('c1', 'continuing');
  await flush();
  expect(order).toEqual(['n1', 'n2']);
  expect([q.inFlight, q.waiting]).toEqual([2, 3]);
  q.release();
  await flush();
  expect(order).toEqual(['n1', 'n2', 'c1']);
  q.release();
  q.release();
  await flush();
  expect(order).toEqual(['n1', 'n2', 'c1', 'n3', 'n4']);
  expect([q.inFlight, q.waiting]).toEqual([2, 0]);
});

test('a cancelled wait takes no slot and is skipped', async () => {
  const q = new AdmissionQueue(1);
  const order: string[] = [];
  void q.acquire('new').granted.then(() => order.push('a'));
  const b = q.acquire('new');
  void b.granted.then(() => order.push('b'));
  void q.acquire('new').granted.then(() => order.push('c'));
  b.cancel();
  q.release();
  await flush();
  expect(order).toEqual(['a', 'c']);
  expect([q.inFlight, q.waiting]).toEqual([1, 0]);
});

test('a newcomer does not jump a queue that is waiting, and the limit must be at least one', async () => {
  const q = new AdmissionQueue(1);
  q.acquire('new');
  const waiting = q.acquire('new');
  q.release();
  // A slot is free for an instant, but the waiter already has it.
  const late = q.acquire('new');
  const got: string[] = [];
  void waiting.granted.then(() => got.push('waiting'));
  void late.granted.then(() => got.push('late'));
  await flush();
  expect(got).toEqual(['waiting']);
  expect(() => new AdmissionQueue(0)).toThrow(/at least 1/);
});
