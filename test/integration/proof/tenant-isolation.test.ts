/**
 * The attack suite: for EVERY entry of the route table (new routes are covered as they are added),
 * what an attacker tries — another tenant's ids, forged and expired tokens, a member's role too
 * weak for the route, mass assignment, oversized bodies and page sizes. Zero leaks (no other
 * tenant's id, name or secret in any answer), zero 5xx, every error application/problem+json,
 * and the victim's rows unchanged at the end.
 *
 * The approval-link attacks (replayed link, tampered token, a link of org A used on org B's
 * request, a form post without its CSRF form token or from another origin) are covered by
 * test/integration/approvals/review-links.test.ts ("refused links", "creators and concurrency");
 * here the link routes only get junk tokens.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { FieldCipher, LocalKeyProvider } from '../../../functions/adapters/crypto/envelope.js';
import { provide } from '../../../functions/handlers/composition/root.js';
import { routes } from '../../../functions/handlers/api/routes.js';
import { can } from '../../../functions/domain/permissions.js';
import { orgRoles, type OrgRole } from '../../../functions/domain/roles.js';
import { errorCodes } from '../../../functions/shared/errors.js';
import { DEFAULT_MAX_BODY_BYTES } from '../../../functions/handlers/api/input.js';
import { isTenantRoute, type RouteEntry } from '../../../functions/handlers/api/route-def.js';
import { startTestApi, type ApiResponse, type TestApi, type TestUser } from '../../support/api.js';
import {
  describeResponse,
  fillPath,
  forgedTokens,
  furnishTenant,
  hasSample,
  sampleBody,
  schemaKeys,
  snapshot,
  STAND_IN,
  takesJson,
  type Tenant,
} from './attack-support.js';

let api: TestApi;
let a: Tenant; // the attacker's own organization
let b: Tenant; // the victim
let roleUsers: Record<OrgRole, TestUser>;
let victimBefore: Record<string, string>;
const seen: { route: string; status: number }[] = [];

beforeAll(async () => {
  api = await startTestApi();
  provide({
    publicBaseUrl: api.url,
    appMode: 'local',
    sleep: async () => {},
    secrets: new FieldCipher(new LocalKeyProvider(Buffer.alloc(32, 9))),
  });
  a = await furnishTenant(api, 'attacker');
  b = await furnishTenant(api, 'victim');
  roleUsers = Object.fromEntries(
    await Promise.all(
      orgRoles.map(async (r) => [r, r === 'owner' ? a.owner : await api.member(a.orgId, undefined, r)]),
    ),
  ) as Record<OrgRole, TestUser>;
  victimBefore = await snapshot(api, b.orgId);
}, 180_000);

afterAll(async () => {
  await api?.close();
});

const isHtml = (r: RouteEntry) => !!r.produces && /html/.test(r.produces);
const tenantRoutes = routes.filter(isTenantRoute);
const jwtRoutes = routes.filter((r) => r.auth === 'jwt');

/** One call with the route's sample body (or `body`), checked for the invariants every answer keeps. */
async function attack(
  route: RouteEntry,
  path: string,
  opts: { token?: string; body?: unknown; rawBody?: string | Buffer; query?: string; contentType?: string } = {},
): Promise<ApiResponse> {
  const url = opts.query ? `${path}?${opts.query}` : path;
  const headers: Record<string, string> = {};
  if (opts.contentType) headers['content-type'] = opts.contentType;
  const r = await api.call(route.method, url, { token: opts.token, body: opts.body, rawBody: opts.rawBody, headers });
  seen.push({ route: route.id, status: r.status });
  const where = describeResponse(route.method, url, r);
  expect(r.status, where).toBeLessThan(500);
  if (r.status >= 400 && !(isHtml(route) && /html/.test(r.contentType))) {
    expect(r.contentType, where).toBe('application/problem+json');
    expect(Object.keys(errorCodes), where).toContain(r.body?.code);
    expect(r.body.status, where).toBe(r.status);
  } else if (r.status < 300 && r.status !== 204 && !isHtml(route)) {
    expect(r.contentType, where).toMatch(/json/);
  }
  return r;
}

