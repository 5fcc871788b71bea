import { describe, expect, test } from 'vitest';
import { startTestApi, type TestUser } from '../../support/api.js';
import { startForAll } from '../../support/lifecycle.js';

const api = startForAll(startTestApi, (server) => server.close());

describe('authentication (the local server plays the JWT authorizer)', () => {
  test('no token, garbage, expired, wrong audience, wrong issuer and foreign signature are all 401 problem+json', async () => {
    const email = 'auth-check@example.test';
    const { SignJWT, generateKeyPair } = await import('jose');
    const { privateKey } = await generateKeyPair('ES256');
    const foreign = await new SignJWT({ email })
      .setProtectedHeader({ alg: 'ES256' })
      .setIssuer(api().auth.issuer)
      .setAudience(api().auth.audience)
      .setSubject(`local|${email}`)
      .setExpirationTime('1h')
      .sign(privateKey);
    const cases: Record<string, string | undefined> = {
      missing: undefined,
      garbage: 'not-a-jwt',
      expired: await api().token(email, { ttl: -60 }),
      audience: await api().token(email, { audience: 'someone-else' }),
      issuer: await api().token(email, { issuer: 'https://evil.example' }),
      foreign,
    };
    for (const [name, token] of Object.entries(cases)) {
      const r = await api().call('GET', '/v1/me', { headers: token ? { authorization: `Bearer ${token}` } : {} });
      expect(r.status, name).toBe(401);
      expect(r.contentType, name).toContain('application/problem+json');
      expect(r.body.code, name).toBe('unauthenticated');
      expect(r.body.requestId, name).toBeTruthy();
    }
    const expired = await api().call('GET', '/v1/me', { token: cases.expired });
    expect(expired.body.detail).toMatch(/expired/);
  });

  test('a valid token resolves (and creates) the user; /v1/me lists memberships', async () => {
    const token = await api().token('newcomer@example.test', { name: 'New Comer' });
    const r = await api().call('GET', '/v1/me', { token });
    expect(r.status).toBe(200);
    expect(r.body.user).toMatchObject({ email: 'newcomer@example.test', displayName: 'New Comer' });
    expect(r.body.memberships).toEqual([]);
  });

  test('public routes need no token; unknown routes are 404 and wrong methods 405, as problem+json', async () => {
    expect((await api().call('GET', '/health')).body.status).toBe('ok');
    const nf = await api().call('GET', '/v1/nope');
    expect(nf.status).toBe(404);
    expect(nf.body.code).toBe('not_found');
    const na = await api().call('PUT', '/v1/orgs');
    expect(na.status).toBe(405);
    expect(na.headers.get('allow')).toContain('POST');
  });
});

