/**
 * Demo data for the local stack: two tenants with users in every role, a brand each (palette, Inter,
 * a logo asset, voice rules, thresholds), two templates and a two-step approval workflow.
 *
 * Idempotent: every row is found by its natural key (org slug, user email, brand name, template
 * name, workflow name, asset S3 key) and only inserted when missing; existing rows are left exactly
 * as they are, so re-running changes nothing and demo edits survive. One transaction, serialized by
 * an advisory lock, so two starters racing cannot duplicate anything.
 *
 * Runs as the owner, which must bypass RLS (the superuser locally): it writes into two tenants.
 */
import { createHash } from 'node:crypto';
import { createRequire } from 'node:module';
import postgres from 'postgres';
import sharp from 'sharp';
import * as brandTypes from '../functions/domain/brand-types.js';
import type { BrandColors } from '../functions/domain/brand-types.js';
import { workflowStepsSchema } from '../functions/domain/workflow-types.js';
import { ensureFonts } from '../functions/adapters/render/fonts.js';
import type { OrgRole } from '../functions/domain/roles.js';

interface TenantSpec {
  slug: string;
  name: string;
  monthlyCreditQuota: number;
  monthlyBudgetUsd: string;
  users: Array<{ email: string; name: string; role: OrgRole }>;
  wordmark: string;
  palette: BrandColors['palette'];
  tone: string;
  bannedWords: string[];
  requiredDisclaimer: string;
  requiredHashtag: string;
}

const PALETTE_ROLES = ['primary', 'secondary', 'accent', 'background', 'text'] as const;
/** A brand palette from [name, hex] pairs in role order: primary, secondary, accent, background, text. */
const palette = (...colors: Array<[name: string, hex: string]>): BrandColors['palette'] =>
  colors.map(([name, hex], i) => ({ name, hex, role: PALETTE_ROLES[i] }));
/** Members by role, each signing in as `<role>@<domain>`. */
const members = (domain: string, names: Partial<Record<OrgRole, string>>): TenantSpec['users'] =>
  Object.entries(names).map(([role, name]) => ({
    email: `${role}@${domain}`,
    name: name ?? role,
    role: role as OrgRole,
  }));

export const DEMO_TENANTS: readonly TenantSpec[] = [
  {
    slug: 'acme-coffee',
    name: 'Acme Coffee',
    monthlyCreditQuota: 5000,
    monthlyBudgetUsd: '250.0000',
    users: members('acme.test', {
      owner: 'Ava Owner',
      creator: 'Cole Creator',
      approver: 'April Approver',
      viewer: 'Vic Viewer',
    }),
    wordmark: 'ACME',
    palette: palette(
      ['Espresso', '#4B2E1F'],
      ['Crema', '#C8A27A'],
      ['Cherry', '#C0392B'],
      ['Foam', '#FFF8F0'],
      ['Roast', '#1E1410'],
    ),
    tone: 'Warm, neighbourly and unhurried; speaks about craft, never about price.',
    bannedWords: ['cheap', 'instant', 'best coffee in the world'],
    requiredDisclaimer: 'Offer valid at participating stores only.',
    requiredHashtag: '#AcmeCoffee',
  },
  {
    slug: 'globex-fitness',
    name: 'Globex Fitness',
    monthlyCreditQuota: 2000,
    monthlyBudgetUsd: '100.0000',
    users: members('globex.test', { owner: 'Gus Owner', creator: 'Gia Creator', approver: 'Gil Approver' }),
    wordmark: 'GLOBEX',
    palette: palette(
      ['Electric', '#0057FF'],
      ['Volt', '#C6FF00'],
      ['Flame', '#FF5A1F'],
      ['Chalk', '#FFFFFF'],
      ['Iron', '#111827'],
    ),
    tone: 'Energetic and encouraging; short sentences; no body shaming.',
    bannedWords: ['guaranteed results', 'miracle', 'skinny'],
    requiredDisclaimer: 'Consult your doctor before starting a new exercise program.',
    requiredHashtag: '#GlobexFit',
  },
];

/** One seeded tenant. */
export interface SeedOrg {
  id: string;
  slug: string;
  name: string;
  brandId: string;
  logoAssetId: string;
  /** Template ids by name ("Bottom band", "Top headline"). */
  templateIds: Record<string, string>;
  workflowId: string;
  /** User ids by email, members of this org only. */
  userIds: Record<string, string>;
}

export interface SeedLogo {
  orgId: string;
  brandId: string;
  assetId: string;
  s3Key: string;
  wordmark: string;
  palette: BrandColors['palette'];
}

