import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2, Context } from 'aws-lambda';
import { z } from 'zod';
import { describe, expect, test } from 'vitest';
import { apiHandler, ok } from '../../../functions/handlers/api/api-handler.js';
import { route } from '../../../functions/handlers/api/route-def.js';
import { AppError } from '../../../functions/shared/errors.js';
import { httpApiEvent } from '../../support/api-gateway-event.js';

// The 500 case logs the (expected) error; keep the test output clean.
process.env.POWERTOOLS_LOG_LEVEL = 'SILENT';

// A table of public routes: the chain runs without a database.
const table = {
  echo: route({
    method: 'POST',
    path: '/echo/{thingId}',
    fn: 't',
    auth: 'public',
    summary: 'echo',
    query: z.strictObject({ n: z.coerce.number().int().max(5).optional() }),
    request: z.strictObject({ name: z.string().min(1), tags: z.array(z.string()).max(2).optional() }),
  }),
  boom: route({ method: 'GET', path: '/boom', fn: 't', auth: 'public', summary: 'boom' }),
  teapot: route({ method: 'GET', path: '/teapot', fn: 't', auth: 'public', summary: 'teapot' }),
  page: route({ method: 'GET', path: '/page', fn: 't', auth: 'public', summary: 'page', produces: 'text/html' }),
  me: route({ method: 'GET', path: '/me', fn: 't', auth: 'jwt', summary: 'me' }),
};
const handler = apiHandler(table, 't', {
  echo: async (req) => ok({ params: req.params, query: req.query, body: req.body }),
  boom: async () => {
    throw new Error('password=hunter2 at db.internal:5432');
  },
  teapot: async () => {
    throw new AppError('conflict', 'Already brewing', { fields: [{ path: 'pot', message: 'busy' }] });
  },
  page: async () => ({ status: 200, body: '<h1>hi</h1>', contentType: 'text/html; charset=utf-8' }),
  me: async () => ok({}),
});

const event = (routeKey: string, o: Partial<APIGatewayProxyEventV2> = {}): APIGatewayProxyEventV2 => ({
  ...httpApiEvent(routeKey, { headers: {}, requestId: 'req-1' }),
  ...o,
});
const call = async (e: APIGatewayProxyEventV2) => {
  const r = (await handler(e, {} as Context)) as APIGatewayProxyStructuredResultV2;
  return { ...r, json: r.body ? JSON.parse(r.body) : undefined };
};
const thing = '6f1c2a8e-0b0a-4c39-9a57-0f5f1f0d9b11';
const echo = (o: Partial<APIGatewayProxyEventV2>) =>
  call(
    event('POST /echo/{thingId}', {
      pathParameters: { thingId: thing },
      headers: { 'content-type': 'application/json' },
      ...o,
    }),
  );

describe('middy chain', () => {
  test('valid input reaches the implementation parsed and typed', async () => {
    const r = await echo({ body: JSON.stringify({ name: 'x' }), queryStringParameters: { n: '3' } });
    expect(r.statusCode).toBe(200);
    expect(r.json).toEqual({ params: { thingId: thing }, query: { n: 3 }, body: { name: 'x' } });
    expect(r.headers?.['x-request-id']).toBe('req-1');
  });

  test('unknown fields, bad values and unknown query params are listed in one 400', async () => {
    const r = await echo({
      body: JSON.stringify({ name: '', tags: ['a', 'b', 'c'], admin: true, role: 'owner' }),
      queryStringParameters: { n: '9' },
    });
    expect(r.statusCode).toBe(400);
    expect(r.headers?.['content-type']).toBe('application/problem+json');
    // query is checked first and alone, then the body
    expect(r.json.errors).toEqual([{ path: 'query.n', message: expect.any(String) }]);
    const b = await echo({ body: JSON.stringify({ name: '', tags: ['a', 'b', 'c'], admin: true, role: 'owner' }) });
    expect(b.json.errors.map((e: { path: string }) => e.path).sort()).toEqual([
      'body.admin',
      'body.name',
      'body.role',
      'body.tags',
    ]);
    expect(b.json).toMatchObject({
      type: 'https://errors.svp.dev/validation_failed',
      status: 400,
      code: 'validation_failed',
      requestId: 'req-1',
    });
  });

  test('413 before 415 before 400 bad_json; base64 bodies are decoded', async () => {
    expect((await echo({ body: 'x'.repeat(256 * 1024 + 1) })).json.code).toBe('payload_too_large');
    expect((await echo({ body: 'name=x', headers: { 'content-type': 'text/plain' } })).statusCode).toBe(415);
    expect((await echo({ body: '{"name":"x"', headers: {} })).statusCode).toBe(415);
    expect((await echo({ body: '{"name":"x"' })).json.code).toBe('bad_json');
    expect((await echo({ body: '' })).json.errors).toEqual([{ path: 'body', message: 'required' }]);
    const b64 = await echo({
      body: Buffer.from(JSON.stringify({ name: 'b64' })).toString('base64'),
      isBase64Encoded: true,
    });
    expect(b64.json.body).toEqual({ name: 'b64' });
    expect(
      (await echo({ body: Buffer.from([0x7b, 0xff, 0xfe, 0x7d]).toString('base64'), isBase64Encoded: true })).json.code,
    ).toBe('bad_json');
  });

  test('ids that are not UUIDs are 404; routes not of this function are 404', async () => {
    expect((await echo({ pathParameters: { thingId: '../../etc' }, body: '{"name":"x"}' })).statusCode).toBe(404);
    expect((await call(event('GET /nope'))).json.code).toBe('not_found');
  });

  test('unknown errors are 500 internal and leak nothing; AppErrors keep status, code and fields', async () => {
    const r = await call(event('GET /boom'));
    expect(r.statusCode).toBe(500);
    expect(r.json).toEqual({
      type: 'https://errors.svp.dev/internal',
      title: 'Something went wrong on our side',
      status: 500,
      code: 'internal',
      requestId: 'req-1',
    });
    expect(r.body).not.toContain('hunter2');
    const t = await call(event('GET /teapot'));
    expect(t.statusCode).toBe(409);
    expect(t.json).toMatchObject({
      code: 'conflict',
      detail: 'Already brewing',
      errors: [{ path: 'pot', message: 'busy' }],
    });
  });

  test('jwt routes without verified claims are 401 (the handler trusts only the authorizer)', async () => {
    const r = await call(event('GET /me', { headers: { authorization: 'Bearer whatever' } }));
    expect(r.statusCode).toBe(401);
    expect(r.json.code).toBe('unauthenticated');
  });

  test('non-JSON replies pass through with their content type', async () => {
    const r = (await handler(event('GET /page'), {} as Context)) as APIGatewayProxyStructuredResultV2;
    expect(r.headers?.['content-type']).toBe('text/html; charset=utf-8');
    expect(r.body).toBe('<h1>hi</h1>');
  });

  test('a table entry without an implementation fails at cold start', () => {
    expect(() => apiHandler(table, 't', { echo: async () => ok({}) } as never)).toThrow(/has no implementation/);
  });
});
