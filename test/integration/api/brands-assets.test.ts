import sharp from 'sharp';
import { beforeAll, describe, expect, test } from 'vitest';
import { assetSchema, brandSchema, createAssetResponse } from '../../../functions/handlers/api/schemas/brands.js';
import { brandBody, startTestApi, type TestUser } from '../../support/api.js';
import { startForAll } from '../../support/lifecycle.js';

const api = startForAll(startTestApi, (server) => server.close());
let orgId: string;
let owner: TestUser;
let manager: TestUser;
let creator: TestUser;
let viewer: TestUser;
let outsider: TestUser;

beforeAll(async () => {
  ({
    orgId,
    owner,
    outsider,
    members: { brand_manager: manager, creator, viewer },
  } = await api().team(['brand_manager', 'creator', 'viewer']));
});

describe('brands', () => {
  test('CRUD: create with defaults filled, read, patch, list with search, soft delete', async () => {
    const c = await api().call('POST', `/v1/orgs/${orgId}/brands`, {
      token: manager.token,
      body: brandBody('Acme Roasters'),
    });
    expect(c.status).toBe(201);
    const brand = brandSchema.parse(c.body);
    expect(brand.complianceThresholds.autoPass).toBe(85);
    expect(brand.logo.placement).toBe('top-right');
    expect(brand.voiceRules.bannedWords).toEqual(['cheap']);

    const got = await api().call('GET', `/v1/orgs/${orgId}/brands/${brand.id}`, { token: viewer.token });
    expect(got.body).toEqual(c.body);

    const p = await api().call('PATCH', `/v1/orgs/${orgId}/brands/${brand.id}`, {
      token: manager.token,
      body: { complianceThresholds: { autoPass: 90, autoReject: 40 } },
    });
    expect(p.status).toBe(200);
    expect(p.body.complianceThresholds).toMatchObject({ autoPass: 90, autoReject: 40, minContrast: 4.5 });

    await api().call('POST', `/v1/orgs/${orgId}/brands`, { token: manager.token, body: brandBody('Other Brand') });
    const search = await api().call('GET', `/v1/orgs/${orgId}/brands?q=roast`, { token: viewer.token });
    expect(search.body.items.map((b: { name: string }) => b.name)).toEqual(['Acme Roasters']);

    expect((await api().call('DELETE', `/v1/orgs/${orgId}/brands/${brand.id}`, { token: manager.token })).status).toBe(
      204,
    );
    expect((await api().call('GET', `/v1/orgs/${orgId}/brands/${brand.id}`, { token: viewer.token })).status).toBe(404);
    // Soft delete: the row stays, the name is free again.
    const [row] = await api().db.owner`select deleted_at from brand_profiles where id = ${brand.id}`;
    expect(row.deleted_at).toBeInstanceOf(Date);
    expect(
      (await api().call('POST', `/v1/orgs/${orgId}/brands`, { token: manager.token, body: brandBody('Acme Roasters') }))
        .status,
    ).toBe(201);
    const actions = await api().db
      .owner`select action from user_activity_logs where organization_id = ${orgId} and resource_id = ${brand.id} order by id`;
    expect(actions.map((a) => a.action)).toEqual(['brand.create', 'brand.update', 'brand.delete']);
  });

  test('validation: strict JSONB shapes, unknown fields, fonts and palette rules, duplicate names', async () => {
    const bad = await api().call('POST', `/v1/orgs/${orgId}/brands`, {
      token: manager.token,
      body: { ...brandBody('Bad'), colors: { palette: [{ name: 'x', hex: 'red', role: 'primary' }] }, isAdmin: true },
    });
    expect(bad.status).toBe(400);
    const paths = bad.body.errors.map((e: { path: string }) => e.path);
    expect(paths).toContain('body.colors.palette[0].hex');
    expect(paths).toContain('body.isAdmin');

    const fonts = await api().call('POST', `/v1/orgs/${orgId}/brands`, {
      token: manager.token,
      body: { ...brandBody('Fonts'), fonts: { headline: 'Comic Sans', body: 'Inter', allowed: ['Inter'] } },
    });
    expect(fonts.status).toBe(400);
    expect(fonts.body.errors).toEqual([{ path: 'body.fonts.headline', message: 'must be one of fonts.allowed' }]);

    const noText = brandBody('NoText');
    noText.colors.palette = noText.colors.palette.filter((p) => p.role !== 'text');
    expect((await api().call('POST', `/v1/orgs/${orgId}/brands`, { token: manager.token, body: noText })).status).toBe(
      400,
    );

    await api().call('POST', `/v1/orgs/${orgId}/brands`, { token: manager.token, body: brandBody('Dupe') });
    const dupe = await api().call('POST', `/v1/orgs/${orgId}/brands`, {
      token: manager.token,
      body: brandBody('dupe'),
    });
    expect(dupe.status).toBe(409);

    const logo = await api().call('POST', `/v1/orgs/${orgId}/brands`, {
      token: manager.token,
      body: { ...brandBody('Logo'), logo: { assetId: '00000000-0000-4000-8000-000000000000' } },
    });
    expect(logo.status).toBe(400);
    expect(logo.body.errors[0].path).toBe('body.logo.assetId');
  });

  test('roles and tenants: creator/viewer cannot write (403), outsiders get 404, no token 401', async () => {
    const { body: b } = await api().call('POST', `/v1/orgs/${orgId}/brands`, {
      token: owner.token,
      body: brandBody('Roles'),
    });
    expect(
      (await api().call('POST', `/v1/orgs/${orgId}/brands`, { token: creator.token, body: brandBody('Nope') })).status,
    ).toBe(403);
    expect(
      (await api().call('PATCH', `/v1/orgs/${orgId}/brands/${b.id}`, { token: viewer.token, body: { name: 'x' } }))
        .status,
    ).toBe(403);
    expect((await api().call('DELETE', `/v1/orgs/${orgId}/brands/${b.id}`, { token: creator.token })).status).toBe(403);
    expect((await api().call('GET', `/v1/orgs/${orgId}/brands/${b.id}`, { token: outsider.token })).status).toBe(404);
    expect((await api().call('GET', `/v1/orgs/${orgId}/brands`, { token: outsider.token })).status).toBe(404);
    expect((await api().call('GET', `/v1/orgs/${orgId}/brands`)).status).toBe(401);
    // The outsider's own org cannot reach this brand by id either (RLS + org scoping).
    const theirOrg = (await api().call('GET', '/v1/orgs', { token: outsider.token })).body.items[0].id;
    expect((await api().call('GET', `/v1/orgs/${theirOrg}/brands/${b.id}`, { token: outsider.token })).status).toBe(
      404,
    );
  });

  test('cursor pagination walks every brand exactly once; page size is capped', async () => {
    const o = await api().org();
    for (let i = 0; i < 7; i++)
      await api().call('POST', `/v1/orgs/${o.org.id}/brands`, { token: o.owner.token, body: brandBody(`B${i}`) });
    const seen: string[] = [];
    let cursor: string | null = null;
    let pages = 0;
    do {
      const r = await api().call('GET', `/v1/orgs/${o.org.id}/brands?limit=3${cursor ? `&cursor=${cursor}` : ''}`, {
        token: o.owner.token,
      });
      expect(r.status).toBe(200);
      seen.push(...r.body.items.map((b: { name: string }) => b.name));
      cursor = r.body.nextCursor;
      pages++;
    } while (cursor && pages < 10);
    expect(pages).toBe(3);
    expect(seen).toEqual(['B6', 'B5', 'B4', 'B3', 'B2', 'B1', 'B0']);
    const big = await api().call('GET', `/v1/orgs/${o.org.id}/brands?limit=1000`, { token: o.owner.token });
    expect(big.status).toBe(400);
    expect(big.body.errors[0].path).toBe('query.limit');
    expect(
      (await api().call('GET', `/v1/orgs/${o.org.id}/brands?cursor=garbage`, { token: o.owner.token })).status,
    ).toBe(400);
    expect((await api().call('GET', `/v1/orgs/${o.org.id}/brands?sort=name`, { token: o.owner.token })).status).toBe(
      400,
    );
  });
});