describe('organizations', () => {
  test('create: the caller becomes owner, it shows in my list, and it is audited', async () => {
    const u = await api().user('founder@example.test');
    const r = await api().call('POST', '/v1/orgs', {
      token: u.token,
      body: { name: 'Acme Coffee' },
      headers: { 'user-agent': 'vitest-agent' },
    });
    expect(r.status).toBe(201);
    expect(r.body).toMatchObject({ name: 'Acme Coffee', role: 'owner' });
    expect(r.body.slug).toMatch(/^acme-coffee-[0-9a-f]{6}$/);
    const list = await api().call('GET', '/v1/orgs', { token: u.token });
    expect(list.body.items.map((o: { id: string }) => o.id)).toContain(r.body.id);
    const [log] = await api().db.owner`select * from user_activity_logs where organization_id = ${r.body.id}`;
    expect(log).toMatchObject({
      action: 'org.create',
      user_id: u.id,
      resource_id: r.body.id,
      user_agent: 'vitest-agent',
    });
    expect(log.request_id).toBeTruthy();
    expect(log.ip).toBeTruthy();
  });

  test('validation: unknown fields and bad slugs are 400 with the failing fields', async () => {
    const u = await api().user();
    const r = await api().call('POST', '/v1/orgs', {
      token: u.token,
      body: { name: 'X', slug: 'Bad Slug!', plan: 'enterprise' },
    });
    expect(r.status).toBe(400);
    expect(r.body.code).toBe('validation_failed');
    const paths = r.body.errors.map((e: { path: string }) => e.path).sort();
    expect(paths).toEqual(['body.name', 'body.plan', 'body.slug']);
  });

  test('bad JSON is 400 bad_json, a wrong content type 415, an oversized body 413', async () => {
    const u = await api().user();
    const bad = await api().call('POST', '/v1/orgs', {
      token: u.token,
      rawBody: '{"name":',
      headers: { 'content-type': 'application/json' },
    });
    expect(bad.status).toBe(400);
    expect(bad.body.code).toBe('bad_json');
    const text = await api().call('POST', '/v1/orgs', {
      token: u.token,
      rawBody: 'name=x',
      headers: { 'content-type': 'text/plain' },
    });
    expect(text.status).toBe(415);
    const big = await api().call('POST', '/v1/orgs', { token: u.token, body: { name: 'x'.repeat(300 * 1024) } });
    expect(big.status).toBe(413);
    expect(big.body.code).toBe('payload_too_large');
  });

  test('a slug taken by another organization is 409', async () => {
    const u = await api().user();
    const a = await api().call('POST', '/v1/orgs', { token: u.token, body: { name: 'Same', slug: 'same-slug' } });
    expect(a.status).toBe(201);
    const b = await api().call('POST', '/v1/orgs', { token: u.token, body: { name: 'Same', slug: 'same-slug' } });
    expect(b.status).toBe(409);
  });

  test('get/patch: members read, only owner/admin rename; another tenant gets 404', async () => {
    const { org, owner } = await api().org();
    const viewer = await api().member(org.id, undefined, 'viewer');
    const stranger = (await api().org()).owner;
    expect((await api().call('GET', `/v1/orgs/${org.id}`, { token: viewer.token })).body.role).toBe('viewer');
    const forbidden = await api().call('PATCH', `/v1/orgs/${org.id}`, {
      token: viewer.token,
      body: { name: 'Renamed' },
    });
    expect(forbidden.status).toBe(403);
    expect(forbidden.body.code).toBe('forbidden');
    const other = await api().call('GET', `/v1/orgs/${org.id}`, { token: stranger.token });
    expect(other.status).toBe(404);
    // A non-member cannot tell a real org from a made-up one.
    const madeUp = await api().call('GET', `/v1/orgs/00000000-0000-4000-8000-000000000000`, { token: stranger.token });
    expect(madeUp.status).toBe(404);
    expect(madeUp.body.detail).toBe(other.body.detail);
    const ok = await api().call('PATCH', `/v1/orgs/${org.id}`, { token: owner.token, body: { name: 'Renamed' } });
    expect(ok.status).toBe(200);
    expect(ok.body.name).toBe('Renamed');
  });
});

