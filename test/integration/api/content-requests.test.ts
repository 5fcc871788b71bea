import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import {
  activitySchema,
  contentRequestDetail,
  contentRequestSummary,
} from '../../../functions/handlers/api/schemas/content.js';
import { brandBody, startTestApi, templateLayers, type TestApi, type TestUser } from '../../support/api.js';

let api: TestApi;
let orgId: string;
let owner: TestUser;
let creator: TestUser;
let viewer: TestUser;
let approver: TestUser;
let outsider: TestUser;
let brandId: string;
let templateId: string;

const body = (over: Record<string, unknown> = {}) => ({
  brandId,
  brief: {
    headline: 'Cold brew season is here',
    body: 'Slow-steeped for 18 hours.',
    callToAction: 'Order now',
    hashtags: ['#acme'],
  },
  image: { source: 'stock', query: 'iced coffee glass' },
  platforms: ['instagram_square', 'linkedin'],
  ...over,
});
const path = () => `/v1/orgs/${orgId}/content-requests`;

beforeAll(async () => {
  api = await startTestApi();
  ({
    orgId,
    owner,
    outsider,
    members: { creator, viewer, approver },
  } = await api.team(['creator', 'viewer', 'approver']));
  brandId = (await api.call('POST', `/v1/orgs/${orgId}/brands`, { token: owner.token, body: brandBody('CR') })).body.id;
  templateId = (
    await api.call('POST', `/v1/orgs/${orgId}/templates`, {
      token: owner.token,
      body: { brandId, name: 'T', layers: templateLayers, platforms: ['instagram_square', 'linkedin', 'x'] },
    })
  ).body.id;
});
afterAll(async () => {
  await api?.close();
});

