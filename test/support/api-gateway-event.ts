import type { APIGatewayProxyEventV2 } from 'aws-lambda';

/**
 * An HTTP API (payload format 2.0) event for `routeKey` ("GET /v1/orgs/{orgId}"), as API Gateway
 * hands it to Lambda: request `apigw-req-1` unless told otherwise, from 203.0.113.9 with user
 * agent `lambda-test` (what an audit row records), and `claims` where the JWT authorizer puts them.
 */
export function httpApiEvent(
  routeKey: string,
  o: {
    headers?: Record<string, string>;
    params?: Record<string, string>;
    body?: unknown;
    /** As the JWT authorizer passes them: every value a string. */
    claims?: Record<string, string>;
    requestId?: string;
  } = {},
): APIGatewayProxyEventV2 {
  const [method, path] = routeKey.split(' ');
  return {
    version: '2.0',
    routeKey,
    rawPath: path,
    rawQueryString: '',
    headers: o.headers ?? { 'content-type': 'application/json', 'user-agent': 'lambda-test' },
    pathParameters: o.params,
    body: o.body === undefined ? undefined : JSON.stringify(o.body),
    isBase64Encoded: false,
    requestContext: {
      accountId: '1',
      apiId: 'a',
      domainName: 'x',
      domainPrefix: 'x',
      requestId: o.requestId ?? 'apigw-req-1',
      routeKey,
      stage: '$default',
      time: '',
      timeEpoch: 0,
      http: { method, path, protocol: 'HTTP/1.1', sourceIp: '203.0.113.9', userAgent: 'lambda-test' },
      ...(o.claims ? { authorizer: { jwt: { claims: o.claims, scopes: null } } } : {}),
    },
  } as unknown as APIGatewayProxyEventV2;
}