export interface SeedResult {
  orgs: SeedOrg[];
  /** Org ids by slug ("acme-coffee", "globex-fitness"). */
  orgIds: Record<string, string>;
  /** User ids by email, across both tenants. */
  userIds: Record<string, string>;
  /** Brand ids by org slug. */
  brandIds: Record<string, string>;
  /** Template ids by org slug, then template name. */
  templateIds: Record<string, Record<string, string>>;
  /** Default workflow ids by org slug. */
  workflowIds: Record<string, string>;
  /** The logo objects the local stack uploads (see seedLogoObjects). */
  logos: SeedLogo[];
}

export const WORKFLOW_NAME = 'Two-step review';

/** The seeded templates (also what the rendering tests hold the layout rules to). */
export const TEMPLATES = [
  {
    name: 'Bottom band',
    description: 'Photo with a solid brand-colour band across the bottom carrying the headline.',
    layers: {
      image: { focus: 'attention' },
      overlay: {
        kind: 'band',
        colorRole: 'primary',
        opacity: 0.9,
        box: { default: { x: 0, y: 0.72, w: 1, h: 0.28 }, tall: { x: 0, y: 0.78, w: 1, h: 0.22 } },
      },
      headline: {
        box: { default: { x: 0.06, y: 0.75, w: 0.7, h: 0.2 }, tall: { x: 0.06, y: 0.8, w: 0.7, h: 0.15 } },
        align: 'left',
        colorRole: 'background',
        minSize: 28,
        maxSize: 72,
        maxLines: 2,
        weight: 'bold',
      },
      cta: {
        box: { default: { x: 0.06, y: 0.93, w: 0.5, h: 0.05 } },
        align: 'left',
        colorRole: 'secondary',
        minSize: 16,
        maxSize: 28,
        maxLines: 1,
        weight: 'bold',
      },
      logo: { enabled: true, placement: 'top-right' },
    },
  },
  {
    name: 'Top headline',
    description: 'Large headline over a gradient at the top; the photo carries the rest.',
    layers: {
      image: { focus: 'entropy' },
      overlay: { kind: 'gradient', colorRole: 'text', opacity: 0.7, box: { default: { x: 0, y: 0, w: 1, h: 0.45 } } },
      headline: {
        box: { default: { x: 0.06, y: 0.06, w: 0.88, h: 0.22 }, wide: { x: 0.06, y: 0.08, w: 0.6, h: 0.3 } },
        align: 'left',
        colorRole: 'background',
        minSize: 32,
        maxSize: 96,
        maxLines: 3,
        weight: 'bold',
      },
      body: {
        box: { default: { x: 0.06, y: 0.3, w: 0.8, h: 0.1 } },
        align: 'left',
        colorRole: 'background',
        minSize: 18,
        maxSize: 32,
        maxLines: 2,
        weight: 'regular',
      },
      logo: { enabled: true, placement: 'bottom-right' },
    },
  },
] as const;

const logoKey = (orgId: string, brandId: string) => `orgs/${orgId}/brands/${brandId}/assets/logo.png`;