describe('create', () => {
  test('202 queued, run 1, workflow started with (org, request, run), execution recorded, audited', async () => {
    const r = await api.call('POST', path(), { token: creator.token, body: body({ templateId }) });
    expect(r.status).toBe(202);
    const s = contentRequestSummary.parse(r.body);
    expect(s).toMatchObject({
      status: 'queued',
      run: 1,
      templateId,
      requestedBy: creator.id,
      platforms: ['instagram_square', 'linkedin'],
    });
    expect(r.headers.get('location')).toBe(`${path()}/${s.id}`);
    expect(api.workflow.starts).toContainEqual({ orgId, requestId: s.id, run: 1 });
    const [row] = await api.db.owner`select execution_name, execution_arn from content_requests where id = ${s.id}`;
    expect(row.execution_name).toBe(`req-${s.id}-r1`);
    const [log] = await api.db.owner`select action, user_id from user_activity_logs where resource_id = ${s.id}`;
    expect(log).toMatchObject({ action: 'content_request.create', user_id: creator.id });
  });

  test('validation: presets, image spec, brief, unknown fields, foreign brand/template', async () => {
    const r = await api.call('POST', path(), {
      token: creator.token,
      body: body({
        platforms: ['myspace', 'linkedin', 'linkedin'],
        image: { source: 'ai' },
        brief: { headline: '' },
        status: 'published',
      }),
    });
    expect(r.status).toBe(400);
    const paths = r.body.errors.map((e: { path: string }) => e.path).sort();
    expect(paths).toEqual(['body.brief.headline', 'body.image', 'body.platforms[0]', 'body.status']);
    const dup = await api.call('POST', path(), {
      token: creator.token,
      body: body({ platforms: ['linkedin', 'linkedin'] }),
    });
    expect(dup.body.errors).toEqual([{ path: 'body.platforms', message: 'platforms must not repeat' }]);
    const other = await api.org();
    const foreignBrand = (
      await api.call('POST', `/v1/orgs/${other.org.id}/brands`, {
        token: other.owner.token,
        body: brandBody('Foreign'),
      })
    ).body.id;
    const f = await api.call('POST', path(), { token: creator.token, body: body({ brandId: foreignBrand }) });
    expect(f.status).toBe(400);
    expect(f.body.errors).toEqual([{ path: 'body.brandId', message: 'no such brand' }]);
    const t = await api.call('POST', path(), {
      token: creator.token,
      body: body({ templateId, platforms: ['pinterest'] }),
    });
    expect(t.status).toBe(400);
    expect(t.body.errors).toEqual([{ path: 'body.platforms[0]', message: 'the template is not made for pinterest' }]);
    expect(await api.db.owner`select 1 from content_requests where brand_id = ${foreignBrand}`).toHaveLength(0);
  });

  test('roles and tenants: viewers and approvers cannot create (403); outsiders 404; no token 401', async () => {
    expect((await api.call('POST', path(), { token: viewer.token, body: body() })).status).toBe(403);
    expect((await api.call('POST', path(), { token: approver.token, body: body() })).status).toBe(403);
    expect((await api.call('POST', path(), { token: outsider.token, body: body() })).status).toBe(404);
    expect((await api.call('POST', path(), { body: body() })).status).toBe(401);
  });

  test('Idempotency-Key: the same body replays the first response; a different body is 409', async () => {
    const key = `k-${Date.now()}`;
    const a = await api.call('POST', path(), {
      token: creator.token,
      body: body(),
      headers: { 'idempotency-key': key },
    });
    const b = await api.call('POST', path(), {
      token: creator.token,
      body: { platforms: body().platforms, image: body().image, brief: body().brief, brandId },
      headers: { 'idempotency-key': key },
    });
    expect(a.status).toBe(202);
    expect(b.status).toBe(202);
    expect(b.body).toEqual(a.body);
    expect(b.headers.get('idempotent-replayed')).toBe('true');
    const c = await api.call('POST', path(), {
      token: creator.token,
      body: body({ platforms: ['x'] }),
      headers: { 'idempotency-key': key },
    });
    expect(c.status).toBe(409);
    expect(c.body.code).toBe('idempotency_conflict');
    // Keys are per user: someone else's identical key is their own request.
    const d = await api.call('POST', path(), { token: owner.token, body: body(), headers: { 'idempotency-key': key } });
    expect(d.body.id).not.toBe(a.body.id);
    expect(api.workflow.starts.filter((s) => s.requestId === a.body.id)).toHaveLength(1);
  });

  test('Idempotency-Key replayed concurrently: exactly one request row, one workflow start, identical responses', async () => {
    const key = `concurrent-${Date.now()}`;
    const before = (
      await api.db.owner`select count(*)::int as n from content_requests where organization_id = ${orgId}`
    )[0].n;
    const startsBefore = api.workflow.starts.length;
    const responses = await Promise.all(
      Array.from({ length: 12 }, () =>
        api.call('POST', path(), {
          token: creator.token,
          body: body({ brief: { headline: 'Concurrent launch' } }),
          headers: { 'idempotency-key': key },
        }),
      ),
    );
    expect(responses.map((r) => r.status)).toEqual(Array(12).fill(202));
    const ids = new Set(responses.map((r) => r.body.id));
    expect(ids.size).toBe(1);
    const after = (
      await api.db.owner`select count(*)::int as n from content_requests where organization_id = ${orgId}`
    )[0].n;
    expect(after - before).toBe(1);
    expect(api.workflow.starts.length - startsBefore).toBe(1);
  });

  test('if the workflow cannot start, the request is failed with the reason (not left queued)', async () => {
    api.workflow.failNextStart = new Error('StateMachineDoesNotExist: arn:aws:states:...');
    const r = await api.call('POST', path(), {
      token: creator.token,
      body: body(),
      headers: { 'idempotency-key': 'will-fail' },
    });
    expect(r.status).toBe(202);
    expect(r.body.status).toBe('failed');
    expect(r.body.failure).toMatchObject({ code: 'workflow_start_failed' });
    expect(JSON.stringify(r.body)).not.toContain('StateMachineDoesNotExist'); // internals stay in the log
    const replay = await api.call('POST', path(), {
      token: creator.token,
      body: body(),
      headers: { 'idempotency-key': 'will-fail' },
    });
    expect(replay.body.status).toBe('failed');
    // ...and it can be re-driven.
    const retry = await api.call('POST', `${path()}/${r.body.id}/retry`, { token: creator.token });
    expect(retry.status).toBe(202);
    expect(retry.body).toMatchObject({ status: 'queued', run: 2, failure: null });
    expect(api.workflow.starts).toContainEqual({ orgId, requestId: r.body.id, run: 2 });
  });
});

