/**
 * Fixtures for the attack suite: two fully furnished tenants (every resource a route can name),
 * forged tokens, route -> concrete path/body, and a snapshot of each tenant's business rows so a
 * refused request can be shown to have changed nothing.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { generateKeyPair, SignJWT } from 'jose';
import type { z } from 'zod';
import { jwksPath, subjectForEmail } from '../../../local/auth/local-issuer.js';
import type { RouteEntry } from '../../../functions/handlers/api/route-def.js';
import { brandBody, templateLayers, type TestApi, type TestUser } from '../../support/api.js';

/** Every id a route path or body can name, for one tenant. */
export interface Tenant {
  label: string;
  orgId: string;
  owner: TestUser;
  /** A member the member routes act on (role viewer). */
  member: TestUser;
  approver: TestUser;
  brandId: string;
  assetId: string;
  templateId: string;
  workflowId: string;
  requestId: string;
  approvalId: string;
  webhookId: string;
  variantId: string;
  /** Strings that only this tenant's data contains: finding one in another tenant's answer is a leak. */
  secrets: string[];
}

const ok = (r: { status: number; text: string }, what: string) => {
  if (r.status >= 300) throw new Error(`fixture ${what} answered ${r.status}: ${r.text.slice(0, 300)}`);
};

/** Builds a tenant through the API (as its owner), plus an approval step and a variant by SQL. */
export async function furnishTenant(api: TestApi, label: string): Promise<Tenant> {
  const tag = `${label}-${randomBytes(4).toString('hex')}`;
  const { org, owner } = await api.org({ name: `Org ${tag}` });
  const member = await api.member(org.id, `member-${tag}@example.test`.toLowerCase(), 'viewer');
  const approver = await api.member(org.id, `approver-${tag}@example.test`.toLowerCase(), 'approver');
  const t = owner.token;
  const base = `/v1/orgs/${org.id}`;
  const brand = await api.call('POST', `${base}/brands`, { token: t, body: brandBody(`Brand ${tag}`) });
  ok(brand, 'brand');
  const asset = await api.call('POST', `${base}/brands/${brand.body.id}/assets`, {
    token: t,
    body: { name: `asset-${tag}.png`, contentType: 'image/png', tags: [`tag${tag}`] },
  });
  ok(asset, 'asset');
  const template = await api.call('POST', `${base}/templates`, {
    token: t,
    body: { brandId: brand.body.id, name: `Template ${tag}`, layers: templateLayers },
  });
  ok(template, 'template');
  const workflow = await api.call('POST', `${base}/approval-workflows`, {
    token: t,
    body: { name: `Workflow ${tag}`, steps: [{ name: 'Review', approvers: { roles: ['approver'] } }] },
  });
  ok(workflow, 'workflow');
  const request = await api.call('POST', `${base}/content-requests`, {
    token: t,
    body: {
      brandId: brand.body.id,
      brief: { headline: `Headline ${tag}` },
      image: { source: 'stock', query: 'coffee' },
      platforms: ['instagram_square'],
    },
  });
  ok(request, 'content request');
  const webhook = await api.call('POST', `${base}/webhooks`, {
    token: t,
    body: { url: `https://hooks.example.com/${tag}` },
  });
  ok(webhook, 'webhook');

  // A request waiting for approval, with a generated asset and a variant (what the pipeline leaves).
  const requestId = request.body.id as string;
  const db = api.db.owner;
  await db`update content_requests set status = 'awaiting_approval', workflow_id = ${workflow.body.id} where id = ${requestId}`;
  const [ga] = await db<{ id: string }[]>`
    insert into generated_assets (organization_id, request_id, brand_id, source, provider, license, s3_key, content_type, width, height, bytes, sha256)
    values (${org.id}, ${requestId}, ${brand.body.id}, 'stock', 'freepik', ${db.json({ type: 'freemium', attributionRequired: true })},
            ${`orgs/${org.id}/requests/${requestId}/source.jpg`}, 'image/jpeg', 100, 100, 10, ${'0'.repeat(64)})
    returning id`;
  const [variant] = await db<{ id: string }[]>`
    insert into asset_variants (organization_id, request_id, generated_asset_id, platform, width, height, format, bytes, sha256, s3_key,
      compliance_score, compliance_decision, findings)
    values (${org.id}, ${requestId}, ${ga.id}, 'instagram_square', 1080, 1080, 'jpeg', 10, ${'1'.repeat(64)},
            ${`orgs/${org.id}/requests/${requestId}/variants/instagram_square.jpg`}, 95, 'pass', ${db.json([])})
    returning id`;
  const [approval] = await db<{ id: string }[]>`
    insert into content_approvals (organization_id, request_id, run, step_index, step_name, quorum, variant_checksums, approver_ids, due_at)
    values (${org.id}, ${requestId}, 1, 0, 'Review', ${db.json({ type: 'any' })}, ${db.json({ instagram_square: '1'.repeat(64) })},
            ${[approver.id]}::uuid[], now() + interval '1 day')
    returning id`;

  const tenant: Tenant = {
    label,
    orgId: org.id,
    owner,
    member,
    approver,
    brandId: brand.body.id,
    assetId: asset.body.asset.id,
    templateId: template.body.id,
    workflowId: workflow.body.id,
    requestId,
    approvalId: approval.id,
    webhookId: webhook.body.id,
    variantId: variant.id,
    secrets: [],
  };
  tenant.secrets = [
    tag,
    org.id,
    owner.id,
    member.id,
    approver.id,
    owner.email,
    member.email,
    tenant.brandId,
    tenant.assetId,
    tenant.templateId,
    tenant.workflowId,
    tenant.requestId,
    tenant.approvalId,
    tenant.webhookId,
    tenant.variantId,
    webhook.body.secret,
  ];
  return tenant;
}

