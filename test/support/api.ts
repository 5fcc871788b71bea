/**
 * HTTP-level test fixture: a fresh test database, a real s3rver, a temp local issuer and the local
 * API server (the real route table and handler modules), all in this test process.
 *
 *   const api = await startTestApi();                       // in beforeAll
 *   const { org, owner } = await api.org();                 // org + owner user (direct SQL, fast)
 *   const viewer = await api.member(org.id, 'v@x.test', 'viewer');
 *   const { orgId, owner, members, outsider } = await api.team(['creator', 'viewer']);
 *   const r = await api.call('GET', `/v1/orgs/${org.id}/brands`, { token: viewer.token });
 *   expect(r.status).toBe(200); r.body.items ...
 *   await api.close();                                      // in afterAll
 *
 * Content-request creation calls services.workflow(): by default a RecordingWorkflow is registered
 * (api.workflow.starts / .stops); pass `workflow` to use another starter.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { randomBytes, randomUUID } from 'node:crypto';
import { connect, type DbHandle } from '../../functions/adapters/db/client.js';
import { startApiServer, type ApiServer, type LambdaHttpHandler } from '../../local/servers/api-server.js';
import { startLocalS3, type LocalS3 } from '../../local/servers/s3-server.js';
import { createObjectStore, type ObjectStore } from '../../functions/adapters/storage/object-store.js';
import { executionNameFor, type WorkflowStarter } from '../../functions/domain/ports.js';
import type { OrgRole } from '../../functions/domain/roles.js';
import {
  issueLocalToken,
  subjectForEmail,
  type LocalAuthConfig,
  type LocalTokenInput,
} from '../../local/auth/local-issuer.js';
import { clearCallerCache } from '../../functions/shared/auth/caller.js';
import { provide, resetComposition } from '../../functions/handlers/composition/root.js';
import type { RouteEntry } from '../../functions/handlers/api/route-def.js';
import { createTestDatabase, type TestDatabase } from './db.js';

/** A WorkflowStarter that records calls (and can be told to fail the next start). */
export class RecordingWorkflow implements WorkflowStarter {
  readonly starts: { orgId: string; requestId: string; run: number }[] = [];
  readonly stops: { executionName: string; executionArn?: string; reason: string }[] = [];
  /** When set, the next start() throws it (then it is cleared). */
  failNextStart?: Error;
  async start(input: { orgId: string; requestId: string; run: number }) {
    if (this.failNextStart) {
      const e = this.failNextStart;
      this.failNextStart = undefined;
      throw e;
    }
    this.starts.push(input);
    return {
      executionName: executionNameFor(input.requestId, input.run),
      executionArn: `arn:local:${input.requestId}:${input.run}`,
    };
  }
  async stop(input: { executionName: string; executionArn?: string; reason: string }) {
    this.stops.push(input);
  }
}

export interface TestUser {
  id: string;
  email: string;
  token: string;
}
export interface TestOrg {
  id: string;
  name: string;
  slug: string;
}

export interface ApiResponse {
  status: number;
  headers: Headers;
  contentType: string;
  text: string;
  /** Parsed JSON (undefined when the body is empty or not JSON). */
  body: any;
}

export interface CallOptions {
  token?: string;
  /** JSON-serialised unless `rawBody` is given. */
  body?: unknown;
  rawBody?: string | Buffer;
  headers?: Record<string, string>;
}

export interface TestApi {
  url: string;
  db: TestDatabase;
  /** App-role handle the server uses (RLS applies). */
  appDb: DbHandle;
  s3: LocalS3;
  bucket: string;
  store: ObjectStore;
  auth: LocalAuthConfig;
  workflow: RecordingWorkflow;
  server: ApiServer;
  token(email: string, opts?: Partial<LocalTokenInput>): Promise<string>;
  /** Creates (or finds) the user the local issuer's token for `email` maps to. */
  user(email?: string, name?: string): Promise<TestUser>;
  /** A new organization whose owner is `ownerEmail` (a fresh user when omitted). */
  org(opts?: {
    name?: string;
    ownerEmail?: string;
    apiRateLimitPerMinute?: number;
  }): Promise<{ org: TestOrg; owner: TestUser }>;
  /** Adds a user with `role` to the organization. */
  member(orgId: string, email: string | undefined, role: OrgRole): Promise<TestUser>;
  /**
   * A new organization with its owner and a new member per role in `roles`, plus `outsider`: the
   * owner of another organization (a valid token, no place in this one).
   */
  team<R extends OrgRole>(roles: readonly R[]): Promise<Team<R>>;
  call(method: string, path: string, opts?: CallOptions): Promise<ApiResponse>;
  close(): Promise<void>;
}

export interface Team<R extends OrgRole> {
  orgId: string;
  owner: TestUser;
  members: Record<R, TestUser>;
  outsider: TestUser;
}

export interface StartTestApiOptions {
  workflow?: WorkflowStarter;
  routes?: RouteEntry[];
  extraHandlers?: Record<string, LambdaHttpHandler>;
  /** Pool size of the server's app-role connection (default 10). */
  poolMax?: number;
}

