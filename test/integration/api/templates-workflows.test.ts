import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import sharp from 'sharp';
import { templateSchema } from '../../../functions/handlers/api/schemas/brands.js';
import { previewResponse } from '../../../functions/handlers/api/schemas/preview.js';
import { workflowSchema } from '../../../functions/handlers/api/schemas/content.js';
import { brandBody, startTestApi, templateLayers, type TestApi, type TestUser } from '../../support/api.js';

let api: TestApi;
let orgId: string;
let owner: TestUser;
let manager: TestUser;
let creator: TestUser;
let approver: TestUser;
let outsider: TestUser;
let brandId: string;

const layers = templateLayers;

beforeAll(async () => {
  api = await startTestApi();
  ({
    orgId,
    owner,
    outsider,
    members: { brand_manager: manager, creator, approver },
  } = await api.team(['brand_manager', 'creator', 'approver']));
  brandId = (await api.call('POST', `/v1/orgs/${orgId}/brands`, { token: owner.token, body: brandBody('TW') })).body.id;
});
afterAll(async () => {
  await api?.close();
});

describe('templates', () => {
  const templates = () => `/v1/orgs/${orgId}/templates`;
  const create = (as: TestUser, body: unknown) => api.call('POST', templates(), { token: as.token, body });
  const preview = (as: TestUser, templateId: string, body: unknown) =>
    api.call('POST', `${templates()}/${templateId}/preview`, { token: as.token, body });

  test('CRUD with defaults; a layers change bumps the version; soft delete', async () => {
    const c = await create(manager, { brandId, name: 'Promo', layers, platforms: ['instagram_square', 'linkedin'] });
    expect(c.status).toBe(201);
    const t = templateSchema.parse(c.body);
    expect(t.version).toBe(1);
    expect(t.layers.headline.align).toBe('left');
    expect(t.layers.image.focus).toBe('attention');
    const renamed = await api.call('PATCH', `${templates()}/${t.id}`, {
      token: manager.token,
      body: { name: 'Promo 2' },
    });
    expect(renamed.body.version).toBe(1);
    const relaid = await api.call('PATCH', `${templates()}/${t.id}`, {
      token: manager.token,
      body: { layers: { ...layers, overlay: { kind: 'none' } } },
    });
    expect(relaid.body.version).toBe(2);
    const list = await api.call('GET', `${templates()}?brandId=${brandId}`, { token: approver.token });
    expect(list.body.items.map((x: { id: string }) => x.id)).toContain(t.id);
    expect((await api.call('DELETE', `${templates()}/${t.id}`, { token: manager.token })).status).toBe(204);
    expect((await api.call('GET', `${templates()}/${t.id}`, { token: manager.token })).status).toBe(404);
  });

  test('validated against the brand: color roles must exist in the palette; unknown presets and fields refused', async () => {
    const r = await create(manager, {
      brandId,
      name: 'Off brand',
      layers: { ...layers, headline: { ...layers.headline, colorRole: 'accent' } },
    });
    expect(r.status).toBe(400);
    expect(r.body.errors).toEqual([
      { path: 'body.layers.headline.colorRole', message: 'the brand palette has no "accent" color' },
    ]);
    const bad = await create(manager, {
      brandId,
      name: 'x',
      layers: { ...layers, sparkles: true },
      platforms: ['myspace'],
    });
    expect(bad.status).toBe(400);
    expect(bad.body.errors.map((e: { path: string }) => e.path).sort()).toEqual([
      'body.layers.sparkles',
      'body.platforms[0]',
    ]);
    const foreignBrand = await create(manager, { brandId: '00000000-0000-4000-8000-000000000000', name: 'x', layers });
    expect(foreignBrand.status).toBe(400);
    expect(foreignBrand.body.errors[0].path).toBe('body.brandId');
  });

  test('roles and tenants', async () => {
    const t = (await create(manager, { brandId, name: 'R', layers })).body;
    expect((await create(creator, { brandId, name: 'R2', layers })).status).toBe(403);
    expect(
      (await api.call('PATCH', `${templates()}/${t.id}`, { token: approver.token, body: { name: 'x' } })).status,
    ).toBe(403);
    expect((await api.call('GET', `${templates()}/${t.id}`, { token: outsider.token })).status).toBe(404);
    expect((await api.call('GET', templates())).status).toBe(401);
  });

  test('preview: validates template, asset and preset before rendering; approvers may not preview', async () => {
    const t = (await create(manager, { brandId, name: 'P', layers })).body;
    const bad = await preview(creator, t.id, { platform: 'myspace', brief: { headline: '' } });
    expect(bad.status).toBe(400);
    expect(bad.body.errors.map((e: { path: string }) => e.path).sort()).toEqual([
      'body.assetId',
      'body.brief.headline',
      'body.platform',
    ]);
    const unknownAsset = {
      platform: 'linkedin',
      brief: { headline: 'Hi' },
      assetId: '00000000-0000-4000-8000-000000000000',
    };
    const noAsset = await preview(creator, t.id, unknownAsset);
    expect(noAsset.status).toBe(400);
    expect(noAsset.body.errors[0].path).toBe('body.assetId');
    expect((await preview(approver, t.id, unknownAsset)).status).toBe(403);
  });

  test('preview renders the preset from a brand asset and returns findings, writing nothing', async () => {
    const t = (await create(manager, { brandId, name: 'Preview', layers })).body;
    const photo = await sharp({ create: { width: 1600, height: 1200, channels: 3, background: '#8a5a3c' } })
      .jpeg()
      .toBuffer();
    const c = await api.call('POST', `/v1/orgs/${orgId}/brands/${brandId}/assets`, {
      token: creator.token,
      body: { name: 'Photo', contentType: 'image/jpeg' },
    });
    await fetch(c.body.upload.url, { method: 'PUT', body: photo, headers: { 'content-type': 'image/jpeg' } });
    expect(
      (
        await api.call('POST', `/v1/orgs/${orgId}/brands/${brandId}/assets/${c.body.asset.id}/confirm`, {
          token: creator.token,
        })
      ).status,
    ).toBe(200);
    const before = await api.db
      .owner`select (select count(*) from user_activity_logs)::int as logs, (select count(*) from generated_assets)::int as assets`;
    const r = await preview(creator, t.id, {
      platform: 'linkedin',
      brief: { headline: 'Cheap coffee for everyone', callToAction: 'Order' },
      assetId: c.body.asset.id,
    });
    expect(r.status, r.text.slice(0, 300)).toBe(200);
    const p = previewResponse.parse(r.body);
    expect(p).toMatchObject({ platform: 'linkedin', width: 1200, height: 627 });
    const meta = await sharp(Buffer.from(p.imageBase64, 'base64')).metadata();
    expect([meta.width, meta.height]).toEqual([1200, 627]);
    // The brand bans "cheap": the preview says so.
    expect(p.compliance.findings.some((f) => f.check === 'banned_words')).toBe(true);
    const after = await api.db
      .owner`select (select count(*) from user_activity_logs)::int as logs, (select count(*) from generated_assets)::int as assets`;
    expect(after).toEqual(before);
  });
});