describe('members', () => {
  test('owner adds by email (user created if new), changes role, removes; each step audited', async () => {
    const { org, owner } = await api().org();
    const add = await api().call('POST', `/v1/orgs/${org.id}/members`, {
      token: owner.token,
      body: { email: 'New.Person@Example.test', role: 'creator', name: 'New Person' },
    });
    expect(add.status).toBe(201);
    expect(add.body).toMatchObject({ email: 'new.person@example.test', role: 'creator', displayName: 'New Person' });
    const again = await api().call('POST', `/v1/orgs/${org.id}/members`, {
      token: owner.token,
      body: { email: 'new.person@example.test', role: 'viewer' },
    });
    expect(again.status).toBe(409);
    const patch = await api().call('PATCH', `/v1/orgs/${org.id}/members/${add.body.userId}`, {
      token: owner.token,
      body: { role: 'approver' },
    });
    expect(patch.body.role).toBe('approver');
    // The new person signs in later with their own token and sees the membership.
    const theirToken = await api().token('new.person@example.test');
    const me = await api().call('GET', '/v1/me', { token: theirToken });
    expect(me.body.memberships).toEqual([expect.objectContaining({ orgId: org.id, role: 'approver' })]);
    expect(me.body.user.id).toBe(add.body.userId);
    const del = await api().call('DELETE', `/v1/orgs/${org.id}/members/${add.body.userId}`, { token: owner.token });
    expect(del.status).toBe(204);
    const list = await api().call('GET', `/v1/orgs/${org.id}/members`, { token: owner.token });
    expect(list.body.items.map((m: { email: string }) => m.email)).toEqual([owner.email]);
    expect((await api().call('GET', `/v1/orgs/${org.id}`, { token: theirToken })).status).toBe(404);
    const actions = await api().db
      .owner`select action from user_activity_logs where organization_id = ${org.id} order by id`;
    expect(actions.map((a) => a.action)).toEqual(['member.add', 'member.role_change', 'member.remove']);
  });

  test('the last owner can be neither demoted nor removed (409); with two owners one may go', async () => {
    const { org, owner } = await api().org();
    const demote = await api().call('PATCH', `/v1/orgs/${org.id}/members/${owner.id}`, {
      token: owner.token,
      body: { role: 'admin' },
    });
    expect(demote.status).toBe(409);
    const remove = await api().call('DELETE', `/v1/orgs/${org.id}/members/${owner.id}`, { token: owner.token });
    expect(remove.status).toBe(409);
    const second = await api().member(org.id, undefined, 'owner');
    // Both owners try to demote each other at once: exactly one wins, an owner always remains. The
    // loser sees 409 (last owner) or, if it ran after the winner's commit, 403 (it is an admin now).
    const [a, b] = await Promise.all([
      api().call('PATCH', `/v1/orgs/${org.id}/members/${second.id}`, { token: owner.token, body: { role: 'admin' } }),
      api().call('PATCH', `/v1/orgs/${org.id}/members/${owner.id}`, { token: second.token, body: { role: 'admin' } }),
    ]);
    const statuses = [a.status, b.status];
    expect(statuses.filter((s) => s === 200)).toHaveLength(1);
    expect(statuses.find((s) => s !== 200)).toBeOneOf([403, 409]);
    const owners = await api().db
      .owner`select count(*)::int as n from user_organizations where organization_id = ${org.id} and role = 'owner' and status = 'active'`;
    expect(owners[0].n).toBe(1);
  });

  test('admins manage members but cannot touch owners; other roles get 403; outsiders 404', async () => {
    const { org, owner } = await api().org();
    const admin = await api().member(org.id, undefined, 'admin');
    const creator = await api().member(org.id, undefined, 'creator');
    const outsider = (await api().org()).owner;
    const invite = async (as: TestUser, email: string, role: string) =>
      (await api().call('POST', `/v1/orgs/${org.id}/members`, { token: as.token, body: { email, role } })).status;
    expect(await invite(admin, 'x1@example.test', 'viewer')).toBe(201);
    expect(await invite(admin, 'x2@example.test', 'owner')).toBe(403);
    expect((await api().call('DELETE', `/v1/orgs/${org.id}/members/${owner.id}`, { token: admin.token })).status).toBe(
      403,
    );
    expect(await invite(creator, 'x3@example.test', 'viewer')).toBe(403);
    expect((await api().call('GET', `/v1/orgs/${org.id}/members`, { token: outsider.token })).status).toBe(404);
    const bad = await api().call('POST', `/v1/orgs/${org.id}/members`, {
      token: admin.token,
      body: { email: 'not-an-email', role: 'emperor' },
    });
    expect(bad.status).toBe(400);
    expect(bad.body.errors.map((e: { path: string }) => e.path).sort()).toEqual(['body.email', 'body.role']);
    expect(
      (
        await api().call('PATCH', `/v1/orgs/${org.id}/members/00000000-0000-4000-8000-000000000000`, {
          token: admin.token,
          body: { role: 'viewer' },
        })
      ).status,
    ).toBe(404);
  });
});

describe('tenant rate limit', () => {
  test('over api_rate_limit_per_minute: 429 rate_limited with Retry-After; other tenants unaffected', async () => {
    const { org, owner } = await api().org({ apiRateLimitPerMinute: 3 });
    const other = await api().org();
    const statuses: number[] = [];
    for (let i = 0; i < 4; i++)
      statuses.push((await api().call('GET', `/v1/orgs/${org.id}`, { token: owner.token })).status);
    expect(statuses).toEqual([200, 200, 200, 429]);
    const limited = await api().call('GET', `/v1/orgs/${org.id}/members`, { token: owner.token });
    expect(limited.status).toBe(429);
    expect(limited.body.code).toBe('rate_limited');
    expect(Number(limited.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
    expect((await api().call('GET', `/v1/orgs/${other.org.id}`, { token: other.owner.token })).status).toBe(200);
  });
});
