/**
 * Helpers for the approval tests: a tenant with a brand, a workflow and a request whose variants
 * are real PNGs in s3rver; the review form as a browser would post it; a webhook receiver; a
 * recording task-callback port that behaves like Step Functions (a second answer to the same
 * token is "already decided").
 */
import { createHash, randomBytes } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import sharp from 'sharp';
import type postgres from 'postgres';
import type { CallbackResult, TaskCallbacks } from '../../../functions/domain/approvals/ports.js';
import { LocalEventRecorder } from '../../../functions/adapters/approvals/event-publisher.js';
import { FieldCipher, LocalKeyProvider } from '../../../functions/adapters/crypto/envelope.js';
import { provide, type Composed } from '../../../functions/handlers/composition/root.js';
import type { z } from 'zod';
import { workflowStepsSchema } from '../../../functions/domain/workflow-types.js';
import type { ObjectStore } from '../../../functions/adapters/storage/object-store.js';

export async function waitFor<T>(
  what: string,
  fn: () => Promise<T | undefined | null | false>,
  timeoutMs = 30_000,
  everyMs = 50,
): Promise<T> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn();
    if (v) return v as T;
    if (Date.now() > until) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, everyMs));
  }
}

/** Task callbacks that record every call, answering like Step Functions. */
export class RecordingCallbacks implements TaskCallbacks {
  readonly calls: { kind: 'success' | 'failure'; token: string; output?: any; error?: string; cause?: string }[] = [];
  private readonly answered = new Set<string>();
  /** Tokens that are no longer waiting (timed out): answered with "already decided". */
  readonly closed = new Set<string>();
  async sendSuccess(token: string, output: unknown): Promise<CallbackResult> {
    this.calls.push({ kind: 'success', token, output });
    return this.answer(token);
  }
  async sendFailure(token: string, error: string, cause: string): Promise<CallbackResult> {
    this.calls.push({ kind: 'failure', token, error, cause });
    return this.answer(token);
  }
  private answer(token: string): CallbackResult {
    if (this.answered.has(token) || this.closed.has(token)) return 'already_decided';
    this.answered.add(token);
    return 'sent';
  }
  successesFor(token: string) {
    return this.calls.filter((c) => c.kind === 'success' && c.token === token);
  }
}

// ---- the review form, as a browser posts it -----------------------------------------------------

const unescapeHtml = (s: string) =>
  s
    .replace(/&quot;/g, '"')
    .replace(/&#39;/g, "'")
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&amp;/g, '&');

/**
 * The approval services as these tests run them: recorded callbacks and events, no real waits
 * between webhook attempts, links under `publicBaseUrl`, secrets sealed with a fresh key unless
 * `over` brings one (a key that outlives one test keeps secrets stored by another readable).
 */
export function provideTestApprovals(publicBaseUrl: string, over: Partial<Composed> = {}): void {
  provide({
    callbacks: new RecordingCallbacks(),
    publicBaseUrl,
    appMode: 'local',
    sleep: async () => {},
    secrets: new FieldCipher(new LocalKeyProvider(randomBytes(32))),
    events: new LocalEventRecorder(),
    ...over,
  });
}

export function reviewForm(html: string): { approval: string; form_token: string } {
  const field = (name: string) => {
    const m = new RegExp(`name="${name}" value="([^"]*)"`).exec(html);
    if (!m) throw new Error(`no ${name} field in the page`);
    return unescapeHtml(m[1]);
  };
  return { approval: field('approval'), form_token: field('form_token') };
}

export const imageUrls = (html: string) => [...html.matchAll(/<img src="([^"]+)"/g)].map((m) => unescapeHtml(m[1]));

export interface PageResult {
  status: number;
  html: string;
  headers: Headers;
}

export async function getPage(url: string): Promise<PageResult> {
  const r = await fetch(url, { redirect: 'manual' });
  return { status: r.status, html: await r.text(), headers: r.headers };
}

