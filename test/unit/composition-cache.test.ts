/**
 * The composition root's cache: what a test or the local stack provides replaces the value for
 * everything built afterwards, including values built earlier on top of the replaced one.
 */
import { afterEach, describe, expect, it } from 'vitest';
import {
  isResolved,
  provide,
  remember,
  resetComposition,
  resolve,
} from '../../functions/handlers/composition/cache.js';

// Stand-ins: the cache never looks inside its values.
const fake = (label: string): never => ({ label }) as never;
const label = (v: unknown) => (v as { label: string }).label;

let builds = 0;
const counted = (name: string): never => {
  builds++;
  return fake(name);
};
const store = () => resolve('store', () => counted('built store'));
const webhooks = () => resolve('webhooks', () => counted(`webhooks on ${label(store())}`));
const events = () => resolve('events', () => counted(`events on ${label(webhooks())}`));

afterEach(() => {
  resetComposition();
  builds = 0;
});

describe('composition cache', () => {
  it('builds a value once', () => {
    expect(label(events())).toBe('events on webhooks on built store');
    expect(label(events())).toBe('events on webhooks on built store');
    expect(builds).toBe(3);
  });

  it('provide() drops what was built from the replaced value, transitively, and nothing else', () => {
    events();
    const clock = resolve('clock', () => fake('clock'));
    provide('store', fake('provided store'));
    expect(isResolved('webhooks')).toBe(false);
    expect(isResolved('events')).toBe(false);
    expect(label(events())).toBe('events on webhooks on provided store');
    expect(resolve('clock', () => fake('another clock'))).toBe(clock);
  });

  it('provide() of a value built earlier replaces it; remember() of a loaded value drops its readers', () => {
    webhooks();
    provide({ webhooks: fake('provided webhooks') });
    expect(label(events())).toBe('events on provided webhooks');
    resetComposition();
    remember('freepikConfig', fake('config 1'));
    const source = () =>
      resolve('imageSource', () => fake(`source on ${label(resolve('freepikConfig', () => fake('none')))}`));
    expect(label(source())).toBe('source on config 1');
    remember('freepikConfig', fake('config 2'));
    expect(label(source())).toBe('source on config 2');
  });

  it('resetComposition() forgets provided and built values; a throwing builder is not remembered', () => {
    provide('store', fake('provided store'));
    webhooks();
    resetComposition();
    expect(label(webhooks())).toBe('webhooks on built store');
    expect(() =>
      resolve('log', () => {
        throw new Error('not configured');
      }),
    ).toThrow('not configured');
    expect(isResolved('log')).toBe(false);
  });
});