describe('approval workflows', () => {
  const steps = (userIds: string[]) => [
    { name: 'Brand check', approvers: { roles: ['brand_manager'] }, quorum: { type: 'any' } },
    { name: 'Legal', approvers: { userIds }, quorum: { type: 'all' }, deadlineHours: 24 },
  ];
  const workflows = () => `/v1/orgs/${orgId}/approval-workflows`;
  const create = (as: TestUser, body: unknown) => api.call('POST', workflows(), { token: as.token, body });
  /** The status `as` gets for `method` on one workflow. */
  const statusOn = async (method: 'GET' | 'DELETE', id: string, as: TestUser) =>
    (await api.call(method, `${workflows()}/${id}`, { token: as.token })).status;

  test('CRUD with member approvers; names unique; delete refused while requests are in flight', async () => {
    const c = await create(manager, { name: 'Standard', steps: steps([approver.id]) });
    expect(c.status).toBe(201);
    const w = workflowSchema.parse(c.body);
    expect(w.steps[0].quorum).toEqual({ type: 'any' });
    expect(w.steps[1].approvers).toEqual({ userIds: [approver.id], roles: [] });
    expect((await create(manager, { name: 'standard', steps: steps([]).slice(0, 1) })).status).toBe(409);
    const p = await api.call('PATCH', `${workflows()}/${w.id}`, {
      token: manager.token,
      body: { allowAutoApprove: true },
    });
    expect(p.body.allowAutoApprove).toBe(true);
    // Set as the brand default, then use it from a queued request: deleting it is a conflict.
    await api.call('PATCH', `/v1/orgs/${orgId}/brands/${brandId}`, {
      token: manager.token,
      body: { defaultWorkflowId: w.id },
    });
    await api.db
      .owner`insert into content_requests (organization_id, brand_id, workflow_id, requested_by, brief, image_spec, platforms)
      values (${orgId}, ${brandId}, ${w.id}, ${owner.id}, ${api.db.owner.json({ headline: 'x' })},
        ${api.db.owner.json({ source: 'stock', query: 'coffee' })}, ${['linkedin']})`;
    expect(await statusOn('DELETE', w.id, manager)).toBe(409);
    await api.db.owner`update content_requests set status = 'published' where workflow_id = ${w.id}`;
    expect(await statusOn('DELETE', w.id, manager)).toBe(204);
    expect(
      (await api.call('GET', `/v1/orgs/${orgId}/brands/${brandId}`, { token: manager.token })).body.defaultWorkflowId,
    ).toBeNull();
  });

  test('validation: approvers must be members of this organization; steps need approvers', async () => {
    const r = await create(manager, { name: 'Bad', steps: steps([approver.id, outsider.id]) });
    expect(r.status).toBe(400);
    expect(r.body.errors).toEqual([
      { path: 'body.steps[1].approvers.userIds[1]', message: 'is not a member of this organization' },
    ]);
    const empty = await create(manager, { name: 'Empty', steps: [{ name: 'x', approvers: {} }] });
    expect(empty.status).toBe(400);
    expect(empty.body.errors[0].path).toBe('body.steps[0].approvers');
    const none = await create(manager, { name: 'None', steps: [] });
    expect(none.status).toBe(400);
  });

  test('roles and tenants', async () => {
    const w = (await create(owner, { name: 'Roles', steps: steps([]).slice(0, 1) })).body;
    expect(await statusOn('GET', w.id, approver)).toBe(200);
    expect((await create(creator, { name: 'X', steps: steps([]).slice(0, 1) })).status).toBe(403);
    expect(await statusOn('DELETE', w.id, approver)).toBe(403);
    expect(await statusOn('GET', w.id, outsider)).toBe(404);
    expect((await api.call('GET', workflows())).status).toBe(401);
  });
});
