import { existsSync } from 'node:fs';
import { pathToFileURL } from 'node:url';
import { describe, expect, test } from 'vitest';
import { functionNames, routes } from '../../../functions/handlers/api/routes.js';
import { handlerModuleFor } from '../../../local/servers/api-server.js';
import { createMatcher } from '../../../local/servers/route-match.js';
import { isTenantRoute, pathParamNames, routeKeyOf } from '../../../functions/handlers/api/route-def.js';

describe('route table', () => {
  test('route keys are unique; every tenant route names a permission; ids are camelCase', () => {
    const keys = routes.map(routeKeyOf);
    expect(new Set(keys).size).toBe(keys.length);
    for (const r of routes) {
      expect(r.id).toMatch(/^[a-z][A-Za-z0-9]+$/);
      if (isTenantRoute(r)) expect(r.permission, r.id).toBeTruthy();
      if (r.path.startsWith('/v1/')) expect(r.auth, r.id).toBe('jwt');
      for (const p of pathParamNames(r.path)) expect(p, r.id).toMatch(/^[a-z][A-Za-z]*$/);
    }
  });

  test('every fn has a handler module whose implementations match the table exactly', async () => {
    for (const fn of functionNames) {
      const file = handlerModuleFor(fn);
      expect(existsSync(file), fn).toBe(true);
      const mod = await import(pathToFileURL(file).href);
      expect(typeof mod.handler, fn).toBe('function');
    }
  });

  test('the matcher prefers literal segments, reports 405 with the allowed methods, and decodes params', () => {
    const m = createMatcher(routes);
    const org = '6f1c2a8e-0b0a-4c39-9a57-0f5f1f0d9b11';
    const r = m('POST', `/v1/orgs/${org}/content-requests/${org}/cancel`);
    expect(r.kind === 'found' && r.match.route.id).toBe('cancelContentRequest');
    const me = m('GET', '/v1/me');
    expect(me.kind === 'found' && me.match.routeKey).toBe('GET /v1/me');
    const na = m('PUT', `/v1/orgs/${org}/brands`);
    expect(na).toEqual({ kind: 'method_not_allowed', allowed: ['GET', 'POST'] });
    expect(m('GET', '/v1/orgs/%E0%A4%A/brands').kind).toBe('not_found');
    const enc = m('GET', '/v1/orgs/a%20b');
    expect(enc.kind === 'found' && enc.match.params.orgId).toBe('a b');
  });
});