export async function startTestApi(opts: StartTestApiOptions = {}): Promise<TestApi> {
  const db = await createTestDatabase();
  const tmp = mkdtempSync(path.join(os.tmpdir(), 'svp-api-'));
  const bucket = 'svp-assets-test';
  const s3 = await startLocalS3({ dir: path.join(tmp, 's3'), buckets: [bucket] });
  const store = createObjectStore({ bucket, endpoint: s3.endpoint });
  const auth: LocalAuthConfig = {
    keysDir: path.join(tmp, 'keys'),
    issuer: 'https://auth.test.svp.dev',
    audience: 'svp-test',
  };
  // With a custom starter, `api.workflow` is that starter (typed as the recording one for convenience).
  const workflow = (opts.workflow ?? new RecordingWorkflow()) as RecordingWorkflow;
  const appDb = connect(db.appUrl, { max: opts.poolMax ?? 10, appName: 'svp-test-api' });
  resetComposition();
  clearCallerCache();
  provide('dbHandle', appDb);
  provide('store', store);
  provide('workflow', workflow);
  const server = await startApiServer({ auth, routes: opts.routes, extraHandlers: opts.extraHandlers });

  const token = (email: string, o: Partial<LocalTokenInput> = {}) => issueLocalToken(auth, { email, ...o });
  const user = async (email = `u-${randomBytes(4).toString('hex')}@example.test`, name?: string): Promise<TestUser> => {
    const [r] = await db.owner<
      { id: string }[]
    >`select app.resolve_user(${subjectForEmail(email)}, ${email}, ${name ?? null}) as id`;
    return { id: r.id, email: email.toLowerCase(), token: await token(email) };
  };
  const member = async (orgId: string, email: string | undefined, role: OrgRole): Promise<TestUser> => {
    const u = await user(email);
    await db.owner`insert into user_organizations (organization_id, user_id, role) values (${orgId}, ${u.id}, ${role})
      on conflict (organization_id, user_id) do update set role = excluded.role, status = 'active'`;
    return u;
  };
  const org: TestApi['org'] = async (o = {}) => {
    const id = randomUUID();
    const name = o.name ?? `Org ${id.slice(0, 8)}`;
    const slug = `org-${id.slice(0, 12)}`;
    await db.owner`insert into organizations (id, name, slug, api_rate_limit_per_minute)
      values (${id}, ${name}, ${slug}, ${o.apiRateLimitPerMinute ?? 100_000})`;
    const owner = await member(id, o.ownerEmail, 'owner');
    return { org: { id, name, slug }, owner };
  };

  return {
    url: server.url,
    db,
    appDb,
    s3,
    bucket,
    store,
    auth,
    workflow,
    server,
    token,
    user,
    member,
    org,
    async team(roles) {
      const { org: o, owner } = await org();
      const members = {} as Record<(typeof roles)[number], TestUser>;
      for (const role of roles) members[role] = await member(o.id, undefined, role);
      return { orgId: o.id, owner, members, outsider: (await org()).owner };
    },
    async call(method, p, c = {}) {
      const headers: Record<string, string> = { ...c.headers };
      if (c.token) headers.authorization = `Bearer ${c.token}`;
      let body: string | Buffer | undefined = c.rawBody;
      if (body === undefined && c.body !== undefined) {
        body = JSON.stringify(c.body);
        headers['content-type'] ??= 'application/json';
      }
      const res = await fetch(server.url + p, { method, headers, body });
      const text = await res.text();
      const contentType = res.headers.get('content-type') ?? '';
      let parsed: unknown;
      if (text && /json/.test(contentType)) {
        try {
          parsed = JSON.parse(text);
        } catch {
          parsed = undefined;
        }
      }
      return { status: res.status, headers: res.headers, contentType, text, body: parsed };
    },
    async close() {
      await server.close();
      await appDb.close();
      await s3.close();
      await db.drop();
      resetComposition();
      rmSync(tmp, { recursive: true, force: true });
    },
  };
}

/** A valid brand body (palette with primary/background/text, Inter fonts). */
export const brandBody = (name = 'Acme') => ({
  name,
  description: 'Coffee for people in a hurry',
  colors: {
    palette: [
      { name: 'Espresso', hex: '#3B2416', role: 'primary' },
      { name: 'Cream', hex: '#F5EBDD', role: 'background' },
      { name: 'Ink', hex: '#111111', role: 'text' },
    ],
  },
  fonts: { headline: 'Inter', body: 'Inter', allowed: ['Inter'] },
  voiceRules: { bannedWords: ['cheap'], requiredHashtags: ['#acme'] },
});

/** Valid template layers for brandBody()'s palette. */
export const templateLayers = {
  overlay: { kind: 'gradient', colorRole: 'primary', opacity: 0.8 },
  headline: { box: { default: { x: 0.06, y: 0.62, w: 0.88, h: 0.2 } }, colorRole: 'text', maxLines: 2 },
  body: { box: { default: { x: 0.06, y: 0.82, w: 0.88, h: 0.1 } }, weight: 'regular' },
  logo: { enabled: true },
};
