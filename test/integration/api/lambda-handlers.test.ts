/**
 * The handler modules invoked directly as Lambda would be in AWS: an API Gateway v2 event whose
 * requestContext.authorizer.jwt.claims were put there by the JWT authorizer (all values strings).
 */
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2, Context } from 'aws-lambda';
import { expect, test } from 'vitest';
import { handler as brands } from '../../../functions/handlers/api/brands.js';
import { handler as orgs } from '../../../functions/handlers/api/orgs.js';
import { subjectForEmail } from '../../../local/auth/local-issuer.js';
import { brandBody, startTestApi } from '../../support/api.js';
import { httpApiEvent } from '../../support/api-gateway-event.js';
import { startForAll } from '../../support/lifecycle.js';

const api = startForAll(startTestApi, (server) => server.close());

/** The event for `routeKey` as API Gateway passes it, signed in as `o.email` when given. */
function apiGatewayEvent(
  routeKey: string,
  o: { params?: Record<string, string>; body?: unknown; email?: string },
): APIGatewayProxyEventV2 {
  const claims = o.email
    ? {
        sub: subjectForEmail(o.email),
        email: o.email,
        email_verified: 'true',
        iss: api().auth.issuer,
        aud: api().auth.audience,
        token_use: 'id',
        exp: String(Math.floor(Date.now() / 1000) + 3600),
        iat: String(Math.floor(Date.now() / 1000)),
      }
    : undefined;
  return httpApiEvent(routeKey, { params: o.params, body: o.body, claims });
}
const invoke = async (h: typeof brands, e: APIGatewayProxyEventV2) => {
  const r = (await h(e, { awsRequestId: 'lambda-1' } as Context)) as APIGatewayProxyStructuredResultV2;
  return { status: r.statusCode, body: r.body ? JSON.parse(r.body) : undefined, headers: r.headers };
};

test('POST /v1/orgs then brands CRUD through the Lambda entry points, audited with API Gateway request id and source IP', async () => {
  const email = 'lambda-user@example.test';
  const org = await invoke(orgs, apiGatewayEvent('POST /v1/orgs', { email, body: { name: 'Lambda Org' } }));
  expect(org.status).toBe(201);
  const created = await invoke(
    brands,
    apiGatewayEvent('POST /v1/orgs/{orgId}/brands', { email, params: { orgId: org.body.id }, body: brandBody('L') }),
  );
  expect(created.status).toBe(201);
  const [log] = await api().db
    .owner`select request_id, host(ip) as ip, user_agent from user_activity_logs where resource_id = ${created.body.id}`;
  expect(log).toEqual({ request_id: 'apigw-req-1', ip: '203.0.113.9', user_agent: 'lambda-test' });
  // Another identity, same org id in the path: not a member -> 404.
  const other = await invoke(
    brands,
    apiGatewayEvent('GET /v1/orgs/{orgId}/brands', {
      email: 'someone-else@example.test',
      params: { orgId: org.body.id },
    }),
  );
  expect(other.status).toBe(404);
  // No authorizer claims at all (misconfigured route) -> 401, never anonymous access.
  const anon = await invoke(brands, apiGatewayEvent('GET /v1/orgs/{orgId}/brands', { params: { orgId: org.body.id } }));
  expect(anon.status).toBe(401);
  // A route key this function does not serve -> 404.
  const wrong = await invoke(
    brands,
    apiGatewayEvent('GET /v1/orgs/{orgId}/templates', { email, params: { orgId: org.body.id } }),
  );
  expect(wrong.status).toBe(404);
});
