import { Validator } from '@seriousme/openapi-schema-validator';
import { expect, test } from 'vitest';
import { routes } from '../../../functions/handlers/api/routes.js';
import { startTestApi } from '../../support/api.js';
import { startForAll } from '../../support/lifecycle.js';

const api = startForAll(startTestApi, (server) => server.close());

test('GET /openapi.json is a valid OpenAPI 3.1 document describing every route of the table', async () => {
  const r = await api().call('GET', '/openapi.json');
  expect(r.status).toBe(200);
  const doc = r.body;
  const validator = new Validator();
  const res = await validator.validate(structuredClone(doc));
  expect(res.errors ?? []).toEqual([]);
  expect(res.valid).toBe(true);
  expect(validator.version).toBe('3.1');

  const ops = Object.entries(
    doc.paths as Record<string, Record<string, { operationId: string; security: unknown[] }>>,
  ).flatMap(([p, m]) => Object.entries(m).map(([method, op]) => ({ key: `${method.toUpperCase()} ${p}`, op })));
  expect(ops.map((o) => o.key).sort()).toEqual(routes.map((x) => `${x.method} ${x.path}`).sort());
  for (const route of routes) {
    const op = doc.paths[route.path][route.method.toLowerCase()];
    expect(op.operationId).toBe(route.id);
    expect(op.security, route.id).toEqual(route.auth === 'jwt' ? [{ bearerAuth: [] }] : []);
    if (route.request)
      expect(op.requestBody.content[(route.consumes ?? ['application/json'])[0]].schema, route.id).toBeTruthy();
  }
  // Every $ref resolves (resolveRefs throws otherwise).
  expect(() => validator.resolveRefs()).not.toThrow();
  // The request schemas keep the strictness of the zod schemas.
  const createBrand = doc.paths['/v1/orgs/{orgId}/brands'].post.requestBody.content['application/json'].schema;
  expect(createBrand.additionalProperties).toBe(false);
  const listQuery = doc.paths['/v1/orgs/{orgId}/content-requests'].get.parameters.map((p: { name: string }) => p.name);
  expect(listQuery).toEqual(
    expect.arrayContaining(['orgId', 'limit', 'cursor', 'status', 'brandId', 'q', 'from', 'to']),
  );
});
