/** Public system routes: liveness and the OpenAPI document (generated from the route table). */
import { buildOpenApi } from './openapi.js';
import { defineHandler, ok } from './define.js';
import { routes } from './routes.js';

let doc: Record<string, unknown> | undefined;

export const handler = defineHandler('system', {
  health: async () => ok({ status: 'ok', time: new Date().toISOString() }),
  openapi: async () => {
    doc ??= buildOpenApi(routes, {
      title: 'Social Media Content Visual Pipeline API',
      version: '1.0.0',
      description:
        'Turns a content brief into on-brand social images. Tenant routes live under /v1/orgs/{orgId}; the caller must be a member.',
    });
    return ok(doc, { 'cache-control': 'public, max-age=300' });
  },
});
