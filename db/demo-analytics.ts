/**
 * Demo performance data for the local stack, so the dashboard of a fresh `npm start` shows the
 * product at once: for every seeded tenant, 60 days of published posts (a few a week, one content
 * request each, rendered for three platforms), their daily metrics, the compliance outcome of
 * each request, and the rollups of all of it.
 *
 * What is demo data, and how to tell: the sourced asset of a demo request has provider `demo`
 * (generated_assets.provider; real ones say `freepik`/`upload`), and its posts hang off a social
 * connection with status `demo` (never collected: the collector only reads active connections).
 * The dashboard labels what it shows as demo data when a demo request is in the range.
 *
 * Shapes, deterministic per tenant (seeded random): posts mostly on weekdays, reach that peaks the
 * day after publishing and fades over two weeks, weekends quieter (LinkedIn most of all), per
 * platform engagement mixes (Instagram likes and saves, Facebook clicks and shares, LinkedIn clicks,
 * Pinterest saves), slow follower growth, an occasional post that does far better than the rest.
 *
 * Idempotent: a tenant that has any demo request, or was given demo data before (system_settings
 * `demo_analytics_seeded`, so data removed by hand stays removed), is left alone; one transaction
 * under an advisory lock, so two starters cannot both insert. Rollups are not written here: they are produced by the
 * scheduled jobs' own runner (`runJob`, the code the schedules and `npm run job` run) over the
 * months the demo data covers, whose background_jobs ledger makes a restart skip them.
 *
 * Local only: called by the local stack's start with the owner URL (superuser); nothing in the
 * Lambda bundles imports it.
 */
import { randomUUID } from 'node:crypto';
import postgres from 'postgres';
import type { DbHandle } from '../functions/adapters/db/client.js';
import { runJob, type JobRunResult } from '../functions/app/analytics/run-job.js';
import { addDays, addHours, dayKey, monthKey, startOfDay } from '../functions/domain/analytics/periods.js';
import { PLATFORM_PRESETS, type PlatformName } from '../functions/domain/platforms.js';
import { hash32, seededRandom } from '../local/seeded-random.js';
import type { SeedResult } from './seed.js';

/** generated_assets.provider of demo requests. */
export const DEMO_PROVIDER = 'demo';
/** social_connections.status of the demo connections (the collector skips them). */
export const DEMO_CONNECTION_STATUS = 'demo';
export const DEMO_DAYS = 60;
/** system_settings key: the tenants that were given demo data (so removing it is not undone). */
export const DEMO_SETTING = 'demo_analytics_seeded';
/** The jobs whose output the dashboard charts read. */
export const DEMO_ROLLUP_JOBS = ['rollup-content-hourly', 'rollup-brand-compliance'] as const;

interface PlatformProfile {
  /** content_analytics.platform */
  platform: string;
  /** The rendered size (asset_variants.platform). */
  preset: PlatformName;
  /** Lifetime impressions of an average post. */
  impressions: number;
  /** Per impression. */
  rates: { reach: number; likes: number; comments: number; shares: number; saves: number; clicks: number };
  /** Saturday and Sunday against a weekday. */
  weekend: number;
}

const PROFILES: Record<string, PlatformProfile> = {
  instagram: {
    platform: 'instagram',
    preset: 'instagram_square',
    impressions: 5200,
    rates: { reach: 0.78, likes: 0.034, comments: 0.0045, shares: 0.0035, saves: 0.0065, clicks: 0.004 },
    weekend: 0.85,
  },
  facebook: {
    platform: 'facebook',
    preset: 'facebook',
    impressions: 3400,
    rates: { reach: 0.7, likes: 0.017, comments: 0.0025, shares: 0.0028, saves: 0.0006, clicks: 0.009 },
    weekend: 0.8,
  },
  linkedin: {
    platform: 'linkedin',
    preset: 'linkedin',
    impressions: 2100,
    rates: { reach: 0.66, likes: 0.021, comments: 0.003, shares: 0.0018, saves: 0.0004, clicks: 0.016 },
    weekend: 0.45,
  },
  pinterest: {
    platform: 'pinterest',
    preset: 'pinterest',
    impressions: 2600,
    rates: { reach: 0.8, likes: 0.006, comments: 0.0005, shares: 0.001, saves: 0.024, clicks: 0.012 },
    weekend: 1.1,
  },
};