/** Opens the link, then posts the form it rendered (plus `fields`), with the page's Origin. */
export async function decide(
  link: string,
  fields: Record<string, string>,
  opts: { origin?: string | null; form?: { approval: string; form_token: string } } = {},
): Promise<PageResult> {
  const form = opts.form ?? reviewForm((await getPage(link)).html);
  return postForm(link, { ...form, ...fields }, opts.origin === undefined ? new URL(link).origin : opts.origin);
}

export async function postForm(
  link: string,
  fields: Record<string, string>,
  origin: string | null,
): Promise<PageResult> {
  const headers: Record<string, string> = { 'content-type': 'application/x-www-form-urlencoded' };
  if (origin) headers.origin = origin;
  const r = await fetch(link, {
    method: 'POST',
    headers,
    body: new URLSearchParams(fields).toString(),
    redirect: 'manual',
  });
  return { status: r.status, html: await r.text(), headers: r.headers };
}

// ---- a webhook receiver -------------------------------------------------------------------------

export interface Receiver {
  url: string;
  received: { headers: http.IncomingHttpHeaders; body: string }[];
  /** Status codes to answer with, in order; then 200. */
  plan: number[];
  close(): Promise<void>;
}

export async function startReceiver(plan: number[] = []): Promise<Receiver> {
  const received: Receiver['received'] = [];
  const state = { plan: [...plan] };
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c) => chunks.push(c));
    req.on('end', () => {
      received.push({ headers: req.headers, body: Buffer.concat(chunks).toString('utf8') });
      res.statusCode = state.plan.shift() ?? 200;
      res.end('ok');
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as AddressInfo).port;
  return {
    url: `http://127.0.0.1:${port}/hooks/svp`,
    received,
    get plan() {
      return state.plan;
    },
    set plan(p: number[]) {
      state.plan = [...p];
    },
    close: () => new Promise<void>((r) => server.close(() => r())),
  };
}

// ---- a tenant with a request waiting for review -------------------------------------------------

export interface Fixture {
  orgId: string;
  brandId: string;
  users: Record<'owner' | 'creator' | 'approver1' | 'approver2' | 'viewer' | 'manager', { id: string; email: string }>;
}

const palette = {
  palette: [
    { name: 'Ink', hex: '#111111', role: 'text' },
    { name: 'Sun', hex: '#FFB000', role: 'primary' },
  ],
  maxDeltaE: 20,
};
const fonts = { headline: 'Inter', body: 'Inter', allowed: ['Inter'] };

/** Org + members (as the owner SQL user) + a brand. */
export async function createTenant(owner: postgres.Sql, label: string): Promise<Fixture> {
  const slug = `${label}-${randomBytes(4).toString('hex')}`;
  const [org] = await owner<
    { id: string }[]
  >`insert into organizations (name, slug, api_rate_limit_per_minute) values (${label}, ${slug}, 100000) returning id`;
  const users = {} as Fixture['users'];
  const roles = {
    owner: 'owner',
    creator: 'creator',
    approver1: 'approver',
    approver2: 'approver',
    viewer: 'viewer',
    manager: 'brand_manager',
  } as const;
  for (const [key, role] of Object.entries(roles)) {
    const email = `${key}.${slug}@example.test`.toLowerCase();
    const [u] = await owner<{ id: string }[]>`select app.ensure_user_by_email(${email}, ${`${key} ${label}`}) as id`;
    await owner`insert into user_organizations (organization_id, user_id, role) values (${org.id}, ${u.id}, ${role})`;
    users[key as keyof Fixture['users']] = { id: u.id, email };
  }
  const [brand] = await owner<{ id: string }[]>`
    insert into brand_profiles (organization_id, name, colors, fonts, created_by)
    values (${org.id}, ${`${label} brand`}, ${owner.json(palette)}, ${owner.json(fonts)}, ${users.owner.id}) returning id`;
  return { orgId: org.id, brandId: brand.id, users };
}

/** Workflow steps as a test writes them (defaults filled in by the schema). */
export type WorkflowStepsInput = z.input<typeof workflowStepsSchema>;

