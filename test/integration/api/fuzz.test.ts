/**
 * Property: whatever arrives (random methods, paths built from every route of the table with
 * real/foreign/garbage ids, random bodies, headers, query strings and tokens), the API answers
 * with a non-5xx status and, for every error, application/problem+json with a stable code
 * (HTML pages for people may answer errors in HTML, but never with a 5xx).
 */
import fc from 'fast-check';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { routes } from '../../../functions/handlers/api/routes.js';
import { errorCodes } from '../../../functions/shared/errors.js';
import { brandBody, startTestApi, type TestApi } from '../../support/api.js';

let api: TestApi;
let ids: Record<string, string[]>;
let tokens: (string | undefined)[];
let goodGets: string[];
let ownerToken: string;

beforeAll(async () => {
  api = await startTestApi();
  const { org, owner } = await api.org();
  const viewer = await api.member(org.id, undefined, 'viewer');
  const creator = await api.member(org.id, undefined, 'creator');
  const other = await api.org();
  const brand = (await api.call('POST', `/v1/orgs/${org.id}/brands`, { token: owner.token, body: brandBody('Fuzz') }))
    .body.id;
  const req = (
    await api.call('POST', `/v1/orgs/${org.id}/content-requests`, {
      token: owner.token,
      body: {
        brandId: brand,
        brief: { headline: 'Fuzz' },
        image: { source: 'stock', query: 'fuzz' },
        platforms: ['x'],
      },
    })
  ).body.id;
  const random = '3d5b2f4e-9a1c-4e7b-8f00-123456789abc';
  ids = {
    orgId: [org.id, other.org.id, random],
    any: [brand, req, owner.id, viewer.id, random, other.org.id],
  };
  ownerToken = owner.token;
  goodGets = [
    '/health',
    '/v1/me',
    `/v1/orgs/${org.id}/brands`,
    `/v1/orgs/${org.id}/content-requests`,
    `/v1/orgs/${org.id}/content-requests/${req}`,
  ];
  tokens = [
    undefined,
    owner.token,
    viewer.token,
    creator.token,
    other.owner.token,
    'garbage',
    `${owner.token}x`,
    await api.token(owner.email, { ttl: -10 }),
    await api.token(owner.email, { audience: 'nope' }),
  ];
});
afterAll(async () => {
  await api?.close();
});

const ascii = (max: number) =>
  fc.string({ unit: fc.integer({ min: 0x20, max: 0x7e }).map((c) => String.fromCharCode(c)), maxLength: max });
const nasty = fc.constantFrom(
  '',
  ' ',
  '..',
  '%2e%2e',
  "' or 1=1 --",
  '00000000-0000-0000-0000-000000000000',
  'null',
  '-1',
  '1e309',
  '%00',
  '%ff',
  '😀',
  'a'.repeat(300),
  '{orgId}',
  'ZZZZZZZZ-ZZZZ-ZZZZ-ZZZZ-ZZZZZZZZZZZZ',
);

const segment = (name: string) =>
  fc.oneof(
    { weight: 4, arbitrary: fc.constantFrom(...(name === 'orgId' ? ids.orgId : ids.any)) },
    { weight: 2, arbitrary: nasty },
    { weight: 1, arbitrary: fc.uuid() },
    { weight: 1, arbitrary: ascii(20).map((s) => encodeURIComponent(s)) },
  );

const pathArb = () =>
  fc.oneof(
    {
      weight: 8,
      arbitrary: fc.constantFrom(...routes).chain((r) => {
        const names = [...r.path.matchAll(/\{(\w+)\}/g)].map((m) => m[1]);
        return fc.tuple(...names.map(segment)).map((vals) => {
          let p = r.path;
          names.forEach((n, i) => {
            p = p.replace(`{${n}}`, vals[i] === '' ? '' : vals[i]);
          });
          return { path: p, route: r };
        });
      }),
    },
    {
      weight: 1,
      arbitrary: fc
        .array(fc.oneof(ascii(12).map(encodeURIComponent), nasty), { maxLength: 6 })
        .map((segs) => ({ path: `/${segs.join('/')}`, route: undefined })),
    },
  );