interface TenantDemo {
  platforms: string[];
  /** Audience size against the profiles. */
  scale: number;
  headlines: string[];
  query: string;
}

const TENANTS: Record<string, TenantDemo> = {
  'acme-coffee': {
    platforms: ['instagram', 'facebook', 'linkedin'],
    scale: 1,
    query: 'coffee shop',
    headlines: [
      'Slow mornings, fresh roasts',
      'Meet our new single origin',
      'Latte art Tuesday',
      'Cold brew season is here',
      'From farm to cup',
      'Your neighbourhood roastery',
      'The perfect flat white',
      'Weekend pastries are back',
      'Behind the roaster',
      'A cup worth waiting for',
      'Oat, almond or whole?',
      'Brewing tips from our baristas',
      'Autumn spice, done right',
      'Decaf that tastes like coffee',
      'Meet the grower: Huila, Colombia',
      'Bring your own cup',
    ],
  },
  'globex-fitness': {
    platforms: ['instagram', 'facebook', 'pinterest'],
    scale: 0.7,
    query: 'gym workout',
    headlines: [
      'Five moves, twenty minutes',
      'New class: sunrise HIIT',
      'Strong starts here',
      'Leg day, reimagined',
      'Member of the month',
      'Stretch it out Sunday',
      'Your first pull-up',
      'Fuel for your workout',
      'Try a class on us',
      'Core strength basics',
      'Rest days matter',
      'Train with a friend',
      'Kettlebell fundamentals',
      'Mobility for desk workers',
      'Summer shape-up challenge',
      'Meet our coaches',
    ],
  },
};

/** Post probability by UTC weekday (Sunday first): a few a week, mostly on weekdays. */
const POST_CHANCE = [0.1, 0.55, 0.45, 0.55, 0.45, 0.5, 0.15];
/** Share of a post's impressions on its publishing day, the next, ... (two weeks). */
const DECAY = [0.5, 1, 0.62, 0.4, 0.27, 0.19, 0.14, 0.1, 0.08, 0.06, 0.05, 0.04, 0.035, 0.03];
const DECAY_SUM = DECAY.reduce((a, b) => a + b, 0);
const COMPLIANCE_FINDINGS = ['contrast', 'palette', 'logo', 'copy_length', 'safe_zone', 'hashtags'];

export interface DemoPost {
  headline: string;
  createdAt: Date;
  /** null: rejected in review, never published. */
  publishedAt: Date | null;
  decision: 'pass' | 'review' | 'reject';
  score: number;
  findings: string[];
  /** Daily samples per platform (only for published posts). */
  samples: { platform: string; recordedAt: Date; metrics: Record<string, number> }[];
}

/**
 * The demo posts of one tenant for the `days` days up to `now` (pure and deterministic: same slug,
 * same day, same posts; samples after `now` are left out).
 */