/** No id, name, email or secret of the victim in the answer. */
function expectNoLeak(r: ApiResponse, where: string, victim: Tenant = b) {
  for (const s of victim.secrets)
    expect(r.text.toLowerCase().includes(s.toLowerCase()), `${where} leaks "${s}": ${r.text.slice(0, 300)}`).toBe(
      false,
    );
}

describe("another tenant's ids", () => {
  test.each(tenantRoutes.map((r) => [r.id, r] as const))(
    "%s: the victim's organization in the path is 404, never data",
    async (_id, route) => {
      const path = fillPath(route, b);
      const r = await attack(route, path, { token: a.owner.token, body: sampleBody(route, b) });
      expect(r.status, describeResponse(route.method, path, r)).toBe(404);
      expect(r.body.code).toBe('not_found');
      expectNoLeak(r, path);
    },
  );

  const withIds = tenantRoutes.filter((r) => (r.path.match(/\{\w+\}/g) ?? []).length > 1);
  test.each(withIds.map((r) => [r.id, r] as const))(
    "%s: the victim's resource ids under my own organization are 404",
    async (_id, route) => {
      const path = fillPath(route, b, { orgId: a.orgId });
      const r = await attack(route, path, { token: a.owner.token, body: sampleBody(route, a) });
      // Without a sample body (a route newer than this suite) validation may answer first.
      if (hasSample(route)) expect(r.status, describeResponse(route.method, path, r)).toBe(404);
      else expect([400, 404], describeResponse(route.method, path, r)).toContain(r.status);
      expectNoLeak(r, path);
    },
  );

  // Decided at collection time (the tenants do not exist yet): a stand-in tenant marks the ids.
  const bodyRefs = tenantRoutes.filter(
    (r) => takesJson(r) && JSON.stringify(sampleBody(r, STAND_IN) ?? null).includes('"ID"'),
  );
  test.each(bodyRefs.map((r) => [r.id, r] as const))(
    "%s: a body naming the victim's resources is refused",
    async (_id, route) => {
      const path = fillPath(route, a);
      const body = sampleBody(route, b);
      const r = await attack(route, path, { token: a.owner.token, body });
      expect(r.status, describeResponse(route.method, path, r)).toBeGreaterThanOrEqual(400);
      expectNoLeak(r, path);
    },
  );

  test("what I may read (every GET of the table, on my own organization) never shows the victim's data", async () => {
    for (const route of routes.filter((r) => r.method === 'GET')) {
      const path = fillPath(route, a);
      const r = await attack(route, path, { token: a.owner.token });
      expectNoLeak(r, path);
    }
  });

  test('a junk capability token on the link routes is refused without a 5xx or a leak', async () => {
    for (const route of routes.filter((r) => r.auth === 'link')) {
      const path = fillPath(route, b);
      const r = await attack(
        route,
        path,
        route.method === 'GET' ? {} : { rawBody: 'decision=approve', contentType: 'application/x-www-form-urlencoded' },
      );
      expect(r.status).toBeGreaterThanOrEqual(400);
      expectNoLeak(r, path);
    }
  });
});

describe('forged and expired tokens', () => {
  test('every JWT route answers 401 problem+json to each forgery (and to none at all)', async () => {
    const forged = await forgedTokens(api, b.owner.email);
    expect(Object.keys(forged).length).toBeGreaterThanOrEqual(7);
    for (const route of jwtRoutes) {
      const path = fillPath(route, b);
      for (const [kind, token] of [...Object.entries(forged), ['no token', undefined] as const]) {
        const r = await attack(route, path, { token, body: sampleBody(route, b) });
        expect(r.status, `${kind}: ${describeResponse(route.method, path, r)}`).toBe(401);
        expect(r.body.code).toBe('unauthenticated');
        expect(r.headers.get('www-authenticate')).toMatch(/^Bearer/);
        expectNoLeak(r, path);
      }
    }
  });
});