export async function createWorkflow(
  owner: postgres.Sql,
  f: Fixture,
  steps: z.input<typeof workflowStepsSchema>,
  opts: { allowAutoApprove?: boolean; name?: string } = {},
): Promise<string> {
  const parsed = workflowStepsSchema.parse(steps);
  const [w] = await owner<{ id: string }[]>`
    insert into approval_workflows (organization_id, name, steps, allow_auto_approve)
    values (${f.orgId}, ${opts.name ?? `wf-${randomBytes(4).toString('hex')}`}, ${owner.json(parsed as never)}, ${opts.allowAutoApprove ?? false})
      returning id`;
  return w.id;
}

/** The tenants "Acme" and "Other", and a workflow of Acme's with `steps`. */
export async function createAcmeAndOther(
  owner: postgres.Sql,
  steps: WorkflowStepsInput,
): Promise<{ acme: Fixture; other: Fixture; workflowId: string }> {
  const acme = await createTenant(owner, 'Acme');
  const other = await createTenant(owner, 'Other');
  return { acme, other, workflowId: await createWorkflow(owner, acme, steps) };
}

export const PLATFORMS = ['instagram_square', 'facebook'] as const;

/** A request in `rendering` (run 1) with two real PNG variants stored in S3. */
export async function createRequest(
  owner: postgres.Sql,
  store: ObjectStore,
  f: Fixture,
  workflowId: string | null,
  opts: { creatorId?: string; compliance?: unknown } = {},
): Promise<{ requestId: string; variants: { platform: string; key: string; sha256: string }[] }> {
  const brief = {
    headline: `Spring launch ${randomBytes(2).toString('hex')}`,
    body: 'Fresh colours for a new season.',
    callToAction: 'Shop now',
    hashtags: ['#Spring'],
  };
  const compliance = opts.compliance ?? {
    score: 78,
    decision: 'review',
    findings: [{ check: 'contrast', severity: 'warning', message: 'Headline contrast 4.1:1 is below 4.5:1' }],
  };
  const [r] = await owner<{ id: string }[]>`
    insert into content_requests (organization_id, brand_id, requested_by, status, brief, image_spec, platforms, workflow_id, run, compliance)
    values (${f.orgId}, ${f.brandId}, ${opts.creatorId ?? f.users.creator.id}, 'rendering', ${owner.json(brief)},
      ${owner.json({ source: 'stock', query: 'spring' })},
            ${[...PLATFORMS]}, ${workflowId}, 1, ${owner.json(compliance as never)}) returning id`;
  const master = await sharp({ create: { width: 64, height: 64, channels: 3, background: '#FFB000' } })
    .png()
    .toBuffer();
  const masterKey = `orgs/${f.orgId}/requests/${r.id}/master.png`;
  await store.put(masterKey, master, 'image/png');
  const [asset] = await owner<{ id: string }[]>`
    insert into generated_assets (organization_id, request_id, brand_id, source, license, s3_key, content_type, width, height, bytes, sha256)
    values (${f.orgId}, ${r.id}, ${f.brandId}, 'stock', ${owner.json({ type: 'freemium', attributionRequired: false })}, ${masterKey}, 'image/png',
      64, 64, ${master.length},
            ${createHash('sha256').update(master).digest('hex')}) returning id`;
  const variants = [];
  for (const [i, platform] of PLATFORMS.entries()) {
    const [w, h] = i === 0 ? [60, 60] : [80, 42];
    const png = await sharp({
      create: { width: w, height: h, channels: 3, background: i === 0 ? '#111111' : '#FFB000' },
    })
      .png()
      .toBuffer();
    const key = `orgs/${f.orgId}/requests/${r.id}/variants/${platform}.png`;
    await store.put(key, png, 'image/png');
    const sha256 = createHash('sha256').update(png).digest('hex');
    await owner`insert into asset_variants (organization_id, request_id, generated_asset_id, platform, width, height, format, bytes, sha256, s3_key,
      compliance_score, compliance_decision)
      values (${f.orgId}, ${r.id}, ${asset.id}, ${platform}, ${w}, ${h}, 'png', ${png.length}, ${sha256}, ${key}, 80, 'pass')`;
    variants.push({ platform, key, sha256 });
  }
  return { requestId: r.id, variants };
}