export function planDemoPosts(slug: string, now: Date, days = DEMO_DAYS): DemoPost[] {
  const spec = TENANTS[slug] ?? TENANTS['acme-coffee'];
  const rnd = seededRandom(hash32(slug));
  const today = startOfDay(now);
  const first = addDays(today, -(days - 1));
  const posts: DemoPost[] = [];
  let n = 0;
  for (let i = 0; i < days - 1; i++) {
    const day = addDays(first, i);
    const chance = POST_CHANCE[day.getUTCDay()];
    if (rnd() >= chance) continue;
    const headline = spec.headlines[n++ % spec.headlines.length];
    const publishedAt = addHours(day, 8 + Math.floor(rnd() * 8));
    const createdAt = addHours(publishedAt, -(20 + Math.floor(rnd() * 20)));
    const roll = rnd();
    const decision = roll < 0.06 ? 'reject' : roll < 0.24 ? 'review' : 'pass';
    const score =
      decision === 'pass'
        ? 86 + Math.floor(rnd() * 13)
        : decision === 'review'
          ? 58 + Math.floor(rnd() * 25)
          : 30 + Math.floor(rnd() * 18);
    const findings =
      decision === 'pass'
        ? []
        : Array.from(
            { length: decision === 'reject' ? 2 : 1 },
            (_, k) => COMPLIANCE_FINDINGS[Math.floor(rnd() * COMPLIANCE_FINDINGS.length + k) % 6],
          );
    const post: DemoPost = {
      headline,
      createdAt,
      publishedAt: decision === 'reject' ? null : publishedAt,
      decision,
      score,
      findings,
      samples: [],
    };
    posts.push(post);
    if (!post.publishedAt) continue;
    // Most posts land near the average; about one in ten does far better.
    const quality = (0.55 + rnd() * 1.1) * (rnd() < 0.1 ? 1.9 : 1);
    const growth = 0.85 + (0.3 * i) / days;
    for (const name of spec.platforms) {
      const p = PROFILES[name];
      const mix = 0.8 + rnd() * 0.4;
      for (let k = 0; k < DECAY.length; k++) {
        const at = k === 0 ? addHours(publishedAt, 3) : addHours(addDays(day, k), 18);
        if (at.getTime() > now.getTime() - 5 * 60_000) break;
        const dow = at.getUTCDay();
        const weekday = dow === 0 || dow === 6 ? p.weekend : 1;
        const impressions = Math.round(
          ((p.impressions * spec.scale * quality * growth * DECAY[k]) / DECAY_SUM) * weekday * (0.85 + rnd() * 0.3),
        );
        const metrics: Record<string, number> = { impressions };
        for (const [m, rate] of Object.entries(p.rates)) {
          metrics[m] = Math.round(impressions * rate * (m === 'reach' ? 1 : mix) * (0.85 + rnd() * 0.3));
        }
        post.samples.push({ platform: p.platform, recordedAt: at, metrics });
      }
    }
  }
  return posts;
}

export interface DemoAnalyticsReport {
  /** Tenants that received demo data now (empty on every later start). */
  seeded: { slug: string; posts: number; samples: number }[];
  rollups: Pick<JobRunResult, 'job' | 'periodKey' | 'status' | 'reason'>[];
}

/**
 * Inserts the demo posts and metrics of every seeded tenant that has none yet (as the owner), then
 * runs the rollup jobs for the months they cover (as the app role, through the job runner).
 */
export async function seedDemoAnalytics(
  ownerUrl: string,
  seed: SeedResult,
  db: DbHandle,
  opts: { now?: Date; days?: number } = {},
): Promise<DemoAnalyticsReport> {
  const now = opts.now ?? new Date();
  const sql = postgres(ownerUrl, { max: 1, onnotice: () => {}, prepare: false });
  const report: DemoAnalyticsReport = { seeded: [], rollups: [] };
  let since: Date | undefined;
  try {
    await sql.begin(async (tx) => {
      await tx`SELECT pg_advisory_xact_lock(hashtext('svp.seed_demo_analytics'))`;
      for (const org of seed.orgs) {
        await tx`SELECT set_config('app.org_id', ${org.id}, true)`;
        // Seeded before (and possibly removed since, see docs/local-stack.md): leave it as it is.
        const [has] = await tx`
          SELECT 1 FROM system_settings WHERE key = ${DEMO_SETTING} AND value ? ${org.slug}
          UNION ALL SELECT 1 FROM generated_assets WHERE organization_id = ${org.id} AND provider = ${DEMO_PROVIDER} LIMIT 1`;
        if (has) continue;
        const posts = planDemoPosts(org.slug, now, opts.days);
        const samples = await insertTenant(tx, org, posts);
        report.seeded.push({ slug: org.slug, posts: posts.length, samples });
        await tx`
          INSERT INTO system_settings (key, value, description)
          VALUES (${DEMO_SETTING}, ${tx.json({ [org.slug]: now.toISOString() })}, 'local stack: tenants given demo analytics, and when')
          ON CONFLICT (key) DO UPDATE SET value = system_settings.value || excluded.value`;
      }
    });
    const [span] = await sql<{ first: Date | null }[]>`
      SELECT min(created_at) AS first FROM generated_assets WHERE provider = ${DEMO_PROVIDER}`;
    since = span?.first ?? undefined;
  } finally {
    await sql.end({ timeout: 5 });
  }
  if (!since) return report;
  // Whole months, oldest first: the same runner and ledger as the schedules, so a period that
  // already succeeded (every later start) is skipped.
  for (const month of monthsBetween(since, now)) {
    for (const job of DEMO_ROLLUP_JOBS) {
      const r = await runJob(job, { period: month, now }, { db });
      if (r.status === 'failed') throw new Error(`demo data: ${job} ${month} failed: ${r.error}`);
      report.rollups.push({ job: r.job, periodKey: r.periodKey, status: r.status, reason: r.reason });
    }
  }
  return report;
}