export async function seedDemo(ownerUrl: string): Promise<SeedResult> {
  const sql = postgres(ownerUrl, { max: 1, onnotice: () => {}, prepare: false });
  try {
    const [me] = await sql<{ ok: boolean; name: string }[]>`
      SELECT rolsuper OR rolbypassrls AS ok, rolname AS name FROM pg_roles WHERE rolname = current_user`;
    if (!me?.ok) {
      throw new Error(
        `seedDemo must run as a role that bypasses row level security (the owner/superuser), not ${me?.name}`,
      );
    }
    // Logos are rendered first (outside the transaction): their size and checksum go into the rows.
    const rendered = new Map<string, { bytes: number; sha256: string; width: number; height: number }>();
    for (const spec of DEMO_TENANTS) {
      const png = await renderLogo(spec.wordmark, spec.palette);
      const meta = await sharp(png).metadata();
      rendered.set(spec.slug, {
        bytes: png.length,
        sha256: createHash('sha256').update(png).digest('hex'),
        width: meta.width!,
        height: meta.height!,
      });
    }

    return await sql.begin(async (tx) => {
      await tx`SELECT pg_advisory_xact_lock(hashtext('svp.seed_demo'))`;
      const result: SeedResult = {
        orgs: [],
        orgIds: {},
        userIds: {},
        brandIds: {},
        templateIds: {},
        workflowIds: {},
        logos: [],
      };

      for (const spec of DEMO_TENANTS) {
        await tx`
          INSERT INTO organizations (name, slug, monthly_credit_quota, monthly_budget_usd)
          VALUES (${spec.name}, ${spec.slug}, ${spec.monthlyCreditQuota}, ${spec.monthlyBudgetUsd})
          ON CONFLICT (slug) DO NOTHING`;
        const [org] = await tx<{ id: string }[]>`SELECT id FROM organizations WHERE slug = ${spec.slug}`;
        // Inserts below are also valid under FORCEd tenant policies.
        await tx`SELECT set_config('app.org_id', ${org.id}, true)`;

        const userIds: Record<string, string> = {};
        for (const u of spec.users) {
          const [row] = await tx<{ id: string }[]>`SELECT app.ensure_user_by_email(${u.email}, ${u.name}) AS id`;
          userIds[u.email] = row.id;
          await tx`
            INSERT INTO user_organizations (organization_id, user_id, role)
            VALUES (${org.id}, ${row.id}, ${u.role})
            ON CONFLICT (organization_id, user_id) DO NOTHING`;
        }
        const ownerId = userIds[spec.users.find((u) => u.role === 'owner')!.email];

        const steps = workflowStepsSchema.parse([
          { name: 'Brand review', approvers: { roles: ['approver'] }, quorum: { type: 'any' }, deadlineHours: 48 },
          { name: 'Final sign-off', approvers: { roles: ['owner'] }, quorum: { type: 'any' }, deadlineHours: 48 },
        ]);
        await tx`
          INSERT INTO approval_workflows (organization_id, name, description, steps, created_by)
          VALUES (${org.id}, ${WORKFLOW_NAME}, 'Brand review by an approver, then sign-off by the owner.', ${tx.json(steps)}, ${ownerId})
          ON CONFLICT (organization_id, lower(name)) DO NOTHING`;
        const [wf] = await tx<{ id: string }[]>`
          SELECT id FROM approval_workflows WHERE organization_id = ${org.id} AND lower(name) = lower(${WORKFLOW_NAME})`;

        const colors = brandTypes.brandColorsSchema.parse({ palette: spec.palette, maxDeltaE: 22 });
        const fonts = brandTypes.brandFontsSchema.parse({ headline: 'Inter', body: 'Inter', allowed: ['Inter'] });
        const voice = brandTypes.voiceRulesSchema.parse({
          tone: spec.tone,
          bannedWords: spec.bannedWords,
          requiredDisclaimer: spec.requiredDisclaimer,
          requiredHashtags: [spec.requiredHashtag],
          maxHashtags: 5,
        });
        const thresholds = brandTypes.complianceThresholdsSchema.parse({
          autoPass: 85,
          autoReject: 50,
          minContrast: 4.5,
          maxUpscale: 1.5,
          weights: { palette: 2, logo: 2, banned_words: 3 },
        });
        await tx`
          INSERT INTO brand_profiles (organization_id, name, description, colors, fonts, voice_rules, compliance_thresholds, default_workflow_id, created_by)
          VALUES (${org.id}, ${spec.name}, ${`The ${spec.name} house style.`}, ${tx.json(colors)}, ${tx.json(fonts)}, ${tx.json(voice)},
                  ${tx.json(thresholds)}, ${wf.id}, ${ownerId})
          ON CONFLICT (organization_id, lower(name)) WHERE deleted_at IS NULL DO NOTHING`;
        const [brand] = await tx<{ id: string; logo: Record<string, unknown> }[]>`
          SELECT id, logo FROM brand_profiles WHERE organization_id = ${org.id} AND lower(name) = lower(${spec.name}) AND deleted_at IS NULL`;

        const s3Key = logoKey(org.id, brand.id);
        const r = rendered.get(spec.slug)!;
        await tx`
          INSERT INTO brand_assets (organization_id, brand_id, kind, name, s3_key, content_type, bytes, width, height, sha256,
                                    status, tags, license, created_by)
          VALUES (${org.id}, ${brand.id}, 'logo', ${`${spec.name} logo`}, ${s3Key}, 'image/png', ${r.bytes}, ${r.width}, ${r.height}, ${r.sha256},
                  'ready', ${['logo']}, ${tx.json({ type: 'owned', attributionRequired: false })}, ${ownerId})
          ON CONFLICT (s3_key) DO NOTHING`;
        const [asset] = await tx<{ id: string }[]>`SELECT id FROM brand_assets WHERE s3_key = ${s3Key}`;
        // Only fills in what a first run set; a logo someone changed later is left alone.
        if (!brand.logo?.assetId) {
          const logo = brandTypes.brandLogoSchema.parse({
            assetId: asset.id,
            placement: 'top-right',
            widthPct: 0.16,
            minWidthPct: 0.08,
            clearSpacePct: 0.25,
          });
          await tx`UPDATE brand_profiles SET logo = ${tx.json(logo)} WHERE id = ${brand.id}`;
        }

        const templateIds: Record<string, string> = {};
        for (const tpl of TEMPLATES) {
          const [found] = await tx<{ id: string }[]>`
            SELECT id FROM content_templates WHERE organization_id = ${org.id} AND brand_id = ${brand.id} AND name = ${tpl.name} AND deleted_at IS NULL
            ORDER BY created_at LIMIT 1`;
          if (found) {
            templateIds[tpl.name] = found.id;
            continue;
          }
          const layers = brandTypes.templateLayersSchema.parse(tpl.layers);
          const [row] = await tx<{ id: string }[]>`
            INSERT INTO content_templates (organization_id, brand_id, name, description, layers, created_by)
            VALUES (${org.id}, ${brand.id}, ${tpl.name}, ${tpl.description}, ${tx.json(layers)}, ${ownerId})
            RETURNING id`;
          templateIds[tpl.name] = row.id;
        }

        result.orgs.push({
          id: org.id,
          slug: spec.slug,
          name: spec.name,
          brandId: brand.id,
          logoAssetId: asset.id,
          templateIds,
          workflowId: wf.id,
          userIds,
        });
        result.orgIds[spec.slug] = org.id;
        Object.assign(result.userIds, userIds);
        result.brandIds[spec.slug] = brand.id;
        result.templateIds[spec.slug] = templateIds;
        result.workflowIds[spec.slug] = wf.id;
        result.logos.push({
          orgId: org.id,
          brandId: brand.id,
          assetId: asset.id,
          s3Key,
          wordmark: spec.wordmark,
          palette: spec.palette,
        });
      }
      return result;
    });
  } finally {
    await sql.end({ timeout: 5 });
  }
}

