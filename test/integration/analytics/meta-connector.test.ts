import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import {
  createFacebookConnector,
  createInstagramConnector,
} from '../../../functions/adapters/analytics/meta-graph-connector.js';
import { startMetaEmulator, type MetaEmulator } from '../../../local/emulators/meta-emulator.js';
import { FieldCipher, LocalKeyProvider } from '../../../functions/adapters/crypto/envelope.js';
import { tokenFieldContext } from '../../../functions/app/analytics/collect-metrics.js';
import { runJob } from '../../../functions/app/analytics/run-job.js';
import { ConnectorError } from '../../../functions/domain/analytics/connector.js';
import { addHours, hourKey } from '../../../functions/domain/analytics/periods.js';
import { createTestDatabase, type TestDatabase } from '../../support/db.js';
import { seedContent, seedOrg, type SeededOrg } from './fixtures.js';

let emu: MetaEmulator;
const conn = {
  id: 'c1',
  orgId: 'o1',
  platform: 'instagram',
  accountId: '1784',
  accessToken: 'tok-good',
  lastCollectedAt: null,
};
const post = (id: string, variantId = '00000000-0000-4000-8000-000000000001') => ({
  variantId,
  externalPostId: id,
  platform: 'instagram',
  publishedAt: new Date(),
});
const fixedNow = () => new Date('2025-03-01T10:15:30.500Z');

beforeAll(async () => {
  emu = await startMetaEmulator({ pageSize: 4 });
  emu.addToken('tok-good');
  emu.setObject('17890001', {
    kind: 'ig_media',
    insights: { views: 5000, reach: 3100, likes: 210, comments: 14, shares: 9, saved: 33 },
  });
  emu.setObject('17890002', {
    kind: 'ig_media',
    insights: { views: 80, reach: 70, likes: 1, comments: 0, shares: 0, saved: 0 },
  });
  emu.setObject('1001_2002', {
    kind: 'fb_post',
    insights: { post_media_view: 900, post_total_media_view_unique: 650, post_clicks: 41, post_video_views: 0 },
    shares: 5,
    comments: 7,
    reactions: 120,
  });
});
afterAll(async () => {
  await emu?.stop();
});

describe('Meta Graph connectors against the emulator', () => {
  test('Instagram media insights: all metrics across pages, mapped to our names', async () => {
    const ig = createInstagramConnector({ baseUrl: emu.baseUrl, now: fixedNow });
    const r = await ig.collect(conn, [post('17890001')], null);
    expect(r.skipped).toEqual([]);
    expect(Object.fromEntries(r.points.map((p) => [p.metric, p.value]))).toEqual({
      impressions: 5000,
      reach: 3100,
      likes: 210,
      comments: 14,
      shares: 9,
      saves: 33,
    });
    expect(
      r.points.every((p) => p.platform === 'instagram' && p.recordedAt.toISOString() === '2025-03-01T10:15:30.000Z'),
    ).toBe(true);
    // 6 metrics at 4 per page: the connector followed paging.next once.
    const calls = emu.requests.filter((q) => q.path === '/v24.0/17890001/insights');
    expect(calls.map((c) => c.query.after ?? null)).toEqual([null, expect.any(String)]);
    expect(calls.every((c) => !('access_token' in c.query))).toBe(true);
  });

  test('Facebook post: insights plus reactions, comments and shares fields', async () => {
    const fb = createFacebookConnector({ baseUrl: emu.baseUrl, now: fixedNow });
    const r = await fb.collect(
      { ...conn, platform: 'facebook' },
      [{ ...post('1001_2002'), platform: 'facebook' }],
      null,
    );
    expect(Object.fromEntries(r.points.map((p) => [p.metric, p.value]))).toEqual({
      impressions: 900,
      reach: 650,
      clicks: 41,
      video_views: 0,
      likes: 120,
      comments: 7,
      shares: 5,
    });
  });

  test('a deleted post is skipped, the others are still collected', async () => {
    const ig = createInstagramConnector({ baseUrl: emu.baseUrl, now: fixedNow });
    const r = await ig.collect(conn, [post('999999'), post('17890002')], null);
    expect(r.skipped).toEqual([{ externalPostId: '999999', reason: expect.stringContaining('Graph API error 100') }]);
    expect(r.points.filter((p) => p.metric === 'impressions').map((p) => p.value)).toEqual([80]);
  });

  test('rate limit (code 4/17/32/613): retry later, with the wait from the usage header and what was read so far', async () => {
    for (const code of [4, 17, 32, 613]) {
      emu.requests.length = 0;
      const ig2 = createInstagramConnector({
        baseUrl: emu.baseUrl,
        now: fixedNow,
        fetch: async (url, init) => {
          // Throttle from the third request on (post 2), like Meta does mid-run.
          if (emu.requests.length >= 2)
            emu.failNext({
              code,
              message: `(#${code}) limit reached`,
              headers: {
                'x-business-use-case-usage': JSON.stringify({
                  '1784': [{ type: 'instagram', call_count: 100, estimated_time_to_regain_access: 7 }],
                }),
              },
            });
          return fetch(url, init);
        },
      });
      const e = await ig2.collect(conn, [post('17890001'), post('17890002')], null).then(
        () => undefined,
        (x) => x,
      );
      expect(e).toBeInstanceOf(ConnectorError);
      expect(e.kind).toBe('rate_limited');
      expect(e.retryAfterSeconds).toBe(7 * 60);
      expect(e.retryable).toBe(true);
      expect(e.partial.points.length).toBe(6);
    }
  });

  test('OAuthException 190 (revoked token) asks for re-authorization', async () => {
    const ig = createInstagramConnector({ baseUrl: emu.baseUrl });
    const e = await ig.collect({ ...conn, accessToken: 'tok-revoked' }, [post('17890001')], null).then(
      () => undefined,
      (x) => x,
    );
    expect(e).toBeInstanceOf(ConnectorError);
    expect(e.kind).toBe('reauth_required');
    expect(e.message).toMatch(/190/);
    expect(e.message).not.toMatch(/tok-revoked/);
  });

  test('a platform outage is transient', async () => {
    emu.failNext({ code: 2, status: 500, message: 'Service temporarily unavailable' });
    const e = await createInstagramConnector({ baseUrl: emu.baseUrl })
      .collect(conn, [post('17890001')], null)
      .then(
        () => undefined,
        (x) => x,
      );
    expect(e.kind).toBe('transient');
  });
});