describe('role escalation', () => {
  test("every member whose role lacks a route's permission gets 403, and nothing changes", async () => {
    const before = await snapshot(api, a.orgId);
    let checked = 0;
    for (const route of tenantRoutes) {
      for (const role of orgRoles.filter((r) => !can(r, route.permission!))) {
        const path = fillPath(route, a);
        const r = await attack(route, path, { token: roleUsers[role].token, body: sampleBody(route, a) });
        expect(r.status, `${role}: ${describeResponse(route.method, path, r)}`).toBe(403);
        expect(r.body.code).toBe('forbidden');
        checked++;
      }
    }
    // Most mutating routes exclude someone: the check must have bitten.
    expect(checked).toBeGreaterThan(50);
    expect(await snapshot(api, a.orgId)).toEqual(before);
  });

  test('members cannot raise their own role or make themselves owner', async () => {
    const before = await snapshot(api, a.orgId);
    for (const role of ['viewer', 'creator', 'approver', 'brand_manager'] as const) {
      const me = roleUsers[role];
      const r = await api.call('PATCH', `/v1/orgs/${a.orgId}/members/${me.id}`, {
        token: me.token,
        body: { role: 'owner' },
      });
      expect(r.status, `${role}: ${r.text}`).toBe(403);
    }
    // An admin may manage members, but not create owners.
    const admin = roleUsers.admin;
    const r = await api.call('PATCH', `/v1/orgs/${a.orgId}/members/${admin.id}`, {
      token: admin.token,
      body: { role: 'owner' },
    });
    expect(r.status, r.text).toBe(403);
    expect(await snapshot(api, a.orgId)).toEqual(before);
  });
});

describe('mass assignment', () => {
  const forbidden: Record<string, unknown> = {
    id: '00000000-0000-4000-8000-000000000001',
    organizationId: '00000000-0000-4000-8000-000000000002',
    orgId: '00000000-0000-4000-8000-000000000002',
    status: 'published',
    role: 'owner',
    createdBy: '00000000-0000-4000-8000-000000000003',
    createdAt: '2000-01-01T00:00:00Z',
    userId: '00000000-0000-4000-8000-000000000004',
    run: 99,
    deletedAt: null,
    isAdmin: true,
    __proto__x: 1,
  };

  test('unknown fields in any JSON body are refused with 400 naming them, and nothing changes', async () => {
    let checked = 0;
    const before = await snapshot(api, a.orgId);
    for (const route of routes.filter(takesJson)) {
      const keys = schemaKeys(route.request);
      const base = sampleBody(route, a) as Record<string, unknown>;
      for (const [k, v] of Object.entries(forbidden)) {
        if (keys?.includes(k)) continue; // a real field of this route (e.g. role when adding a member)
        const path = fillPath(route, a);
        const token = route.auth === 'jwt' ? a.owner.token : undefined;
        const r = await attack(route, path, { token, body: { ...base, [k]: v } });
        const where = describeResponse(route.method, path, r);
        if (route.auth !== 'jwt' && r.status === 404) continue; // a local-only page switched off here
        expect(r.status, where).toBe(400);
        expect(r.body.code, where).toBe('validation_failed');
        expect(
          r.body.errors.map((e: { path: string }) => e.path),
          where,
        ).toContain(`body.${k}`);
        checked++;
      }
      // Nested: the brief, image spec and layers are strict too.
      if (base && typeof base === 'object' && 'brief' in base) {
        const r = await attack(route, fillPath(route, a), {
          token: a.owner.token,
          body: { ...base, brief: { ...(base.brief as object), organizationId: b.orgId } },
        });
        expect(r.status).toBe(400);
      }
    }
    expect(checked).toBeGreaterThan(100);
    expect(await snapshot(api, a.orgId)).toEqual(before);
  });
});

