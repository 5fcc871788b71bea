/**
 * Analytics fixtures written as the owner (fast, bypassing the pipeline): an organization with a
 * brand, content requests with a master asset and platform variants, api_usage rows.
 */
import { randomUUID } from 'node:crypto';
import type postgres from 'postgres';

export interface SeededContent {
  requestId: string;
  assetId: string;
  variants: { id: string; platform: string }[];
}
export interface SeededOrg {
  orgId: string;
  brandId: string;
  userId: string;
  content: SeededContent[];
}

export async function seedOrg(
  owner: postgres.Sql,
  opts: { name?: string; userId?: string; budgetUsd?: number | null; creditQuota?: number | null } = {},
): Promise<SeededOrg> {
  const orgId = randomUUID();
  const brandId = randomUUID();
  await owner`insert into organizations (id, name, slug, api_rate_limit_per_minute, monthly_budget_usd, monthly_credit_quota)
    values (${orgId}, ${opts.name ?? `Org ${orgId.slice(0, 6)}`}, ${`org-${orgId.slice(0, 12)}`}, 100000, ${opts.budgetUsd ?? null},
      ${opts.creditQuota ?? null})`;
  let userId = opts.userId;
  if (!userId) {
    const email = `seed-${orgId.slice(0, 8)}@example.test`;
    const [u] = await owner<
      { id: string }[]
    >`insert into users (email, display_name) values (${email}, ${'Seed user'}) returning id`;
    userId = u.id;
    await owner`insert into user_organizations (organization_id, user_id, role) values (${orgId}, ${userId}, 'owner')`;
  }
  await owner`insert into brand_profiles (id, organization_id, name, colors, fonts)
    values (${brandId}, ${orgId}, ${`Brand ${orgId.slice(0, 4)}`}, '{}'::jsonb, '{}'::jsonb)`;
  return { orgId, brandId, userId, content: [] };
}

export async function seedContent(
  owner: postgres.Sql,
  org: SeededOrg,
  opts: {
    headline?: string;
    platforms?: string[];
    decision?: 'pass' | 'review' | 'reject' | null;
    score?: number | null;
    findings?: { check: string }[];
    createdAt?: Date;
    brandId?: string;
  } = {},
): Promise<SeededContent> {
  const requestId = randomUUID();
  const assetId = randomUUID();
  const platforms = opts.platforms ?? ['instagram_square', 'facebook_feed'];
  const createdAt = (opts.createdAt ?? new Date()).toISOString();
  const brandId = opts.brandId ?? org.brandId;
  await owner`insert into content_requests (id, organization_id, brand_id, requested_by, status, brief, image_spec, platforms, created_at)
    values (${requestId}, ${org.orgId}, ${brandId}, ${org.userId}, 'published',
      ${owner.json({ headline: opts.headline ?? `Headline ${requestId.slice(0, 6)}`, body: 'b' })},
      '{}'::jsonb, ${platforms}, ${createdAt})`;
  await owner`insert into generated_assets (id, organization_id, request_id, brand_id, source, license, s3_key, content_type, width, height, bytes, sha256,
      compliance_score, compliance_decision, findings, created_at)
    values (${assetId}, ${org.orgId}, ${requestId}, ${brandId}, 'stock', '{}'::jsonb, ${`orgs/${org.orgId}/a/${assetId}`}, 'image/png', 1000, 1000, 1, 'x',
      ${opts.score ?? null}, ${opts.decision === undefined ? 'pass' : opts.decision}, ${owner.json((opts.findings ?? []) as never)}, ${createdAt})`;
  const variants: { id: string; platform: string }[] = [];
  for (const p of platforms) {
    const [v] = await owner<
      { id: string }[]
    >`insert into asset_variants (organization_id, request_id, generated_asset_id, platform, width, height, format, bytes, sha256, s3_key)
      values (${org.orgId}, ${requestId}, ${assetId}, ${p}, 1080, 1080, 'png', 1, 'x', ${`orgs/${org.orgId}/v/${assetId}/${p}`}) returning id`;
    variants.push({ id: v.id, platform: p });
  }
  const c = { requestId, assetId, variants };
  org.content.push(c);
  return c;
}

export interface UsageRow {
  provider: string;
  endpoint: string;
  outcome: string;
  retryNumber: number;
  credits: string;
  costUsd: string;
  latencyMs: number;
  createdAt: Date;
}

export async function seedUsage(owner: postgres.Sql, orgId: string, rows: UsageRow[]): Promise<void> {
  for (const r of rows) {
    await owner`insert into api_usage (organization_id, provider, endpoint, method, status_code, outcome, latency_ms, credits, cost_usd, retry_number,
      created_at)
      values (${orgId}, ${r.provider}, ${r.endpoint}, 'POST', ${r.outcome === 'success' ? 200 : 503}, ${r.outcome}, ${r.latencyMs}, ${r.credits},
        ${r.costUsd}, ${r.retryNumber}, ${r.createdAt.toISOString()})`;
  }
}

/** Deterministic pseudo-random usage rows for a day. */
export function usageRowsFor(day: Date, n: number, seed = 1): UsageRow[] {
  let s = seed;
  const rnd = () => (s = (s * 1103515245 + 12345) % 2147483648) / 2147483648;
  const endpoints = [
    ['freepik', '/v1/ai/mystic'],
    ['freepik', '/v1/resources'],
    ['freepik', '/v1/resources/{id}/download'],
  ] as const;
  return Array.from({ length: n }, (_, i) => {
    const [provider, endpoint] = endpoints[i % endpoints.length];
    const outcome = rnd() < 0.2 ? 'retryable_error' : 'success';
    return {
      provider,
      endpoint,
      outcome,
      retryNumber: rnd() < 0.15 ? 1 : 0,
      credits: (rnd() * 10).toFixed(4),
      costUsd: (rnd() * 0.05).toFixed(6),
      latencyMs: Math.floor(rnd() * 900) + 50,
      createdAt: new Date(day.getTime() + Math.floor(rnd() * 86_399_000)),
    };
  });
}

/** A brand in an existing organization (e.g. one made by test/support/api.ts). */
export async function seedBrandFor(
  owner: postgres.Sql,
  orgId: string,
  userId: string,
  name = 'Main brand',
): Promise<SeededOrg> {
  const brandId = randomUUID();
  await owner`insert into brand_profiles (id, organization_id, name, colors, fonts) values (${brandId}, ${orgId}, ${name}, '{}'::jsonb, '{}'::jsonb)`;
  return { orgId, brandId, userId, content: [] };
}