/**
 * What removing the demo data takes (as the owner; docs/local-stack.md quotes it): its content
 * rollup rows (the content rollup only upserts the groups it finds, it never deletes vanished
 * ones), samples, then the requests (their assets and variants cascade), posts and connections.
 * Then `rollup-brand-compliance` for those months and `refresh-materialized-views` (`--force`).
 */
const DEMO_REQUESTS = `(SELECT request_id FROM generated_assets WHERE provider = '${DEMO_PROVIDER}')`;
export const REMOVE_DEMO_SQL = [
  `DELETE FROM content_analytics_hourly WHERE request_id IN ${DEMO_REQUESTS}`,
  `DELETE FROM content_analytics_daily WHERE request_id IN ${DEMO_REQUESTS}`,
  `DELETE FROM content_analytics WHERE request_id IN ${DEMO_REQUESTS}`,
  `DELETE FROM content_requests WHERE id IN ${DEMO_REQUESTS}`,
  `DELETE FROM published_posts WHERE connection_id IN (SELECT id FROM social_connections WHERE status = '${DEMO_CONNECTION_STATUS}')`,
  `DELETE FROM social_connections WHERE status = '${DEMO_CONNECTION_STATUS}'`,
];

export function monthsBetween(from: Date, to: Date): string[] {
  const out: string[] = [];
  for (let y = from.getUTCFullYear(), m = from.getUTCMonth(); ; m++) {
    const d = new Date(Date.UTC(y, m, 1));
    if (d.getTime() > to.getTime()) break;
    out.push(monthKey(d));
  }
  return out;
}