describe('oversized input', () => {
  test('every route refuses a body over its limit with 413 before touching anything', async () => {
    const before = await snapshot(api, a.orgId);
    for (const route of routes.filter((r) => r.method !== 'GET')) {
      const max = route.maxBodyBytes ?? DEFAULT_MAX_BODY_BYTES;
      const filler = 'x'.repeat(max + 1);
      const form =
        route.consumes?.includes('application/x-www-form-urlencoded') && !route.consumes.includes('application/json');
      const rawBody = form ? `comment=${filler}` : JSON.stringify({ name: filler });
      const path = fillPath(route, a);
      const r = await attack(route, path, {
        token: route.auth === 'jwt' ? a.owner.token : undefined,
        rawBody,
        contentType: form ? 'application/x-www-form-urlencoded' : 'application/json',
      });
      if (route.auth === 'link') {
        expect(r.status).toBeGreaterThanOrEqual(400);
        continue;
      } // junk token may be refused first
      if (route.auth === 'public' && r.status === 404) continue; // local-only page switched off here
      expect(r.status, describeResponse(route.method, path, r)).toBe(413);
    }
    // Past the server's own ceiling (Lambda's 6 MB), refused before any handler runs.
    const big = Buffer.alloc(6 * 1024 * 1024 + 10, 0x61);
    const r = await api.call('POST', `/v1/orgs/${a.orgId}/brands`, {
      token: a.owner.token,
      rawBody: big,
      headers: { 'content-type': 'application/json' },
    });
    expect(r.status).toBe(413);
    expect(r.contentType).toBe('application/problem+json');
    expect(await snapshot(api, a.orgId)).toEqual(before);
  });

  test('page sizes past the maximum are refused with 400 (or capped), never served whole', async () => {
    const paged = routes.filter((r) => r.method === 'GET' && schemaKeys(r.query)?.includes('limit'));
    expect(paged.length).toBeGreaterThanOrEqual(5);
    for (const route of paged) {
      const path = fillPath(route, a);
      for (const limit of ['100000', '1000000000000', '-1', '0', '1.5', 'abc', '1e3']) {
        const r = await attack(route, path, { token: a.owner.token, query: `limit=${limit}` });
        const where = describeResponse(route.method, `${path}?limit=${limit}`, r);
        if (route.auth === 'public' && r.status === 404) continue; // local-only page, off outside APP_MODE=local
        if (r.status === 200) {
          const items = (r.body.items ?? r.body.data ?? []) as unknown[];
          expect(items.length, where).toBeLessThanOrEqual(1000);
        } else {
          expect(r.status, where).toBe(400);
        }
      }
      for (const cursor of ['garbage', 'eyJ4IjoxfQ', `${'A'.repeat(5000)}`, "' or 1=1 --"]) {
        const r = await attack(route, path, { token: a.owner.token, query: `cursor=${encodeURIComponent(cursor)}` });
        expect(
          route.auth === 'public' ? [200, 400, 404] : [200, 400],
          describeResponse(route.method, path, r),
        ).toContain(r.status);
      }
    }
  });
});

describe('after the attacks', () => {
  test("the victim's rows are exactly as before; no answer was a 5xx", async () => {
    expect(await snapshot(api, b.orgId)).toEqual(victimBefore);
    expect(seen.filter((s) => s.status >= 500)).toEqual([]);
    // Every route of the table was attacked at least once.
    const attacked = new Set(seen.map((s) => s.route));
    expect(routes.filter((r) => !attacked.has(r.id)).map((r) => r.id)).toEqual([]);
  });

  test('outside APP_MODE=local the dev pages (sign-in, outbox) do not exist', async () => {
    expect(process.env.APP_MODE ?? 'aws').not.toBe('local');
    for (const route of routes.filter((r) => r.path.startsWith('/dev/'))) {
      const r = await api.call(
        route.method,
        route.path,
        route.method === 'POST'
          ? {
              rawBody: `email=${encodeURIComponent(b.owner.email)}`,
              headers: { 'content-type': 'application/x-www-form-urlencoded' },
            }
          : {},
      );
      expect(r.status, describeResponse(route.method, route.path, r)).toBe(404);
      expectNoLeak(r, route.path);
    }
  });

  test('a member of both organizations still sees only the one in the path', async () => {
    const both = await api.member(a.orgId, `both-${randomBytes(3).toString('hex')}@example.test`, 'viewer');
    await api.member(b.orgId, both.email, 'viewer');
    const r = await api.call('GET', `/v1/orgs/${a.orgId}/content-requests`, { token: both.token });
    expect(r.status).toBe(200);
    expectNoLeak(r, 'content-requests of A', { ...b, secrets: [b.requestId, b.brandId] });
    const wrong = await api.call('GET', `/v1/orgs/${a.orgId}/content-requests/${b.requestId}`, { token: both.token });
    expect(wrong.status).toBe(404);
    const miss = await api.call('GET', `/v1/orgs/${randomUUID()}/brands`, { token: both.token });
    expect(miss.status).toBe(404);
  });
});