describe('brand assets', () => {
  const png = (w: number, h: number) =>
    sharp({ create: { width: w, height: h, channels: 4, background: { r: 200, g: 30, b: 30, alpha: 1 } } })
      .png()
      .toBuffer();
  let brandId: string;
  beforeAll(async () => {
    brandId = (
      await api().call('POST', `/v1/orgs/${orgId}/brands`, { token: owner.token, body: brandBody('Assets Brand') })
    ).body.id;
  });

  async function upload(token: string, body: Record<string, unknown>, bytes: Buffer, contentType?: string) {
    const c = await api().call('POST', `/v1/orgs/${orgId}/brands/${brandId}/assets`, { token, body });
    expect(c.status).toBe(201);
    const parsed = createAssetResponse.parse(c.body);
    const put = await fetch(parsed.upload.url, {
      method: 'PUT',
      body: bytes,
      headers: { 'content-type': contentType ?? parsed.upload.headers['content-type'] },
    });
    expect(put.status).toBe(200);
    return parsed;
  }

  test('upload via presigned PUT, confirm verifies type/size/dimensions/sha256, then ready with a download URL', async () => {
    const bytes = await png(640, 320);
    const c = await upload(
      creator.token,
      { name: 'Hero Banner', contentType: 'image/png', tags: ['Hero', 'summer'] },
      bytes,
    );
    expect(c.asset.status).toBe('pending');
    const key = (await api().db.owner`select s3_key from brand_assets where id = ${c.asset.id}`)[0].s3_key;
    expect(key).toBe(`orgs/${orgId}/brands/${brandId}/assets/${c.asset.id}.png`);
    const url = new URL(c.upload.url);
    expect(decodeURIComponent(url.pathname)).toBe(`/${api().bucket}/${key}`);
    expect(url.searchParams.get('X-Amz-Expires')).toBe('300');

    const conf = await api().call('POST', `/v1/orgs/${orgId}/brands/${brandId}/assets/${c.asset.id}/confirm`, {
      token: creator.token,
    });
    expect(conf.status).toBe(200);
    const a = assetSchema.parse(conf.body);
    expect(a).toMatchObject({
      status: 'ready',
      width: 640,
      height: 320,
      bytes: bytes.length,
      tags: ['hero', 'summer'],
    });
    const { createHash } = await import('node:crypto');
    expect(a.sha256).toBe(createHash('sha256').update(bytes).digest('hex'));

    const got = await api().call('GET', `/v1/orgs/${orgId}/brands/${brandId}/assets/${a.id}`, { token: viewer.token });
    const dl = await fetch(got.body.url);
    expect(Buffer.from(await dl.arrayBuffer()).equals(bytes)).toBe(true);
    // Confirming twice is harmless.
    expect(
      (await api().call('POST', `/v1/orgs/${orgId}/brands/${brandId}/assets/${a.id}/confirm`, { token: creator.token }))
        .body.status,
    ).toBe('ready');
  });

  test('confirm before upload is 409; a lying content type or a non-image is rejected (422) and removed', async () => {
    const c = await api().call('POST', `/v1/orgs/${orgId}/brands/${brandId}/assets`, {
      token: creator.token,
      body: { name: 'Later', contentType: 'image/png' },
    });
    const early = await api().call('POST', `/v1/orgs/${orgId}/brands/${brandId}/assets/${c.body.asset.id}/confirm`, {
      token: creator.token,
    });
    expect(early.status).toBe(409);
    expect(early.body.code).toBe('invalid_state');

    const jpeg = await sharp({ create: { width: 50, height: 50, channels: 3, background: '#00ff00' } })
      .jpeg()
      .toBuffer();
    const lie = await upload(creator.token, { name: 'Liar', contentType: 'image/png' }, jpeg, 'image/png');
    const r1 = await api().call('POST', `/v1/orgs/${orgId}/brands/${brandId}/assets/${lie.asset.id}/confirm`, {
      token: creator.token,
    });
    expect(r1.status).toBe(422);
    expect(r1.body.code).toBe('invalid_image');
    expect(r1.body.detail).toMatch(/image\/jpeg but was declared as image\/png/);
    const after = await api().call('GET', `/v1/orgs/${orgId}/brands/${brandId}/assets/${lie.asset.id}`, {
      token: creator.token,
    });
    expect(after.body).toMatchObject({ status: 'rejected', url: null });
    expect(after.body.rejectionReason).toMatch(/declared/);
    const key = `orgs/${orgId}/brands/${brandId}/assets/${lie.asset.id}.png`;
    expect(await api().store.head(key)).toBeUndefined();

    const text = await upload(
      creator.token,
      { name: 'Text', contentType: 'image/webp' },
      Buffer.from('hello, I am not an image at all'),
      'image/webp',
    );
    const r2 = await api().call('POST', `/v1/orgs/${orgId}/brands/${brandId}/assets/${text.asset.id}/confirm`, {
      token: creator.token,
    });
    expect(r2.status).toBe(422);
    expect(r2.body.detail).toMatch(/not a PNG, JPEG or WebP/);

    // PNG signature followed by garbage: magic bytes pass, decoding does not.
    const truncated = Buffer.concat([(await png(100, 100)).subarray(0, 60)]);
    const t = await upload(creator.token, { name: 'Truncated', contentType: 'image/png' }, truncated);
    const r3 = await api().call('POST', `/v1/orgs/${orgId}/brands/${brandId}/assets/${t.asset.id}/confirm`, {
      token: creator.token,
    });
    expect(r3.status).toBe(422);
  });

  test('list: search by name (substring/typo), tag, kind/status filters; usage counts include logo use', async () => {
    const o = await api().org();
    const b = (
      await api().call('POST', `/v1/orgs/${o.org.id}/brands`, { token: o.owner.token, body: brandBody('Lib') })
    ).body.id;
    const put = async (name: string, tags: string[], kind = 'image') => {
      const c = await api().call('POST', `/v1/orgs/${o.org.id}/brands/${b}/assets`, {
        token: o.owner.token,
        body: { name, kind, contentType: 'image/png', tags },
      });
      await fetch(c.body.upload.url, {
        method: 'PUT',
        body: await png(64, 64),
        headers: { 'content-type': 'image/png' },
      });
      return (
        await api().call('POST', `/v1/orgs/${o.org.id}/brands/${b}/assets/${c.body.asset.id}/confirm`, {
          token: o.owner.token,
        })
      ).body;
    };
    const logo = await put('Acme Logo Dark', ['logo'], 'logo');
    await put('Summer Beach Hero', ['summer']);
    await put('Winter Mountain', ['winter']);
    const names = async (qs: string) =>
      (
        await api().call('GET', `/v1/orgs/${o.org.id}/brands/${b}/assets?${qs}`, { token: o.owner.token })
      ).body.items.map((a: { name: string }) => a.name);
    expect(await names('q=beach')).toEqual(['Summer Beach Hero']);
    expect(await names('q=mountan')).toEqual(['Winter Mountain']); // typo: trigram word similarity
    expect(await names('q=winter')).toEqual(['Winter Mountain']);
    expect(await names('q=summer')).toEqual(['Summer Beach Hero']);
    expect(await names('kind=logo')).toEqual(['Acme Logo Dark']);
    expect(await names('status=pending')).toEqual([]);
    expect(await names('q=%25')).toEqual([]); // LIKE wildcards are literal

    const set = await api().call('PATCH', `/v1/orgs/${o.org.id}/brands/${b}`, {
      token: o.owner.token,
      body: { logo: { assetId: logo.id, placement: 'bottom-right' } },
    });
    expect(set.status).toBe(200);
    const list = await api().call('GET', `/v1/orgs/${o.org.id}/brands/${b}/assets?kind=logo`, { token: o.owner.token });
    expect(list.body.items[0].usageCount).toBe(1);
    // In use as the logo: cannot be deleted.
    expect(
      (await api().call('DELETE', `/v1/orgs/${o.org.id}/brands/${b}/assets/${logo.id}`, { token: o.owner.token }))
        .status,
    ).toBe(409);
  });

  test('roles and tenants: viewers cannot upload (403); another tenant cannot list, read or confirm (404)', async () => {
    expect(
      (
        await api().call('POST', `/v1/orgs/${orgId}/brands/${brandId}/assets`, {
          token: viewer.token,
          body: { name: 'x', contentType: 'image/png' },
        })
      ).status,
    ).toBe(403);
    const c = await api().call('POST', `/v1/orgs/${orgId}/brands/${brandId}/assets`, {
      token: creator.token,
      body: { name: 'x', contentType: 'image/png' },
    });
    const o = await api().org();
    for (const [m, p] of [
      ['GET', `/v1/orgs/${orgId}/brands/${brandId}/assets`],
      ['GET', `/v1/orgs/${orgId}/brands/${brandId}/assets/${c.body.asset.id}`],
      ['POST', `/v1/orgs/${orgId}/brands/${brandId}/assets/${c.body.asset.id}/confirm`],
      // own org in the path, foreign brand/asset ids: still nothing
      ['GET', `/v1/orgs/${o.org.id}/brands/${brandId}/assets`],
      ['GET', `/v1/orgs/${o.org.id}/brands/${brandId}/assets/${c.body.asset.id}`],
    ] as const) {
      expect((await api().call(m, p, { token: o.owner.token })).status, `${m} ${p}`).toBe(404);
    }
    const bad = await api().call('POST', `/v1/orgs/${orgId}/brands/${brandId}/assets`, {
      token: creator.token,
      body: { name: '', contentType: 'image/gif', s3Key: 'orgs/other/x' },
    });
    expect(bad.status).toBe(400);
    expect(bad.body.errors.map((e: { path: string }) => e.path).sort()).toEqual([
      'body.contentType',
      'body.name',
      'body.s3Key',
    ]);
  });
});