async function insertTenant(tx: postgres.TransactionSql, org: SeedResult['orgs'][number], posts: DemoPost[]) {
  const spec = TENANTS[org.slug] ?? TENANTS['acme-coffee'];
  // Briefs come from the tenant's creator (the first member if it has none).
  const creator = Object.entries(org.userIds).find(([email]) => email.startsWith('creator@'));
  const requestedBy = creator?.[1] ?? Object.values(org.userIds)[0];
  const connections: Record<string, string> = {};
  for (const platform of spec.platforms) {
    const accountId = `demo-${org.slug}-${platform}`;
    await tx`
      INSERT INTO social_connections (organization_id, platform, account_id, access_token_enc, is_active, status, last_error)
      VALUES (${org.id}, ${platform}, ${accountId}, 'none', 0, ${DEMO_CONNECTION_STATUS}, 'demo data: not a real account')
      ON CONFLICT (organization_id, platform, account_id) DO NOTHING`;
    const [c] = await tx<{ id: string }[]>`
      SELECT id FROM social_connections WHERE organization_id = ${org.id} AND platform = ${platform} AND account_id = ${accountId}`;
    connections[platform] = c.id;
  }
  const metricRows: unknown[] = [];
  for (const post of posts) {
    const requestId = randomUUID();
    const assetId = randomUUID();
    const presets = spec.platforms.map((p) => PROFILES[p].preset);
    const brief = { headline: post.headline, body: `${post.headline}.`, hashtags: [] as string[] };
    await tx`
      INSERT INTO content_requests (id, organization_id, brand_id, template_id, workflow_id, requested_by, status, brief, image_spec,
        platforms, run, rejection_reason, published_at, created_at, updated_at)
      VALUES (${requestId}, ${org.id}, ${org.brandId}, ${Object.values(org.templateIds)[0] ?? null}, ${org.workflowId}, ${requestedBy},
        ${post.publishedAt ? 'published' : 'rejected'}, ${tx.json(brief)}, ${tx.json({ source: 'stock', query: spec.query })},
        ${presets}, 1, ${post.publishedAt ? null : 'Demo data: rejected in review'}, ${post.publishedAt},
        ${post.createdAt}, ${post.publishedAt ?? post.createdAt})`;
    const findings = post.findings.map((check) => ({
      check,
      severity: post.decision === 'reject' ? 'error' : 'warning',
    }));
    await tx`
      INSERT INTO generated_assets (id, organization_id, request_id, brand_id, source, provider, license, s3_key, content_type,
        width, height, bytes, sha256, compliance_score, compliance_decision, findings, created_at, updated_at)
      VALUES (${assetId}, ${org.id}, ${requestId}, ${org.brandId}, 'stock', ${DEMO_PROVIDER},
        ${tx.json({ type: 'freemium', attributionRequired: false })}, ${`orgs/${org.id}/requests/${requestId}/demo/master.jpg`},
        'image/jpeg', 2000, 2000, 0, 'demo', ${post.score}, ${post.decision}, ${tx.json(findings)},
        ${post.createdAt}, ${post.createdAt})`;
    if (!post.publishedAt) continue;
    const variantIds: Record<string, string> = {};
    for (const platform of spec.platforms) {
      const preset = PLATFORM_PRESETS[PROFILES[platform].preset];
      const variantId = randomUUID();
      variantIds[platform] = variantId;
      await tx`
        INSERT INTO asset_variants (id, organization_id, request_id, generated_asset_id, platform, width, height, format, bytes, sha256,
          s3_key, compliance_score, compliance_decision, findings, created_at, updated_at)
        VALUES (${variantId}, ${org.id}, ${requestId}, ${assetId}, ${preset.name}, ${preset.width}, ${preset.height}, 'jpeg', 0, 'demo',
          ${`orgs/${org.id}/requests/${requestId}/demo/${preset.name}.jpg`}, ${post.score}, ${post.decision}, '[]'::jsonb,
          ${post.createdAt}, ${post.createdAt})`;
      await tx`
        INSERT INTO published_posts (organization_id, variant_id, platform, external_post_id, connection_id, published_at)
        VALUES (${org.id}, ${variantId}, ${platform}, ${`demo-${variantId}`}, ${connections[platform]}, ${post.publishedAt})`;
    }
    for (const s of post.samples) {
      for (const [metric, value] of Object.entries(s.metrics)) {
        metricRows.push({
          o: org.id,
          b: org.brandId,
          r: requestId,
          v: variantIds[s.platform],
          p: s.platform,
          m: metric,
          n: value,
          t: s.recordedAt.toISOString(),
        });
      }
    }
  }
  for (let i = 0; i < metricRows.length; i += 4000) {
    await tx`
      INSERT INTO content_analytics (organization_id, brand_id, request_id, variant_id, platform, metric, value, recorded_at)
      SELECT o, b, r, v, p, m, n, t
      FROM jsonb_to_recordset(${tx.json(metricRows.slice(i, i + 4000) as postgres.JSONValue)})
        AS x(o uuid, b uuid, r uuid, v uuid, p text, m text, n bigint, t timestamptz)
      ON CONFLICT (variant_id, platform, metric, recorded_at) DO NOTHING`;
  }
  return metricRows.length;
}

/** The day keys the demo data of `now` covers (for tests and the docs). */
export const demoRange = (now: Date, days = DEMO_DAYS) => ({
  from: dayKey(addDays(startOfDay(now), -(days - 1))),
  to: dayKey(startOfDay(now)),
});