describe('list', () => {
  let o: { org: { id: string }; owner: TestUser };
  let b2: string;
  beforeAll(async () => {
    o = await api.org();
    const b1 = (await api.call('POST', `/v1/orgs/${o.org.id}/brands`, { token: o.owner.token, body: brandBody('L1') }))
      .body.id;
    b2 = (await api.call('POST', `/v1/orgs/${o.org.id}/brands`, { token: o.owner.token, body: brandBody('L2') })).body
      .id;
    const headlines = [
      'Summer espresso tonic',
      'Winter hot chocolate',
      'Espresso martini night',
      'Pumpkin spice latte',
      'Decaf for evenings',
    ];
    for (const [i, h] of headlines.entries()) {
      const r = await api.call('POST', `/v1/orgs/${o.org.id}/content-requests`, {
        token: o.owner.token,
        body: {
          brandId: i % 2 ? b2 : b1,
          brief: { headline: h, body: i === 4 ? 'No espresso here, promise' : undefined },
          image: { source: 'ai', prompt: h },
          platforms: ['x'],
        },
      });
      expect(r.status).toBe(202);
    }
    await api.db
      .owner`update content_requests set status = 'failed' where organization_id = ${o.org.id} and brief->>'headline' like 'Winter%'`;
  });
  const list = async (qs: string) => {
    const r = await api.call('GET', `/v1/orgs/${o.org.id}/content-requests?${qs}`, { token: o.owner.token });
    expect(r.status, r.text).toBe(200);
    return r.body as { items: { brief: { headline: string } }[]; nextCursor: string | null };
  };
  const heads = async (qs: string) => (await list(qs)).items.map((i) => i.brief.headline);

  test('newest first; filters by status, brand and date range; full-text search over headline and body', async () => {
    expect(await heads('')).toEqual([
      'Decaf for evenings',
      'Pumpkin spice latte',
      'Espresso martini night',
      'Winter hot chocolate',
      'Summer espresso tonic',
    ]);
    expect(await heads('status=failed')).toEqual(['Winter hot chocolate']);
    expect(await heads(`status=failed,queued&brandId=${b2}`)).toEqual(['Pumpkin spice latte', 'Winter hot chocolate']);
    expect(await heads('q=espresso')).toEqual([
      'Decaf for evenings',
      'Espresso martini night',
      'Summer espresso tonic',
    ]);
    expect(await heads('q=espresso -martini')).toEqual(['Decaf for evenings', 'Summer espresso tonic']);
    expect(await heads(`from=${encodeURIComponent(new Date(Date.now() + 60_000).toISOString())}`)).toEqual([]);
    expect(await heads(`to=${encodeURIComponent(new Date(Date.now() + 60_000).toISOString())}&limit=2`)).toHaveLength(
      2,
    );
  });

  test('keyset pages cover everything once, even with filters', async () => {
    const seen: string[] = [];
    let cursor: string | null = null;
    for (let i = 0; i < 5; i++) {
      const p = await list(`limit=2${cursor ? `&cursor=${cursor}` : ''}`);
      seen.push(...p.items.map((x) => x.brief.headline));
      cursor = p.nextCursor;
      if (!cursor) break;
    }
    expect(seen).toHaveLength(5);
    expect(new Set(seen).size).toBe(5);
  });

  test('bad filters are 400 with the field', async () => {
    for (const qs of ['status=exploded', 'limit=0', 'limit=101', 'from=yesterday', 'brandId=nope', 'colour=red']) {
      const r = await api.call('GET', `/v1/orgs/${o.org.id}/content-requests?${qs}`, { token: o.owner.token });
      expect(r.status, qs).toBe(400);
      expect(r.body.errors[0].path, qs).toMatch(/^query\./);
    }
  });

  test('other tenants see nothing and get 404', async () => {
    expect((await api.call('GET', `/v1/orgs/${o.org.id}/content-requests`, { token: outsider.token })).status).toBe(
      404,
    );
    expect((await api.call('GET', `/v1/orgs/${o.org.id}/content-requests`)).status).toBe(401);
  });

  test('the gate that travels with the list and the detail refuses as before: 404 before 400, then 429', async () => {
    const bad = `/v1/orgs/${o.org.id}/content-requests?limit=0`;
    const outsiderBad = await api.call('GET', bad, { token: outsider.token });
    expect([outsiderBad.status, outsiderBad.body.code]).toEqual([404, 'not_found']);
    const memberBad = await api.call('GET', bad, { token: o.owner.token });
    expect([memberBad.status, memberBad.body.code]).toEqual([400, 'validation_failed']);
    const mine = (await api.call('GET', `/v1/orgs/${orgId}/content-requests?limit=1`, { token: viewer.token })).body;
    const detail = `/v1/orgs/${o.org.id}/content-requests/${mine.items[0].id}`;
    expect((await api.call('GET', detail, { token: outsider.token })).status).toBe(404);
    // Another tenant's request id under the caller's own org: RLS and the filter find nothing.
    const crossed = await api.call('GET', `/v1/orgs/${o.org.id}/content-requests/${mine.items[0].id}`, {
      token: o.owner.token,
    });
    expect(crossed.status).toBe(404);

    const limited = await api.org({ apiRateLimitPerMinute: 2 });
    const list = `/v1/orgs/${limited.org.id}/content-requests`;
    const statuses: number[] = [];
    for (let i = 0; i < 3; i++) statuses.push((await api.call('GET', list, { token: limited.owner.token })).status);
    expect(statuses).toEqual([200, 200, 429]);
    const refused = await api.call('GET', `${list}/${mine.items[0].id}`, { token: limited.owner.token });
    expect([refused.status, refused.body.code]).toEqual([429, 'rate_limited']);
    expect(Number(refused.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
  });
});

describe('detail, cancel, retry', () => {
  test('detail: timeline, master, variants with short-lived URLs, compliance, approvals without tokens', async () => {
    const r = (await api.call('POST', path(), { token: creator.token, body: body() })).body;
    // Arrange what the pipeline would have written.
    const [ga] = await api.db
      .owner`insert into generated_assets (organization_id, request_id, brand_id, source, license, s3_key, content_type, width, height, bytes, sha256,
        compliance_score, compliance_decision)
      values (${orgId}, ${r.id}, ${brandId}, 'stock', ${api.db.owner.json({ type: 'freemium', attributionRequired: true })},
        ${`orgs/${orgId}/requests/${r.id}/master.jpg`}, 'image/jpeg', 2000, 1500, 1234, 'abc', 91, 'pass') returning id`;
    const key = `orgs/${orgId}/requests/${r.id}/r1/linkedin.jpg`;
    await api.store.put(key, Buffer.from('variant-bytes'), 'image/jpeg');
    const adjustments = [
      {
        kind: 'text_color',
        slot: 'cta',
        from: '#C8A27A',
        to: '#FFF8F0',
        reason: 'The call to action in Crema read at 4.1:1 here; Foam reads at 8.9:1.',
        contrast: { before: 4.1, after: 8.9, min: 4.5 },
      },
    ];
    await api.db
      .owner`insert into asset_variants (organization_id, request_id, generated_asset_id, platform, width, height, format, bytes, sha256, s3_key,
        compliance_score, compliance_decision, findings, adjustments)
      values (${orgId}, ${r.id}, ${ga.id}, 'linkedin', 1200, 627, 'jpeg', 13, 'def', ${key}, 88, 'pass',
        ${api.db.owner.json([{ check: 'contrast', severity: 'info' }])}, ${api.db.owner.json(adjustments)})`;
    await api.db
      .owner`insert into request_steps (organization_id, request_id, run, step, status, finished_at, duration_ms)
        values (${orgId}, ${r.id}, 1, 'source', 'succeeded', now(), 1200)`;
    const [ap] = await api.db
      .owner`insert into content_approvals (organization_id, request_id, run, step_index, step_name, task_token_enc, quorum, variant_checksums)
      values (${orgId}, ${r.id}, 1, 0, 'Brand check', 'SECRET-TASK-TOKEN', ${api.db.owner.json({ type: 'any' })},
        ${api.db.owner.json({ linkedin: 'def' })}) returning id`;
    await api.db.owner`insert into approval_decisions (organization_id, approval_id, approver_id, decision, comment)
        values (${orgId}, ${ap.id}, ${approver.id}, 'approve', 'lovely')`;
    await api.db.owner`update content_requests set status = 'awaiting_approval', compliance =
        ${api.db.owner.json({ score: 91, decision: 'pass', findings: [] })} where id = ${r.id}`;

    const d = await api.call('GET', `${path()}/${r.id}`, { token: viewer.token });
    expect(d.status).toBe(200);
    const detail = contentRequestDetail.parse(d.body);
    expect(detail.status).toBe('awaiting_approval');
    expect(detail.timeline).toEqual([
      expect.objectContaining({ step: 'source', status: 'succeeded', durationMs: 1200 }),
    ]);
    expect(detail.master).toMatchObject({ width: 2000, complianceScore: 91 });
    expect(detail.compliance).toEqual({ score: 91, decision: 'pass', findings: [] });
    expect(detail.approvals).toEqual([
      expect.objectContaining({
        stepName: 'Brand check',
        status: 'pending',
        decisions: [expect.objectContaining({ approverId: approver.id, decision: 'approve', comment: 'lovely' })],
      }),
    ]);
    expect(d.text).not.toContain('SECRET-TASK-TOKEN');
    expect(d.text).not.toContain('taskToken');
    const v = detail.variants[0];
    expect(v).toMatchObject({ platform: 'linkedin', width: 1200, height: 627, adjustments });
    expect(new URL(v.url).searchParams.get('X-Amz-Expires')).toBe('300');
    expect(Buffer.from(await (await fetch(v.url)).arrayBuffer()).toString()).toBe('variant-bytes');

    expect((await api.call('GET', `${path()}/${r.id}`, { token: outsider.token })).status).toBe(404);
    const theirOrg = (await api.call('GET', '/v1/orgs', { token: outsider.token })).body.items[0].id;
    expect(
      (await api.call('GET', `/v1/orgs/${theirOrg}/content-requests/${r.id}`, { token: outsider.token })).status,
    ).toBe(404);
    expect((await api.call('GET', `${path()}/not-a-uuid`, { token: viewer.token })).status).toBe(404);

    // Cancelling stops the execution and closes the open review step.
    const c = await api.call('POST', `${path()}/${r.id}/cancel`, { token: creator.token });
    expect(c.status).toBe(200);
    expect(c.body.status).toBe('cancelled');
    expect(api.workflow.stops).toContainEqual(expect.objectContaining({ executionName: `req-${r.id}-r1` }));
    const [appr] = await api.db.owner`select status from content_approvals where id = ${ap.id}`;
    expect(appr.status).toBe('cancelled');
  });

  test('cancel only from unfinished states (409 otherwise); retry only from failed/cancelled/rejected/changes_requested', async () => {
    const r = (await api.call('POST', path(), { token: creator.token, body: body() })).body;
    expect((await api.call('POST', `${path()}/${r.id}/retry`, { token: creator.token })).status).toBe(409);
    expect((await api.call('POST', `${path()}/${r.id}/cancel`, { token: viewer.token })).status).toBe(403);
    expect((await api.call('POST', `${path()}/${r.id}/cancel`, { token: creator.token })).status).toBe(200);
    const again = await api.call('POST', `${path()}/${r.id}/cancel`, { token: creator.token });
    expect(again.status).toBe(409);
    expect(again.body.code).toBe('invalid_state');
    const retry = await api.call('POST', `${path()}/${r.id}/retry`, { token: creator.token });
    expect(retry.status).toBe(202);
    expect(retry.body).toMatchObject({ status: 'queued', run: 2 });
    await api.db.owner`update content_requests set status = 'published' where id = ${r.id}`;
    expect((await api.call('POST', `${path()}/${r.id}/cancel`, { token: creator.token })).status).toBe(409);
    expect((await api.call('POST', `${path()}/${r.id}/retry`, { token: creator.token })).status).toBe(409);
    expect((await api.call('POST', `${path()}/${r.id}/retry`, { token: outsider.token })).status).toBe(404);
    expect(
      (await api.call('POST', `${path()}/${r.id}/cancel`, { token: creator.token, body: { reason: 'x' } })).status,
    ).toBe(400);
    const actions = await api.db.owner`select action from user_activity_logs where resource_id = ${r.id} order by id`;
    expect(actions.map((a) => a.action)).toEqual([
      'content_request.create',
      'content_request.cancel',
      'content_request.retry',
    ]);
  });
});

describe('activity', () => {
  test('owners/admins read the audit log newest first with filters and pages; others 403/404', async () => {
    const all = await api.call('GET', `/v1/orgs/${orgId}/activity?limit=100`, { token: owner.token });
    expect(all.status).toBe(200);
    expect(all.body.items.length).toBeGreaterThan(5);
    const times = all.body.items.map((i: { createdAt: string }) => i.createdAt);
    expect([...times].sort().reverse()).toEqual(times);
    // An entry is its log row less the tenant column: exactly the fields the ActivityEntry schema lists, so a
    // column added to the log later cannot reach the API unnoticed.
    for (const item of all.body.items)
      expect(Object.keys(item).sort()).toEqual(Object.keys(activitySchema.shape).sort());
    activitySchema.array().parse(all.body.items);
    const brands = await api.call('GET', `/v1/orgs/${orgId}/activity?resourceType=brand`, { token: owner.token });
    expect(brands.body.items.map((i: { action: string }) => i.action)).toEqual(['brand.create']);
    const p1 = await api.call('GET', `/v1/orgs/${orgId}/activity?limit=2`, { token: owner.token });
    const p2 = await api.call('GET', `/v1/orgs/${orgId}/activity?limit=2&cursor=${p1.body.nextCursor}`, {
      token: owner.token,
    });
    expect(p2.body.items[0].id).toBe(all.body.items[2].id);
    expect((await api.call('GET', `/v1/orgs/${orgId}/activity`, { token: creator.token })).status).toBe(403);
    expect((await api.call('GET', `/v1/orgs/${orgId}/activity`, { token: outsider.token })).status).toBe(404);
    expect((await api.call('GET', `/v1/orgs/${orgId}/activity?userId=x`, { token: owner.token })).status).toBe(400);
  });
});
