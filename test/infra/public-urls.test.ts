/**
 * Every URL the stack hands out (PUBLIC_BASE_URL in mail links and pages, the sign-in URL's
 * redirect, the Cognito callback and logout URLs built from it) points at a host this stack
 * serves: the API's own execute-api endpoint, or a custom domain with a certificate and a
 * mapping to the API. Locally every link points at the local server, so only the templates show
 * a link to a host nobody serves.
 */
import { App } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FEATURE_FLAGS } from '../../lib/config/feature-flags.js';
import { stages, type StageConfig } from '../../lib/config/stages.js';
import { AppStack } from '../../lib/stacks/app-stack.js';
import { DataStack } from '../../lib/stacks/data-stack.js';
import { AwsModel } from './aws-model.js';
import { removeOutdirs, synthesize, tempOutdir } from './support.js';

afterAll(removeOutdirs);

/** Hosts the templates serve the API on, with how. */
function servedHosts(model: AwsModel): Map<string, string> {
  const out = new Map<string, string>();
  for (const [stack, t] of Object.entries(model.templates)) {
    for (const [lid, r] of Object.entries(t.Resources)) {
      if (r.Type === 'AWS::ApiGatewayV2::Api')
        out.set(new URL(String(model.att(stack, lid, 'ApiEndpoint'))).host, 'execute-api endpoint');
      if (r.Type !== 'AWS::ApiGatewayV2::DomainName') continue;
      const name = model.str(stack, r.Properties!.DomainName);
      const mapped = Object.values(t.Resources).some(
        (m) => m.Type === 'AWS::ApiGatewayV2::ApiMapping' && JSON.stringify(m.Properties!.DomainName).includes(lid),
      );
      const cert = (r.Properties!.DomainNameConfigurations as Array<{ CertificateArn?: unknown }>)?.[0]?.CertificateArn;
      if (mapped && cert) out.set(name, `custom domain ${lid}`);
    }
  }
  return out;
}

function handedOut(model: AwsModel): Array<{ where: string; url: string }> {
  const out: Array<{ where: string; url: string }> = [];
  for (const fn of model.functions()) {
    if (fn.env.PUBLIC_BASE_URL) out.push({ where: `${fn.entry} PUBLIC_BASE_URL`, url: fn.env.PUBLIC_BASE_URL });
    if (fn.env.SIGN_IN_URL)
      out.push({
        where: `${fn.entry} SIGN_IN_URL redirect_uri`,
        url: new URL(fn.env.SIGN_IN_URL).searchParams.get('redirect_uri')!,
      });
  }
  return out;
}

describe.each(['prod', 'dev'] as const)('public URLs (%s)', (stage) => {
  let model: AwsModel;
  beforeAll(() => {
    model = new AwsModel(synthesize(stage).templates as never);
  });

  it('points every link, redirect and callback at a host the stack serves', () => {
    const hosts = servedHosts(model);
    const urls = handedOut(model);
    expect(urls.length).toBeGreaterThan(5);
    const problems = urls
      .filter((u) => !hosts.has(new URL(u.url).host))
      .map((u) => `${u.where}: ${u.url} (served: ${[...hosts.keys()].join(', ')})`);
    expect([...new Set(problems)]).toEqual([]);
    // The sign-in callback the dashboard uses is registered with Cognito.
    const [[stack, , client]] = Object.entries(model.templates).flatMap(([s, t]) =>
      Object.entries(t.Resources)
        .filter(([, r]) => r.Type === 'AWS::Cognito::UserPoolClient')
        .map(([l, r]) => [s, l, r] as const),
    );
    const callbacks = model.resolve(stack, client.Properties!.CallbackURLs) as string[];
    for (const u of urls.filter((x) => x.where.includes('SIGN_IN_URL'))) expect(callbacks).toContain(u.url);
  });

  it(
    stage === 'prod'
      ? 'serves the configured custom domain with a certificate'
      : "uses the API's own endpoint (no custom domain configured)",
    () => {
      const custom = [...servedHosts(model).entries()].filter(([, how]) => how.startsWith('custom'));
      expect(custom.map(([h]) => h)).toEqual(stages[stage].api.domain ? [stages[stage].api.domain!.name] : []);
    },
  );
});

it('with a Route 53 zone configured, validates the certificate there and creates the alias records', () => {
  const config: StageConfig = {
    ...stages.prod,
    backup: { ...stages.prod.backup, copyToRegion: undefined },
    api: {
      ...stages.prod.api,
      domain: { name: 'api.example.com', hostedZone: { id: 'Z0123456789ABCDEFGHIJ', name: 'example.com' } },
    },
  };
  const app = new App({
    context: { ...FEATURE_FLAGS, 'aws:cdk:bundling-stacks': [] },
    outdir: tempOutdir('svp-domain-'),
  });
  const data = new DataStack(app, 'd', { config });
  const t = Template.fromStack(new AppStack(app, 'a', { config, data }));
  t.hasResourceProperties('AWS::CertificateManager::Certificate', {
    DomainName: 'api.example.com',
    ValidationMethod: 'DNS',
    DomainValidationOptions: [{ DomainName: 'api.example.com', HostedZoneId: 'Z0123456789ABCDEFGHIJ' }],
  });
  t.resourceCountIs('AWS::Route53::RecordSet', 2);
  t.hasResourceProperties('AWS::Route53::RecordSet', {
    Name: 'api.example.com.',
    Type: 'A',
    HostedZoneId: 'Z0123456789ABCDEFGHIJ',
  });
  t.hasResourceProperties('AWS::Route53::RecordSet', { Name: 'api.example.com.', Type: 'AAAA' });
});
