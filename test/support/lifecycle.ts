import { afterAll, beforeAll } from 'vitest';

/**
 * Starts a resource before the tests of the current file (or describe block) and stops it after
 * them; the returned function gives the started resource to the tests. When starting fails there
 * is nothing to stop, and the tests fail on the start's own error.
 */
export function startForAll<T>(start: () => Promise<T>, stop: (started: T) => Promise<unknown>): () => T {
  let started: { value: T } | undefined;
  beforeAll(async () => {
    started = { value: await start() };
  });
  afterAll(async () => {
    if (started) await stop(started.value);
  });
  return () => {
    if (!started) throw new Error('the resource is only there while the tests it was started for run');
    return started.value;
  };
}