const bodyArb = fc.oneof(
  { weight: 3, arbitrary: fc.json({ maxDepth: 3 }) },
  { weight: 2, arbitrary: fc.jsonValue({ maxDepth: 3 }).map((v) => JSON.stringify({ ...brandBody('x'), extra: v })) },
  {
    weight: 2,
    arbitrary: fc
      .record({
        brandId: fc.oneof(fc.uuid(), nasty),
        brief: fc.jsonValue(),
        image: fc.jsonValue(),
        platforms: fc.jsonValue(),
      })
      .map((v) => JSON.stringify(v)),
  },
  { weight: 1, arbitrary: ascii(200) },
  { weight: 1, arbitrary: fc.constant('{"a":'.repeat(50)) },
  { weight: 1, arbitrary: fc.constant(undefined) },
  { weight: 1, arbitrary: fc.constant('x'.repeat(300 * 1024)) },
);

const queryArb = fc
  .array(
    fc.tuple(
      fc.constantFrom('limit', 'cursor', 'status', 'q', 'from', 'to', 'brandId', 'kind', 'x', 'resourceType', 'userId'),
      fc.oneof(nasty, ascii(30), fc.integer({ min: -5, max: 500 }).map(String)),
    ),
    { maxLength: 4 },
  )
  .map((pairs) => new URLSearchParams(pairs).toString());

const randomRequestArb = () =>
  fc.record({
    method: fc.constantFrom('GET', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS'),
    target: pathArb(),
    query: queryArb,
    body: bodyArb,
    token: fc.constantFrom(...tokens),
    contentType: fc.constantFrom(
      undefined,
      'application/json',
      'application/json; charset=utf-8',
      'text/plain',
      'application/x-www-form-urlencoded',
      'multipart/form-data; boundary=x',
      '*/*',
      ';;',
    ),
    idempotencyKey: fc.option(ascii(250), { nil: undefined }),
    authHeader: fc.option(fc.constantFrom('Basic Zm9vOmJhcg==', 'Bearer', 'Bearer  ', 'bearer x.y.z'), {
      nil: undefined,
    }),
  });

/**
 * Mostly random requests, plus a few well-formed reads mixed in (1 in 25): the property must hold
 * for them too, and they prove the generator reaches past the front door on every run, not only
 * on lucky ones.
 */
const requestArb = () =>
  fc.oneof(
    { weight: 24, arbitrary: randomRequestArb() },
    {
      weight: 1,
      arbitrary: fc.constantFrom(...goodGets).map((path) => ({
        method: 'GET',
        target: { path, route: undefined as (typeof routes)[number] | undefined },
        query: '',
        body: undefined as string | undefined,
        token: ownerToken as string | undefined,
        contentType: undefined as string | undefined,
        idempotencyKey: undefined as string | undefined,
        authHeader: undefined as string | undefined,
      })),
    },
  );

test('>= 1,000 generated bad requests: never a 5xx, errors always problem+json', async () => {
  let count = 0;
  const statuses = new Map<number, number>();
  await fc.assert(
    fc.asyncProperty(requestArb(), async (r) => {
      const headers: Record<string, string> = {};
      if (r.contentType) headers['content-type'] = r.contentType;
      if (r.idempotencyKey !== undefined) headers['idempotency-key'] = r.idempotencyKey;
      if (r.token) headers.authorization = `Bearer ${r.token}`;
      if (r.authHeader) headers.authorization = r.authHeader;
      const hasBody = r.body !== undefined && r.method !== 'GET';
      const url = `${api.url}${r.target.path}${r.query ? `?${r.query}` : ''}`;
      const res = await fetch(url, { method: r.method, headers, body: hasBody ? r.body : undefined });
      const text = await res.text();
      const type = res.headers.get('content-type') ?? '';
      count++;
      statuses.set(res.status, (statuses.get(res.status) ?? 0) + 1);
      expect(res.status, `${r.method} ${url} -> ${text.slice(0, 300)}`).toBeLessThan(500);
      // Pages for people (review links, dashboard) answer in HTML, errors included; still never 5xx.
      if (r.target.route?.produces && /html/.test(type)) return;
      if (res.status >= 400) {
        expect(type, `${r.method} ${url}`).toBe('application/problem+json');
        const p = JSON.parse(text);
        expect(Object.keys(errorCodes)).toContain(p.code);
        expect(p.status).toBe(res.status);
      } else if (res.status !== 204) {
        expect(type, `${r.method} ${url}`).toMatch(/json/);
        expect(() => JSON.parse(text)).not.toThrow();
      }
    }),
    { numRuns: 1100, endOnFailure: true },
  );
  expect(count).toBeGreaterThanOrEqual(1000);
  // The generator must reach past the front door, or the property proves little.
  const reached = [...statuses.keys()];
  expect(reached).toEqual(expect.arrayContaining([400, 401, 404]));
  expect(reached.some((s) => s < 300)).toBe(true);
}, 600_000);