describe('the collect-metrics job', () => {
  let t: TestDatabase;
  let org: SeededOrg;
  let keyDir: string;
  let cipher: FieldCipher;
  let connectionId: string;
  const t0 = new Date();

  beforeAll(async () => {
    t = await createTestDatabase();
    org = await seedOrg(t.owner);
    const c = await seedContent(t.owner, org, { platforms: ['instagram_square'] });
    keyDir = mkdtempSync(path.join(os.tmpdir(), 'svp-meta-'));
    cipher = new FieldCipher(new LocalKeyProvider(randomBytes(32)));
    const [row] = await t.owner<
      { id: string }[]
    >`insert into social_connections (organization_id, platform, account_id, access_token_enc) values (${org.orgId}, 'instagram', '1784', 'pending')
      returning id`;
    connectionId = row.id;
    const enc = await cipher.encrypt('tok-good', tokenFieldContext({ orgId: org.orgId, id: connectionId }));
    await t.owner`update social_connections set access_token_enc = ${enc} where id = ${connectionId}`;
    await t.owner`insert into published_posts (organization_id, variant_id, platform, external_post_id, connection_id)
      values (${org.orgId}, ${c.variants[0].id}, 'instagram', '17890001', ${connectionId})`;
  });
  afterAll(async () => {
    await t?.drop();
    rmSync(keyDir, { recursive: true, force: true });
  });

  const collect = (now: Date) =>
    runJob(
      'collect-metrics',
      { now },
      {
        db: t.app,
        collector: { connectors: [createInstagramConnector({ baseUrl: emu.baseUrl, now: () => now })], cipher },
      },
    );

  test('stores lifetime totals as increments; the next run stores only the growth', async () => {
    emu.setObject('17890001', {
      kind: 'ig_media',
      insights: { views: 5000, reach: 3100, likes: 210, comments: 14, shares: 9, saved: 33 },
    });
    const r1 = await collect(t0);
    expect(r1.status).toBe('succeeded');
    expect(r1.result).toMatchObject({ connections: 1, samples: 6 });
    emu.bump('17890001', 'likes', 15);
    emu.bump('17890001', 'views', 250);
    const r2 = await collect(addHours(t0, 1));
    expect(r2.result).toMatchObject({ samples: 2 });
    const sums =
      await t.owner`select metric, sum(value)::int as v from content_analytics where organization_id = ${org.orgId} group by metric order by metric`;
    expect(Object.fromEntries(sums.map((s) => [s.metric, s.v]))).toEqual({
      comments: 14,
      impressions: 5250,
      likes: 225,
      reach: 3100,
      saves: 33,
      shares: 9,
    });
    // Same period again: a duplicate delivery does nothing.
    const dup = await collect(addHours(t0, 1));
    expect(dup).toMatchObject({ status: 'skipped', periodKey: hourKey(addHours(t0, 1)) });
    // The samples are marked for the hourly rollup.
    const roll = await runJob('rollup-content-hourly', { now: addHours(t0, 2) }, { db: t.app });
    expect(roll.result?.rollup).toMatchObject({ dirtyHoursClaimed: 2 });
  });

  test('a revoked token marks the connection as needing re-authorization and it is skipped afterwards', async () => {
    emu.revokeToken('tok-good');
    try {
      const r = await collect(addHours(t0, 3));
      expect(r.status).toBe('succeeded');
      expect((r.result?.outcomes as { status: string }[])[0].status).toBe('needs_reauth');
      const [c] = await t.owner`select status, last_error from social_connections where id = ${connectionId}`;
      expect(c.status).toBe('needs_reauth');
      expect(c.last_error).toMatch(/190/);
      const next = await collect(addHours(t0, 4));
      expect(next.result).toMatchObject({ connections: 0 });
    } finally {
      emu.addToken('tok-good');
    }
  });
});
