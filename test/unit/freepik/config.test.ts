import { describe, expect, test } from 'vitest';
import { configForEmulator, downloadHostsFor, loadFreepikConfig } from '../../../functions/adapters/freepik/config.js';

describe('Freepik configuration', () => {
  test('defaults follow the contract; no key means no key (the local stack then uses the emulator)', () => {
    const c = loadFreepikConfig({ PATH: '/bin' });
    expect(c).toMatchObject({
      baseUrl: 'https://api.freepik.com',
      keyHeader: 'x-freepik-api-key',
      aiMode: 'classic',
      rate: { key: 'freepik:global', capacity: 50, refillPerSecond: 10 },
    });
    expect(c.apiKey).toBeUndefined();
    expect(c.download.allowedHosts).toContain('downloadscdn*.freepik.com');
    expect(c.download.localHttpHosts).toEqual([]);
    expect(c.download.maxPixels).toBe(40_000_000);
  });
  test('everything is overridable from the environment', () => {
    const c = loadFreepikConfig({
      FREEPIK_BASE_URL: 'https://api.magnific.com/',
      FREEPIK_API_KEY: ' abc ',
      FREEPIK_KEY_HEADER: 'X-Magnific-Api-Key',
      FREEPIK_MAX_RETRIES: '2',
      FREEPIK_AI_MODE: 'mystic',
      FREEPIK_DOWNLOAD_HOSTS: 'cdn.magnific.com, img.magnific.com',
      FREEPIK_PRICING: '{"textToImage":{"credits":2,"costUsd":0.01},"mystic":{"4k":{"credits":5,"costUsd":0.5}}}',
    });
    expect(c).toMatchObject({
      baseUrl: 'https://api.magnific.com',
      apiKey: 'abc',
      keyHeader: 'x-magnific-api-key',
      maxRetries: 2,
      aiMode: 'mystic',
    });
    expect(c.download.allowedHosts).toEqual(['cdn.magnific.com', 'img.magnific.com']);
    expect(c.pricing.textToImage).toEqual({ credits: 2, costUsd: 0.01 });
    expect(c.pricing.mystic['4k']).toEqual({ credits: 5, costUsd: 0.5 });
    expect(c.pricing.mystic['2k']).toEqual({ credits: 1, costUsd: 0.11 });
  });
  test("the download allow-list follows the configured API host (Magnific) and keeps Freepik's CDN; an explicit list wins", () => {
    const c = loadFreepikConfig({
      FREEPIK_BASE_URL: 'https://api.magnific.com',
      FREEPIK_KEY_HEADER: 'x-magnific-api-key',
    });
    expect(c.download.allowedHosts).toEqual([
      'img.freepik.com',
      'downloadscdn*.freepik.com',
      'ai-statics.freepik.com',
      'img.magnific.com',
      'downloadscdn*.magnific.com',
      'ai-statics.magnific.com',
    ]);
    expect(loadFreepikConfig({}).download.allowedHosts).toEqual([
      'img.freepik.com',
      'downloadscdn*.freepik.com',
      'ai-statics.freepik.com',
    ]);
    expect(loadFreepikConfig({ FREEPIK_BASE_URL: 'http://127.0.0.1:4010' }).download.allowedHosts).toHaveLength(3);
    expect(downloadHostsFor('https://eu.api.magnific.com')).toContain('img.magnific.com');
    expect(
      loadFreepikConfig({ FREEPIK_BASE_URL: 'https://api.magnific.com', FREEPIK_DOWNLOAD_HOSTS: 'cdn.example.com' })
        .download.allowedHosts,
    ).toEqual(['cdn.example.com']);
  });
  test("sourcing settings: Mystic polling below the sourcing Lambda's 120 s, three stock downloads per request, six previews per group", () => {
    const c = loadFreepikConfig({});
    expect(c.mystic).toMatchObject({ deadlineMs: 90_000, fallback: true });
    expect(c.stock).toEqual({ searchLimit: 30, previewChecks: 6, maxDownloads: 3 });
    expect(loadFreepikConfig({ FREEPIK_MYSTIC_FALLBACK: 'false', FREEPIK_STOCK_MAX_DOWNLOADS: '5' })).toMatchObject({
      mystic: { fallback: false },
      stock: { maxDownloads: 5 },
    });
    expect(() => loadFreepikConfig({ FREEPIK_STOCK_MAX_DOWNLOADS: '0' })).toThrow(/FREEPIK_STOCK_MAX_DOWNLOADS/);
  });
  test('bad values fail loudly and name the variable', () => {
    expect(() => loadFreepikConfig({ FREEPIK_BASE_URL: 'not a url' })).toThrow(/FREEPIK_BASE_URL/);
    expect(() => loadFreepikConfig({ FREEPIK_MAX_RETRIES: '-1' })).toThrow(/FREEPIK_MAX_RETRIES/);
    expect(() => loadFreepikConfig({ FREEPIK_PRICING: '{"textToImage":{"credits":"x"}}' })).toThrow(/FREEPIK_PRICING/);
  });
  test('pointing at the emulator allows plain http for its host only', () => {
    const c = configForEmulator(loadFreepikConfig({}), 'http://127.0.0.1:4010', 'emulator-key');
    expect(c).toMatchObject({ baseUrl: 'http://127.0.0.1:4010', apiKey: 'emulator-key' });
    expect(c.download.localHttpHosts).toEqual(['127.0.0.1']);
  });
});