/** Path with `{param}`s filled from the tenant; unknown params get a fresh UUID (or a junk token). */
export function fillPath(route: RouteEntry, t: Tenant, overrides: Record<string, string> = {}): string {
  const byParam: Record<string, string> = {
    orgId: t.orgId,
    brandId: t.brandId,
    assetId: t.assetId,
    templateId: t.templateId,
    workflowId: t.workflowId,
    requestId: t.requestId,
    approvalId: t.approvalId,
    webhookId: t.webhookId,
    userId: t.member.id,
    token: randomBytes(32).toString('base64url'),
  };
  return route.path.replace(/\{(\w+)\+?\}/g, (_m, name: string) => overrides[name] ?? byParam[name] ?? randomUUID());
}

/** A valid JSON body for each route that takes one, naming `t`'s resources. */
export function sampleBody(route: RouteEntry, t: Tenant): unknown {
  const n = randomBytes(3).toString('hex');
  const samples: Record<string, unknown> = {
    createOrg: { name: `Org ${n}` },
    updateOrg: { name: `Renamed ${n}` },
    addMember: { email: `new-${n}@example.test`, role: 'viewer' },
    updateMember: { role: 'creator' },
    createBrand: brandBody(`Brand ${n}`),
    updateBrand: { description: `changed ${n}` },
    createAsset: { name: `a-${n}.png`, contentType: 'image/png' },
    updateAsset: { name: `renamed-${n}.png` },
    createTemplate: { brandId: t.brandId, name: `T ${n}`, layers: templateLayers },
    updateTemplate: { name: `T2 ${n}` },
    previewTemplate: { platform: 'instagram_square', brief: { headline: 'Hello' }, assetId: t.assetId },
    createWorkflow: { name: `W ${n}`, steps: [{ name: 'Review', approvers: { roles: ['approver'] } }] },
    updateWorkflow: { name: `W2 ${n}` },
    createContentRequest: {
      brandId: t.brandId,
      brief: { headline: 'Hello' },
      image: { source: 'stock', query: 'coffee' },
      platforms: ['instagram_square'],
    },
    decideApproval: { decision: 'approve' },
    createWebhook: { url: `https://hooks.example.com/${n}` },
    updateWebhook: { isActive: false },
    ingestMetrics: {
      points: [
        {
          variantId: t.variantId,
          platform: 'instagram',
          metric: 'likes',
          value: 1,
          recordedAt: new Date().toISOString(),
        },
      ],
    },
  };
  if (route.id in samples) return samples[route.id];
  return route.request ? {} : undefined;
}

/** False for a route added after this suite: it is attacked with `{}`, so a 400 may come before the 404. */
export const hasSample = (route: RouteEntry) => !route.request || JSON.stringify(sampleBody(route, STAND_IN)) !== '{}';