/** PNG bodies for each seeded logo, keyed like the brand_assets rows, for upload to S3. */
export async function seedLogoObjects(
  result: SeedResult,
): Promise<Array<{ key: string; body: Buffer; contentType: string }>> {
  const out: Array<{ key: string; body: Buffer; contentType: string }> = [];
  for (const l of result.logos) {
    out.push({ key: l.s3Key, body: await renderLogo(l.wordmark, l.palette), contentType: 'image/png' });
  }
  return out;
}

const require = createRequire(import.meta.url);
const INTER_BOLD = require.resolve('@expo-google-fonts/inter/700Bold/Inter_700Bold.ttf');

const LOGO_W = 640;
const LOGO_H = 200;

/**
 * A wordmark logo on a transparent background: a badge (primary disc, accent ring, secondary
 * bean/bolt shape) and the name set in the shipped Inter Bold (never a system font), so renders
 * are the same on every machine. Deterministic for a given sharp version (checksums in the seed).
 */
export async function renderLogo(wordmark: string, palette: BrandColors['palette']): Promise<Buffer> {
  // The renderer's font setup must be in place before this process draws its first text.
  ensureFonts();
  const color = (role: string) => palette.find((p) => p.role === role)?.hex ?? '#000000';
  const badge = Buffer.from(`<svg xmlns="http://www.w3.org/2000/svg" width="${LOGO_W}" height="${LOGO_H}">
    <circle cx="100" cy="100" r="88" fill="${color('primary')}"/>
    <circle cx="100" cy="100" r="80" fill="none" stroke="${color('accent')}" stroke-width="8"/>
    <ellipse cx="100" cy="100" rx="34" ry="50" fill="${color('secondary')}" transform="rotate(30 100 100)"/>
    <path d="M86 58 C 112 86, 88 114, 114 142" stroke="${color('primary')}" stroke-width="8" fill="none" stroke-linecap="round"/>
  </svg>`);
  const escaped = wordmark.replace(/&/g, '&amp;').replace(/</g, '&lt;');
  const text = await sharp({
    text: {
      text: `<span foreground="${color('primary')}">${escaped}</span>`,
      font: 'Inter Bold',
      fontfile: INTER_BOLD,
      rgba: true,
      width: LOGO_W - 230,
      height: 110,
    },
  })
    .png()
    .toBuffer();
  const tm = await sharp(text).metadata();
  return sharp({ create: { width: LOGO_W, height: LOGO_H, channels: 4, background: { r: 0, g: 0, b: 0, alpha: 0 } } })
    .composite([
      { input: badge, left: 0, top: 0 },
      { input: text, left: 215, top: Math.max(0, Math.round((LOGO_H - (tm.height ?? 0)) / 2)) },
    ])
    .png({ compressionLevel: 9 })
    .toBuffer();
}
