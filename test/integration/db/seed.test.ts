/**
 * The demo seed, as the local stack uses it: two tenants with the documented users and roles, valid
 * brand/template/workflow JSON, logo assets whose stored checksum matches the PNG that gets
 * uploaded, and re-running (even concurrently) adds nothing.
 */
import { createHash } from 'node:crypto';
import sharp from 'sharp';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { sql as dsql } from 'drizzle-orm';
import { seedDemo, seedLogoObjects, type SeedResult } from '../../../db/seed.js';
import * as brandTypes from '../../../functions/domain/brand-types.js';
import { workflowStepsSchema } from '../../../functions/domain/workflow-types.js';
import { withTenant } from '../../../functions/adapters/db/client.js';
import { createTestDatabase, type TestDatabase } from '../../support/db.js';

let t: TestDatabase;
let first: SeedResult;

const TABLES = [
  'organizations',
  'users',
  'user_organizations',
  'brand_profiles',
  'brand_assets',
  'content_templates',
  'approval_workflows',
];
async function counts(): Promise<Record<string, number>> {
  const out: Record<string, number> = {};
  for (const tbl of TABLES) out[tbl] = (await t.owner.unsafe(`SELECT count(*)::int AS n FROM ${tbl}`))[0].n;
  return out;
}

beforeAll(async () => {
  t = await createTestDatabase();
  first = await seedDemo(t.ownerUrl);
});
afterAll(async () => {
  await t?.drop();
});

test('two tenants with the documented users and roles', async () => {
  const rows = await t.owner<{ org: string; email: string; role: string }[]>`
    SELECT o.name AS org, u.email, uo.role::text AS role FROM user_organizations uo
    JOIN organizations o ON o.id = uo.organization_id JOIN users u ON u.id = uo.user_id ORDER BY 1, 2`;
  expect(rows).toEqual([
    { org: 'Acme Coffee', email: 'approver@acme.test', role: 'approver' },
    { org: 'Acme Coffee', email: 'creator@acme.test', role: 'creator' },
    { org: 'Acme Coffee', email: 'owner@acme.test', role: 'owner' },
    { org: 'Acme Coffee', email: 'viewer@acme.test', role: 'viewer' },
    { org: 'Globex Fitness', email: 'approver@globex.test', role: 'approver' },
    { org: 'Globex Fitness', email: 'creator@globex.test', role: 'creator' },
    { org: 'Globex Fitness', email: 'owner@globex.test', role: 'owner' },
  ]);
  expect(Object.keys(first.userIds).sort()).toEqual(rows.map((r) => r.email).sort());
  const quotas = await t.owner`SELECT slug, monthly_credit_quota, monthly_budget_usd FROM organizations ORDER BY slug`;
  expect(quotas.every((q) => q.monthly_credit_quota > 0 && Number(q.monthly_budget_usd) > 0)).toBe(true);
});

test('brands, templates and workflows are valid against the domain schemas and wired together', async () => {
  for (const org of first.orgs) {
    const [b] = await t.owner`SELECT * FROM brand_profiles WHERE id = ${org.brandId}`;
    expect(b.organization_id).toBe(org.id);
    const colors = brandTypes.brandColorsSchema.parse(b.colors);
    expect(colors.palette.map((p) => p.role).sort()).toEqual(['accent', 'background', 'primary', 'secondary', 'text']);
    expect(brandTypes.brandFontsSchema.parse(b.fonts)).toEqual({
      headline: 'Inter',
      body: 'Inter',
      allowed: ['Inter'],
    });
    const voice = brandTypes.voiceRulesSchema.parse(b.voice_rules);
    expect(voice.bannedWords.length).toBeGreaterThan(0);
    expect(voice.requiredDisclaimer).toBeTruthy();
    expect(voice.requiredHashtags).toHaveLength(1);
    brandTypes.complianceThresholdsSchema.parse(b.compliance_thresholds);
    expect(brandTypes.brandLogoSchema.parse(b.logo).assetId).toBe(org.logoAssetId);
    expect(b.default_workflow_id).toBe(org.workflowId);

    const [asset] = await t.owner`SELECT * FROM brand_assets WHERE id = ${org.logoAssetId}`;
    expect(asset).toMatchObject({
      kind: 'logo',
      status: 'ready',
      content_type: 'image/png',
      s3_key: `orgs/${org.id}/brands/${org.brandId}/assets/logo.png`,
    });

    const tpls =
      await t.owner`SELECT name, layers FROM content_templates WHERE organization_id = ${org.id} ORDER BY name`;
    expect(tpls.map((x) => x.name)).toEqual(['Bottom band', 'Top headline']);
    for (const tpl of tpls) brandTypes.templateLayersSchema.parse(tpl.layers);
    expect(Object.keys(org.templateIds).sort()).toEqual(['Bottom band', 'Top headline']);

    const [wf] = await t.owner`SELECT steps FROM approval_workflows WHERE id = ${org.workflowId}`;
    const steps = workflowStepsSchema.parse(wf.steps);
    expect(steps.map((s) => [s.name, s.approvers.roles, s.quorum.type, s.deadlineHours])).toEqual([
      ['Brand review', ['approver'], 'any', 48],
      ['Final sign-off', ['owner'], 'any', 48],
    ]);
  }
});

test('logo objects are PNGs with alpha in brand colours whose checksum matches the asset rows', async () => {
  const objects = await seedLogoObjects(first);
  expect(objects).toHaveLength(2);
  for (const o of objects) {
    const [row] = await t.owner`SELECT sha256, bytes, width, height FROM brand_assets WHERE s3_key = ${o.key}`;
    expect(o.contentType).toBe('image/png');
    expect(createHash('sha256').update(o.body).digest('hex')).toBe(row.sha256);
    expect(o.body.length).toBe(row.bytes);
    const meta = await sharp(o.body).metadata();
    expect({ format: meta.format, alpha: meta.hasAlpha, w: meta.width, h: meta.height }).toEqual({
      format: 'png',
      alpha: true,
      w: row.width,
      h: row.height,
    });
    // corners are transparent, the badge centre is opaque
    const { data, info } = await sharp(o.body).raw().toBuffer({ resolveWithObject: true });
    expect(data[3]).toBe(0);
    expect(data[(100 * info.width + 100) * 4 + 3]).toBe(255);
  }
  expect(objects[0].body.equals(objects[1].body)).toBe(false);
});

test('re-running the seed (also twice at once) changes nothing and returns the same ids', async () => {
  const before = await counts();
  const snapshot = await t.owner`SELECT id, updated_at, logo, colors FROM brand_profiles ORDER BY id`;
  const [again, concurrent] = await Promise.all([seedDemo(t.ownerUrl), seedDemo(t.ownerUrl)]);
  expect(again).toEqual(first);
  expect(concurrent).toEqual(first);
  expect(await counts()).toEqual(before);
  expect(await t.owner`SELECT id, updated_at, logo, colors FROM brand_profiles ORDER BY id`).toEqual(snapshot);
  expect(before).toEqual({
    organizations: 2,
    users: 7,
    user_organizations: 7,
    brand_profiles: 2,
    brand_assets: 2,
    content_templates: 4,
    approval_workflows: 2,
  });
});

test('through the app role each seeded tenant sees only its own brand', async () => {
  for (const org of first.orgs) {
    const rows = await withTenant(t.app.db, { orgId: org.id }, (tx) =>
      tx.execute<{ id: string }>(dsql`SELECT id FROM brand_profiles`),
    );
    expect(rows.map((r) => r.id)).toEqual([org.brandId]);
  }
});