/** A tenant-shaped placeholder (collection time, before any tenant exists): every id is "ID". */
export const STAND_IN = {
  orgId: 'ID',
  brandId: 'ID',
  assetId: 'ID',
  templateId: 'ID',
  workflowId: 'ID',
  requestId: 'ID',
  approvalId: 'ID',
  webhookId: 'ID',
  variantId: 'ID',
  member: { id: 'ID' },
  owner: { id: 'ID' },
  approver: { id: 'ID' },
  secrets: [],
  label: 'stand-in',
} as unknown as Tenant;

/** True when the route's body is JSON (not a form post). */
export const takesJson = (r: RouteEntry) =>
  !!r.request && (r.consumes ?? ['application/json']).includes('application/json');

/** Top-level keys of an object schema (zod 4 keeps `.shape` through refine/superRefine). */
export function schemaKeys(schema: z.ZodType | undefined): string[] | undefined {
  const shape = (schema as { shape?: Record<string, unknown> } | undefined)?.shape;
  return shape && typeof shape === 'object' ? Object.keys(shape) : undefined;
}

/** Forged bearer tokens for `email`: each must be refused with 401. */
export async function forgedTokens(api: TestApi, email: string): Promise<Record<string, string>> {
  const jwks = JSON.parse(readFileSync(jwksPath(api.auth.keysDir), 'utf8')) as { keys: { kid: string }[] };
  const kid = jwks.keys[0].kid;
  const claims = { email, name: 'Mallory', token_use: 'id' };
  const now = Math.floor(Date.now() / 1000);
  /** The claims a genuine token carries, signed with `alg` and `key` instead of the issuer's key. */
  const signedAs = (alg: string, key: Parameters<SignJWT['sign']>[0]) =>
    new SignJWT(claims)
      .setProtectedHeader({ alg, kid })
      .setIssuer(api.auth.issuer)
      .setAudience(api.auth.audience)
      .setSubject(subjectForEmail(email))
      .setIssuedAt(now)
      .setExpirationTime(now + 3600)
      .sign(key);
  const { privateKey: otherKey } = await generateKeyPair('ES256');
  const signedByOther = await signedAs('ES256', otherKey);
  const b64 = (o: unknown) => Buffer.from(JSON.stringify(o)).toString('base64url');
  const payload = {
    ...claims,
    iss: api.auth.issuer,
    aud: api.auth.audience,
    sub: subjectForEmail(email),
    iat: now,
    exp: now + 3600,
  };
  const algNone = `${b64({ alg: 'none', typ: 'JWT' })}.${b64(payload)}.`;
  // HS256 "signed" with the public key: the classic algorithm-confusion forgery.
  const pub = new TextEncoder().encode(JSON.stringify(jwks.keys[0]));
  const hsConfused = await signedAs('HS256', pub);
  // A genuine token whose payload was edited to another subject (signature no longer matches).
  const genuine = await api.token(`someone-${randomBytes(3).toString('hex')}@example.test`);
  const [h, , s] = genuine.split('.');
  const tampered = `${h}.${b64(payload)}.${s}`;
  return {
    'signed by another key': signedByOther,
    'alg none': algNone,
    'HS256 with the public key': hsConfused,
    'tampered payload': tampered,
    'wrong issuer': await api.token(email, { issuer: 'https://evil.example.com' }),
    'wrong audience': await api.token(email, { audience: 'some-other-app' }),
    expired: await api.token(email, { ttl: -120 }),
  };
}

const TENANT_TABLES = [
  'organizations',
  'user_organizations',
  'brand_profiles',
  'brand_assets',
  'content_templates',
  'approval_workflows',
  'content_requests',
  'generated_assets',
  'asset_variants',
  'content_approvals',
  'approval_decisions',
  'approval_links',
  'webhook_endpoints',
  'content_analytics',
];

/** A digest of every business row of the organization (audit log and rate buckets excluded). */
export async function snapshot(api: TestApi, orgId: string): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  for (const table of TENANT_TABLES) {
    const col = table === 'organizations' ? 'id' : 'organization_id';
    const [r] = await api.db.owner.unsafe<{ n: number; digest: string | null }[]>(
      `select count(*)::int as n, md5(coalesce(string_agg(t::text, '|' order by t::text), '')) as digest from ${table} t where ${col} = $1`,
      [orgId],
    );
    out[table] = `${r.n}:${r.digest}`;
  }
  return out;
}

/** Asserts-friendly description of a response. */
export const describeResponse = (
  method: string,
  path: string,
  r: { status: number; contentType: string; text: string },
) => `${method} ${path} -> ${r.status} ${r.contentType} ${r.text.slice(0, 240)}`;
