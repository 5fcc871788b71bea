/**
 * A local Freepik API (../shared/freepik-api.md) so the product runs without a key: stock search
 * with bracket filters and pagination, detail, download links signed on this server (they
 * expire), text-to-image (base64 JPEG), Mystic tasks (CREATED -> IN_PROGRESS -> COMPLETED over a
 * few polls), error bodies in the contract's shape, 401 for a wrong key. Images are generated
 * procedurally at the requested size. Stock results vary like real ones, deterministically per
 * query: mostly in the colours the query suggests (coffee is brown, a gym is electric blue), some
 * off-palette or neutral, some too small for a large format, in every orientation; previews are
 * served (free, no key) in the same colours. AI images have the sizes the real API returns per
 * size / Mystic resolution, in the prompt's colours or in `styling.colors` when given.
 *
 * Fault knobs (setFaults) make it hostile on purpose: 429 with/without Retry-After, 5xx, slow
 * answers, connection resets, malformed JSON, non-image bytes, pixel bombs, oversize bodies,
 * redirects to private addresses, failing Mystic tasks, a daily-cap 429; "next N calls" rules and
 * seeded random 429/503 for load tests.
 */
import { createHmac, randomUUID, timingSafeEqual } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import {
  MYSTIC_ASPECT_RATIOS,
  mysticSize,
  TEXT_TO_IMAGE_SIZES,
  type MysticAspectRatio,
  type MysticResolution,
} from '../../../functions/domain/sourcing-plan.js';
import {
  hash32,
  hslHex,
  NON_IMAGE_BYTES,
  paletteTheme,
  pixelBombPng,
  renderThemedImage,
  seededRandom,
} from './images.js';
import { signWebhook } from '../../../functions/adapters/freepik/webhook.js';

export type Fault =
  /** Answer with this status and a contract-shaped error body (Retry-After when given). */
  | { kind: 'status'; status: number; retryAfter?: string; body?: string }
  /** Wait before answering normally. */
  | { kind: 'slow'; delayMs: number }
  /** 200 with a truncated JSON body. */
  | { kind: 'malformed_json' }
  /** Destroy the connection without answering (ECONNRESET / socket closed). */
  | { kind: 'reset' }
  /** Image bytes replaced by an HTML page (files and text-to-image). */
  | { kind: 'non_image' }
  /** Image bytes replaced by a tiny PNG claiming huge dimensions (files and text-to-image). */
  | { kind: 'pixel_bomb'; width?: number; height?: number }
  /** 302 to `location` (default the cloud metadata address). */
  | { kind: 'redirect'; location?: string; status?: number }
  /** A body of `bytes` bytes (JPEG magic then zeros); Content-Length declared unless `declareLength` is false. */
  | { kind: 'oversize'; bytes: number; declareLength?: boolean }
  /** Mystic polls report this status (FAILED, CANCELLED, anything). */
  | { kind: 'mystic_status'; status: string }
  /** 429 whose message says the key's daily cap (e.g. stock downloads per day) is used up. */
  | { kind: 'daily_limit'; message?: string };

export interface FaultRule {
  /**
   * Which calls: an endpoint template (`GET /v1/resources`, `GET /v1/resources/{id}/download`,
   * `POST /v1/ai/text-to-image`, `POST /v1/ai/mystic`, `GET /v1/ai/mystic/{task_id}`,
   * `GET /files/{token}`), `api` (every /v1 call), `files`, or `*` (default).
   */
  match?: string;
  /** Apply to the next N matching calls, then stop (default: every matching call). */
  times?: number;
  fault: Fault;
}

export interface FaultPlan {
  rules?: FaultRule[];
  /** Seeded random 429/503 on matching calls (default `api`), for load tests. */
  random?: { seed?: number; rate429?: number; rate503?: number; retryAfter?: string; match?: string };
  /** Extra latency on every answer. */
  latencyMs?: number;
  /** Plus a seeded random 0..latencyJitterMs per answer (load tests: realistic, varying latency). */
  latencyJitterMs?: number;
}

export interface EmulatorCall {
  method: string;
  path: string;
  /** Endpoint template (as the client meters it; files are `GET /files/{token}`). */
  endpoint: string;
  query: Record<string, string>;
  status: number;
  /** Fault applied, if any. */
  fault?: string;
  authorized: boolean;
  at: number;
}

export interface EmulatorOptions {
  /** 0 (default) = a free port. */
  port?: number;
  host?: string;
  /** Latency added to every answer. */
  latencyMs?: number;
  /** Accepted key (default `emulator-key`). */
  apiKey?: string;
  /** Header carrying the key (default `x-freepik-api-key`). */
  keyHeader?: string;
  faults?: FaultPlan;
  /** How long signed file URLs stay valid (default 1 h). */
  signedUrlTtlMs?: number;
  /** Polls until a Mystic task completes (default 3: IN_PROGRESS, IN_PROGRESS, COMPLETED). */
  mysticPollsToComplete?: number;
  /** When false, premium resources answer 403 on download (default true). */
  premiumDownloadsAllowed?: boolean;
  /** Signs Mystic webhooks when a task has a webhook_url (tasks then also advance on a timer). */
  webhookSecret?: string;
  /** Timer step for webhook-driven Mystic tasks (default 200 ms). */
  mysticStepMs?: number;
}

export interface FreepikEmulator {
  url: string;
  close(): Promise<void>;
  setFaults(f: FaultPlan): void;
  calls(): EmulatorCall[];
  /** Clears calls, faults and tasks. */
  reset(): void;
}

export const EMULATOR_API_KEY = 'emulator-key';

const ORIENTATION_FILTER: Record<string, string> = {
  landscape: 'horizontal',
  portrait: 'vertical',
  square: 'square',
  panoramic: 'panoramic',
};
// Pixel sizes per text-to-image size and Mystic aspect ratio/resolution, as the API returns them.
const AI_SIZES: Record<string, { width: number; height: number }> = TEXT_TO_IMAGE_SIZES;
const MYSTIC_MODELS = ['realism', 'fluid', 'zen', 'flexible', 'super_real', 'editorial_portraits'];
const MYSTIC_RESOLUTION_NAMES = ['1k', '2k', '4k'];

/**
 * The colours a search term's photos come in: a topic's hues when a keyword names one, else hues
 * from the term's hash. Saturation and lightness say how the topic looks (coffee: dark, muted).
 */
const TOPICS: ReadonlyArray<{ words: RegExp; hues: number[]; s: number; l: number }> = [
  {
    words:
      /coffee|espresso|latte|cafe|café|roast|barista|mocha|cappuccino|beans?\b|chocolate|bakery|bread|croissant|cookie|cocoa/,
    hues: [22, 28, 16],
    s: 42,
    l: 34,
  },
  {
    words:
      /gym|fitness|workout|runn?(er|ing)?\b|sport|athlete|yoga|training|sneaker|cycling|bike|energy|dumbbell|stretch/,
    hues: [222, 16, 76],
    s: 88,
    l: 50,
  },
  {
    words: /ocean|sea\b|beach|water|sky|surf|swim|lake|river|ice\b|winter|snow|blue/,
    hues: [205, 195, 215],
    s: 62,
    l: 50,
  },
  {
    words: /forest|tree|leaf|leaves|plant|garden|green|nature|park|salad|vegan|herb|tea\b|matcha|avocado/,
    hues: [112, 95, 130],
    s: 45,
    l: 38,
  },
  { words: /sunset|autumn|fall\b|orange|fire|flame|pumpkin|desert|sand|terracotta/, hues: [24, 14, 36], s: 78, l: 52 },
  { words: /flower|rose|pink|love|valentine|berry|berries|wine|cherry|strawberr/, hues: [345, 335, 355], s: 62, l: 50 },
  { words: /city|street|urban|night|office|tech|laptop|building|skyline|desk/, hues: [225, 210, 240], s: 22, l: 32 },
  { words: /lemon|yellow|banana|summer|sun\b|honey|citrus/, hues: [50, 44, 58], s: 85, l: 56 },
];
function topicOf(term: string): { hues: number[]; s: number; l: number } {
  const t = term.toLowerCase();
  const hit = TOPICS.find((x) => x.words.test(t));
  if (hit) return hit;
  const h = hash32(`hue:${t}`) % 360;
  return { hues: [h, (h + 20) % 360, (h + 340) % 360], s: 60, l: 48 };
}
const MAX_CALLS = 100_000;

interface StockDef {
  id: number;
  termHash: number;
  index: number;
  term: string;
  orientation: string;
  type: string;
  license: 'freemium' | 'premium';
  width: number;
  height: number;
  /** How its colours relate to the term: in the topic's colours, off them, or mostly grey. */
  tone: 'on' | 'off' | 'neutral';
  colors: string[];
}

interface Task {
  id: string;
  prompt: string;
  aspect: MysticAspectRatio;
  resolution: MysticResolution;
  polls: number;
  status: string;
  colors?: string[];
  webhookUrl?: string;
  timer?: NodeJS.Timeout;
}

export async function startFreepikEmulator(opts: EmulatorOptions = {}): Promise<FreepikEmulator> {
  const apiKey = opts.apiKey ?? EMULATOR_API_KEY;
  const keyHeader = (opts.keyHeader ?? 'x-freepik-api-key').toLowerCase();
  const ttl = opts.signedUrlTtlMs ?? 3_600_000;
  const pollsToComplete = Math.max(1, opts.mysticPollsToComplete ?? 3);
  const signingKey = randomUUID();
  const terms = new Map<number, string>();
  const tasks = new Map<string, Task>();
  let calls: EmulatorCall[] = [];
  let plan: FaultPlan = opts.faults ?? {};
  let ruleLeft: (number | undefined)[] = [];
  let rng = seededRandom(plan.random?.seed ?? 1);
  let jitterRng = seededRandom((plan.random?.seed ?? 1) + 1);
  let baseUrl = '';

  const setFaults = (f: FaultPlan) => {
    plan = f;
    ruleLeft = (f.rules ?? []).map((r) => r.times);
    rng = seededRandom(f.random?.seed ?? 1);
    jitterRng = seededRandom((f.random?.seed ?? 1) + 1);
  };
  setFaults(plan);

  const matches = (match: string | undefined, endpoint: string) =>
    !match ||
    match === '*' ||
    match === endpoint ||
    (match === 'api' && endpoint.includes(' /v1/')) ||
    (match === 'files' && endpoint.startsWith('GET /files'));

  function takeFault(endpoint: string): Fault | undefined {
    const rules = plan.rules ?? [];
    for (let i = 0; i < rules.length; i++) {
      if (!matches(rules[i].match, endpoint)) continue;
      const left = ruleLeft[i];
      if (left !== undefined) {
        if (left <= 0) continue;
        ruleLeft[i] = left - 1;
      }
      return rules[i].fault;
    }
    const r = plan.random;
    if (r && matches(r.match ?? 'api', endpoint)) {
      const x = rng();
      if (x < (r.rate429 ?? 0)) return { kind: 'status', status: 429, retryAfter: r.retryAfter };
      if (x < (r.rate429 ?? 0) + (r.rate503 ?? 0)) return { kind: 'status', status: 503 };
    }
    return undefined;
  }

  // ---- catalog: deterministic per search term ------------------------------------------------
  const termHashOf = (term: string) => 100_000 + (hash32(term.trim().toLowerCase()) % 900_000);
  const totalFor = (termHash: number) => 20 + (termHash % 80);
  function stockDef(id: number): StockDef | undefined {
    if (!Number.isInteger(id) || id < 100_000_000 || id > 999_999_999) return undefined;
    const termHash = Math.floor(id / 1000);
    const index = id % 1000;
    if (index >= totalFor(termHash)) return undefined;
    const k = (index + termHash) % 5;
    const orientation =
      index % 13 === 12 ? 'panoramic' : ['horizontal', 'vertical', 'square', 'horizontal', 'vertical'][k];
    let [width, height] =
      orientation === 'horizontal'
        ? [6000, 4000]
        : orientation === 'vertical'
          ? [4000, 6000]
          : orientation === 'square'
            ? [5000, 5000]
            : [8000, 2667];
    // One in five originals is small (an old upload, a thumbnail-sized photo): too small for a
    // large format, which only the resource detail's dimensions reveal (previews all look alike).
    const roll = (salt: string) => hash32(`${termHash}:${index}:${salt}`) % 100;
    if (roll('size') < 20) {
      const long = [640, 800, 960, 1100][roll('long') % 4];
      const k2 = long / Math.max(width, height);
      [width, height] = [Math.round(width * k2), Math.round(height * k2)];
    }
    const type = index % 11 === 7 ? 'psd' : index % 7 === 5 ? 'vector' : 'photo';
    const license = index % 3 === 2 ? 'premium' : 'freemium';
    const term = terms.get(termHash) ?? `stock ${termHash}`;
    const tone = roll('tone') < 30 ? 'off' : roll('tone') < 40 ? 'neutral' : 'on';
    return {
      id,
      termHash,
      index,
      term,
      orientation,
      type,
      license,
      width,
      height,
      tone,
      colors: stockColors(term, tone, roll('hue')),
    };
  }
  function stockColors(term: string, tone: StockDef['tone'], r: number): string[] {
    const t = topicOf(term);
    const jitter = (r % 11) - 5;
    if (tone === 'neutral')
      return [hslHex(t.hues[0], 6, 86), hslHex(t.hues[0], 5, 62), hslHex(t.hues[0], 8, 35), hslHex(t.hues[1], 30, 50)];
    if (tone === 'off') {
      // The complementary side of the colour wheel, saturated: what a brand check flags.
      const h = t.hues[0] + 150 + (r % 60);
      return [hslHex(h, 75, 52), hslHex(h + 25, 70, 38), hslHex(h - 20, 80, 60), hslHex(h + 10, 65, 45)];
    }
    return [
      hslHex(t.hues[0] + jitter, t.s, t.l),
      hslHex(t.hues[1] + jitter, t.s - 5, t.l + 22),
      hslHex(t.hues[2] + jitter, t.s + 10, t.l - 10),
      hslHex(t.hues[0] + jitter, t.s - 15, Math.min(92, t.l + 45)),
    ];
  }
  const stockTheme = (d: StockDef) => paletteTheme(d.colors, d.id % 1_000_000);
  const slug = (s: string) =>
    s
      .toLowerCase()
      .replace(/[^a-z0-9]+/g, '-')
      .replace(/^-|-$/g, '') || 'image';

  // ---- signed file URLs ----------------------------------------------------------------------
  const sign = (payload: string) => createHmac('sha256', signingKey).update(payload).digest('base64url').slice(0, 22);
  function fileUrl(theme: string, width: number, height: number, format: 'jpeg' | 'png' = 'jpeg'): string {
    const payload = Buffer.from(
      JSON.stringify({ t: theme, w: width, h: height, f: format, e: Date.now() + ttl }),
    ).toString('base64url');
    return `${baseUrl}/files/${payload}.${sign(payload)}`;
  }
  function readFileToken(
    token: string,
  ): { t: string; w: number; h: number; f: 'jpeg' | 'png'; e: number } | 'expired' | undefined {
    const [payload, mac] = token.split('.');
    if (!payload || !mac) return undefined;
    const expected = Buffer.from(sign(payload));
    const got = Buffer.from(mac);
    if (got.length !== expected.length || !timingSafeEqual(got, expected)) return undefined;
    const data = JSON.parse(Buffer.from(payload, 'base64url').toString());
    return Date.now() > data.e ? 'expired' : data;
  }

  // ---- HTTP plumbing ---------------------------------------------------------------------------
  interface Reply {
    status: number;
    json?: unknown;
    raw?: Buffer | string;
    headers?: Record<string, string>;
    fault?: Fault;
  }
  const errorBody = (message: string, invalid?: { key: 'name' | 'field'; param: string; reason: string }[]) => ({
    message,
    ...(invalid ? { invalid_params: invalid.map((p) => ({ [p.key]: p.param, reason: p.reason })) } : {}),
  });
  const bad = (param: string, reason: string, key: 'name' | 'field' = 'name'): Reply => ({
    status: 400,
    json: errorBody("Your request parameters didn't validate.", [{ key, param, reason }]),
  });

  function route(method: string, path: string): string {
    if (method === 'GET' && path === '/v1/resources') return 'GET /v1/resources';
    if (method === 'GET' && /^\/v1\/resources\/[^/]+$/.test(path)) return 'GET /v1/resources/{id}';
    if (method === 'GET' && /^\/v1\/resources\/[^/]+\/download$/.test(path)) return 'GET /v1/resources/{id}/download';
    if (method === 'POST' && path === '/v1/ai/text-to-image') return 'POST /v1/ai/text-to-image';
    if (method === 'POST' && path === '/v1/ai/mystic') return 'POST /v1/ai/mystic';
    if (method === 'GET' && /^\/v1\/ai\/mystic\/[^/]+$/.test(path)) return 'GET /v1/ai/mystic/{task_id}';
    if (method === 'GET' && /^\/files\/[^/]+$/.test(path)) return 'GET /files/{token}';
    if (method === 'GET' && /^\/previews\/[^/]+$/.test(path)) return 'GET /previews/{id}';
    return `${method} ${path}`;
  }

  async function handle(
    _method: string,
    path: string,
    endpoint: string,
    q: URLSearchParams,
    body: unknown,
    fault: Fault | undefined,
  ): Promise<Reply> {
    switch (endpoint) {
      case 'GET /v1/resources':
        return search(q);
      case 'GET /v1/resources/{id}':
        return detail(path.split('/')[3]);
      case 'GET /v1/resources/{id}/download':
        return downloadLink(path.split('/')[3], q);
      case 'POST /v1/ai/text-to-image':
        return textToImage(body, fault);
      case 'POST /v1/ai/mystic':
        return mysticCreate(body);
      case 'GET /v1/ai/mystic/{task_id}':
        return mysticGet(decodeURIComponent(path.split('/')[4]), fault);
      case 'GET /files/{token}':
        return file(path.split('/')[2], fault);
      default:
        return { status: 404, json: errorBody('Not found') };
    }
  }

  function search(q: URLSearchParams): Reply {
    const term = q.get('term') ?? '';
    const page = q.has('page') ? Number(q.get('page')) : 1;
    const limit = q.has('limit') ? Number(q.get('limit')) : 10;
    if (!Number.isInteger(page) || page < 1 || page > 100)
      return bad('page', 'page must be an integer between 1 and 100');
    if (!Number.isInteger(limit) || limit < 1 || limit > 200)
      return bad('limit', 'limit must be an integer between 1 and 200');
    const order = q.get('order') ?? 'relevance';
    if (!['relevance', 'recent'].includes(order)) return bad('order', 'order must be relevance or recent');
    const th = termHashOf(term);
    terms.set(th, term.trim() || 'popular');
    const picked = (group: string) =>
      [...q.keys()]
        .map((k) => new RegExp(`^filters\\[${group}\\]\\[([^\\]]+)\\]$`).exec(k)?.[1])
        .filter((v): v is string => !!v && q.get(`filters[${group}][${v}]`) === '1');
    const orientations = picked('orientation').map((o) => ORIENTATION_FILTER[o] ?? o);
    const types = picked('content_type');
    const licenses = picked('license');
    let items = Array.from({ length: totalFor(th) }, (_, i) => stockDef(th * 1000 + i)!);
    if (orientations.length) items = items.filter((d) => orientations.includes(d.orientation));
    if (types.length) items = items.filter((d) => types.includes(d.type));
    if (licenses.length) items = items.filter((d) => licenses.includes(d.license));
    if (order === 'recent') items = items.reverse();
    const total = items.length;
    const slice = items.slice((page - 1) * limit, page * limit);
    return {
      status: 200,
      json: {
        data: slice.map((d) => {
          const title = `${d.term} ${d.index + 1}`;
          const [pw, ph] = scaled(d.width, d.height, 740);
          return {
            id: d.id,
            title,
            url: `https://www.freepik.com/free-photo/${slug(title)}_${d.id}.htm`,
            filename: `${slug(title)}.zip`,
            licenses: [{ type: d.license, url: `https://www.freepik.com/profile/license/pdf/${d.id}` }],
            image: {
              type: d.type,
              orientation: d.orientation,
              source: { key: 'large', size: `${pw}x${ph}`, url: `${baseUrl}/previews/${d.id}.jpg` },
            },
            author: {
              id: 744082 + (d.index % 5),
              name: ['flaticon', 'rawpixel', 'wirestock', 'freepik', 'pikisuperstar'][d.index % 5],
              avatar: 'https://avatar.cdnpk.net/744082.jpg',
              slug: 'author',
            },
            stats: { downloads: 1000 + d.index * 37, likes: d.index * 3 },
            meta: { published_at: '2022-01-14T20:45:28.000Z', is_new: d.index < 3 },
            // Newer responses carry fields the client must ignore.
            active: true,
            related: { serie: [] },
          };
        }),
        meta: {
          current_page: page,
          per_page: limit,
          last_page: Math.max(1, Math.ceil(total / limit)),
          total,
          clean_search: true,
        },
      },
    };
  }

  function detail(rawId: string): Reply {
    const d = stockDef(Number(rawId));
    if (!d) return { status: 404, json: errorBody('Resource not found') };
    const title = `${d.term} ${d.index + 1}`;
    const [pw, ph] = scaled(d.width, d.height, 740);
    return {
      status: 200,
      json: {
        data: {
          id: d.id,
          name: title,
          slug: slug(title),
          type: d.type,
          is_ai_generated: false,
          premium: d.license === 'premium',
          url: `https://www.freepik.com/free-photo/${slug(title)}_${d.id}.htm`,
          preview: { url: `${baseUrl}/previews/${d.id}.jpg`, width: pw, height: ph },
          author: { id: 744082, name: 'flaticon', slug: 'flaticon' },
          license: `https://www.freepik.com/profile/license/pdf/${d.id}`,
          created: '2022-01-14T20:45:28.000Z',
          dimensions: { width: d.width, height: d.height },
          available_formats: { jpg: { total: 1 } },
        },
      },
    };
  }

  function downloadLink(rawId: string, q: URLSearchParams): Reply {
    const d = stockDef(Number(rawId));
    if (!d) return { status: 404, json: errorBody('Resource not found') };
    if (d.license === 'premium' && opts.premiumDownloadsAllowed === false) {
      return { status: 403, json: errorBody('You do not have access to premium content with this API key') };
    }
    const size = q.get('image_size');
    let long = 2000;
    if (size === null || size === 'original') long = Math.min(3000, Math.max(d.width, d.height));
    else if (size === 'small') long = 1000;
    else if (size === 'medium') long = 1500;
    else if (size === 'large') long = 2000;
    else if (/^\d+px$/.test(size) && Number(size.slice(0, -2)) >= 100 && Number(size.slice(0, -2)) <= 2000)
      long = Number(size.slice(0, -2));
    else return bad('image_size', 'must be small, medium, large, original or 100px..2000px', 'field');
    const [w, h] = scaled(d.width, d.height, long);
    return {
      status: 200,
      json: { data: { filename: `${slug(d.term)}-${d.id}.jpg`, url: fileUrl(stockTheme(d), w, h), signed_url: null } },
    };
  }

  async function imagePayload(theme: string, w: number, h: number, fault: Fault | undefined): Promise<Buffer> {
    if (fault?.kind === 'non_image') return NON_IMAGE_BYTES;
    if (fault?.kind === 'pixel_bomb') return pixelBombPng(fault.width, fault.height);
    return renderThemedImage(theme, w, h, 'jpeg');
  }

  async function textToImage(body: unknown, fault: Fault | undefined): Promise<Reply> {
    const b = (body ?? {}) as Record<string, unknown>;
    const prompt = b.prompt;
    if (typeof prompt !== 'string' || prompt.trim().length < 3)
      return bad('prompt', 'prompt is required and must be at least 3 characters', 'field');
    const n = b.num_images === undefined ? 1 : b.num_images;
    if (!Number.isInteger(n) || (n as number) < 1 || (n as number) > 4)
      return bad('num_images', 'must be an integer between 1 and 4');
    if (
      b.guidance_scale !== undefined &&
      (typeof b.guidance_scale !== 'number' || b.guidance_scale < 0 || b.guidance_scale > 2)
    )
      return bad('guidance_scale', 'must be between 0 and 2');
    if (b.seed !== undefined && (!Number.isInteger(b.seed) || (b.seed as number) < 0 || (b.seed as number) > 1_000_000))
      return bad('seed', 'must be an integer between 0 and 1000000');
    const size = ((b.image as { size?: unknown } | undefined)?.size ?? 'square_1_1') as string;
    const dims = AI_SIZES[size];
    if (!dims) return bad('image.size', `unknown size ${String(size)}`);
    const colors = stylingColors(b.styling);
    if (colors === null) return bad('styling.colors', 'colors like [{"color":"#AABBCC","weight":0.5}]');
    const seed = typeof b.seed === 'number' ? b.seed : hash32(prompt) % 1_000_000;
    const images = [];
    for (let i = 0; i < (n as number); i++) {
      const theme = colors ? paletteTheme(colors, seed + i) : `ai:${prompt}:${seed}:${i}`;
      const bytes = await imagePayload(theme, dims.width, dims.height, fault);
      images.push({ base64: bytes.toString('base64'), has_nsfw: false });
    }
    return {
      status: 200,
      json: {
        data: images,
        meta: {
          prompt,
          seed,
          image: { size: size.replace(/_\d+_\d+$/, ''), width: dims.width, height: dims.height },
          num_inference_steps: 8,
          guidance_scale: b.guidance_scale ?? 1.5,
        },
      },
    };
  }

  /** `styling.colors` hexes; undefined when absent, null when malformed. */
  function stylingColors(styling: unknown): string[] | undefined | null {
    const colors = (styling as { colors?: unknown } | undefined)?.colors;
    if (colors === undefined) return undefined;
    const ok =
      Array.isArray(colors) &&
      colors.length >= 1 &&
      colors.length <= 5 &&
      colors.every(
        (c) =>
          typeof c?.color === 'string' &&
          /^#[0-9A-Fa-f]{6}$/.test(c.color) &&
          typeof c.weight === 'number' &&
          c.weight >= 0.05 &&
          c.weight <= 1,
      );
    if (!ok) return null;
    // Weighted: the heaviest colour leads the gradient.
    return [...(colors as { color: string; weight: number }[])]
      .sort((a, b) => b.weight - a.weight)
      .map((c) => c.color.toUpperCase());
  }

  function taskBody(t: Task, statusOverride?: string) {
    const status = statusOverride ?? t.status;
    const { width, height } = mysticSize(t.aspect, t.resolution);
    const theme = t.colors ? paletteTheme(t.colors, hash32(t.id) % 1_000_000) : `mystic:${t.prompt}:${t.id}`;
    const generated = status === 'COMPLETED' ? [fileUrl(theme, width, height)] : [];
    return { task_id: t.id, status, generated, ...(status === 'COMPLETED' ? { has_nsfw: [false] } : {}) };
  }

  function notify(t: Task) {
    if (!t.webhookUrl || !opts.webhookSecret) return;
    const raw = JSON.stringify(taskBody(t));
    const id = randomUUID();
    const ts = String(Math.floor(Date.now() / 1000));
    fetch(t.webhookUrl, {
      method: 'POST',
      body: raw,
      signal: AbortSignal.timeout(2000),
      headers: {
        'content-type': 'application/json',
        'webhook-id': id,
        'webhook-timestamp': ts,
        'webhook-signature': signWebhook(opts.webhookSecret, id, ts, raw),
      },
    }).catch(() => {});
  }

  function advance(t: Task) {
    t.polls++;
    const next = t.polls >= pollsToComplete ? 'COMPLETED' : 'IN_PROGRESS';
    if (next !== t.status) {
      t.status = next;
      notify(t);
    }
  }

  function mysticCreate(body: unknown): Reply {
    const b = (body ?? {}) as Record<string, unknown>;
    if (typeof b.prompt !== 'string' || b.prompt.trim().length < 1) return bad('prompt', 'prompt is required');
    const resolution = (b.resolution ?? '2k') as MysticResolution;
    if (!MYSTIC_RESOLUTION_NAMES.includes(resolution)) return bad('resolution', 'must be 1k, 2k or 4k');
    const aspect = (b.aspect_ratio ?? 'square_1_1') as MysticAspectRatio;
    if (!(aspect in MYSTIC_ASPECT_RATIOS)) return bad('aspect_ratio', `unknown aspect ratio ${aspect}`);
    if (b.model !== undefined && !MYSTIC_MODELS.includes(b.model as string))
      return bad('model', `must be one of ${MYSTIC_MODELS.join(', ')}`);
    const raw = (b.styling as { colors?: unknown } | undefined)?.colors;
    // Mystic is stricter than text-to-image: upper-case hex only.
    const colors = stylingColors(b.styling);
    if (colors === null || (Array.isArray(raw) && raw.some((c) => !/^#[0-9A-F]{6}$/.test(c?.color))))
      return bad('styling.colors', '1..5 colors like {"color":"#AABBCC","weight":0.5}');
    const t: Task = {
      id: randomUUID(),
      prompt: b.prompt,
      aspect,
      resolution,
      polls: 0,
      status: 'CREATED',
      colors,
      webhookUrl: typeof b.webhook_url === 'string' ? b.webhook_url : undefined,
    };
    tasks.set(t.id, t);
    if (t.webhookUrl && opts.webhookSecret) {
      notify(t);
      t.timer = setInterval(() => {
        advance(t);
        if (t.status === 'COMPLETED') clearInterval(t.timer);
      }, opts.mysticStepMs ?? 200);
      t.timer.unref();
    }
    return { status: 200, json: { data: taskBody(t) } };
  }

  function mysticGet(id: string, fault: Fault | undefined): Reply {
    const t = tasks.get(id);
    if (!t) return { status: 404, json: errorBody('Task not found') };
    if (!t.timer) advance(t);
    return { status: 200, json: { data: taskBody(t, fault?.kind === 'mystic_status' ? fault.status : undefined) } };
  }

  async function file(token: string, fault: Fault | undefined): Promise<Reply> {
    const data = readFileToken(token);
    if (data === 'expired')
      return { status: 403, raw: 'Forbidden: link expired', headers: { 'content-type': 'text/plain' } };
    if (!data) return { status: 403, raw: 'Forbidden', headers: { 'content-type': 'text/plain' } };
    const bytes = await imagePayload(data.t, data.w, data.h, fault);
    return {
      status: 200,
      raw: bytes,
      headers: { 'content-type': 'image/jpeg', 'cache-control': 'private, max-age=3600' },
    };
  }

  async function preview(rawId: string): Promise<Reply> {
    const d = stockDef(Number(rawId.replace(/\.jpg$/, '')));
    if (!d) return { status: 404, raw: 'Not found' };
    const [w, h] = scaled(d.width, d.height, 740);
    return {
      status: 200,
      raw: await renderThemedImage(stockTheme(d), w, h),
      headers: { 'content-type': 'image/jpeg' },
    };
  }

  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (c: Buffer) => {
      size += c.length;
      if (size <= 1_000_000) chunks.push(c);
    });
    req.on('end', () => {
      void serve(req, res, Buffer.concat(chunks)).catch((e) => {
        if (!res.headersSent) {
          res.writeHead(500, { 'content-type': 'application/json' });
          res.end(JSON.stringify({ message: `emulator error: ${String(e)}` }));
        } else res.destroy();
      });
    });
  });

  async function serve(req: http.IncomingMessage, res: http.ServerResponse, rawBody: Buffer) {
    const u = new URL(req.url ?? '/', 'http://emulator');
    const method = req.method ?? 'GET';
    const endpoint = route(method, u.pathname);
    const isApi = u.pathname.startsWith('/v1/');
    const keyValue = req.headers[keyHeader];
    const authorized = !isApi || keyValue === apiKey;
    const call: EmulatorCall = {
      method,
      path: u.pathname,
      endpoint,
      query: Object.fromEntries(u.searchParams),
      status: 0,
      authorized,
      at: Date.now(),
    };
    if (calls.length < MAX_CALLS) calls.push(call);

    const delay =
      (opts.latencyMs ?? 0) +
      (plan.latencyMs ?? 0) +
      (plan.latencyJitterMs ? Math.floor(jitterRng() * plan.latencyJitterMs) : 0);
    if (delay > 0) await sleep(delay);
    if (!authorized) return send(res, call, { status: 401, json: errorBody('Invalid API key') });

    const fault = takeFault(endpoint);
    if (fault) call.fault = fault.kind;
    switch (fault?.kind) {
      case 'status':
        return send(res, call, {
          status: fault.status,
          raw:
            fault.body ??
            JSON.stringify(errorBody(fault.status === 429 ? 'Too many requests' : 'Internal server error')),
          headers: {
            'content-type': 'application/json',
            ...(fault.retryAfter !== undefined ? { 'retry-after': fault.retryAfter } : {}),
          },
        });
      case 'daily_limit':
        return send(res, call, {
          status: 429,
          json: errorBody(
            fault.message ??
              'Daily limit reached: this API key may download 100 resources per day. The limit resets at 00:00 UTC.',
          ),
        });
      case 'reset':
        call.status = -1;
        req.socket.destroy();
        return;
      case 'slow':
        await sleep(fault.delayMs);
        if (res.destroyed || req.socket.destroyed) {
          call.status = -1;
          return;
        }
        break;
      case 'malformed_json':
        if (isApi)
          return send(res, call, {
            status: 200,
            raw: '{"data":[{"id":1,"title":"trunc',
            headers: { 'content-type': 'application/json' },
          });
        break;
      case 'redirect':
        return send(res, call, {
          status: fault.status ?? 302,
          raw: '',
          headers: { location: fault.location ?? 'http://169.254.169.254/latest/meta-data/iam/security-credentials/' },
        });
      case 'oversize':
        if (endpoint === 'GET /files/{token}')
          return sendOversize(res, call, fault.bytes, fault.declareLength !== false);
        break;
    }

    let body: unknown;
    if (method === 'POST') {
      // Like the real API: a body without the JSON content type is ignored.
      if (String(req.headers['content-type'] ?? '').includes('application/json')) {
        try {
          body = JSON.parse(rawBody.toString('utf8') || '{}');
        } catch {
          return send(res, call, { status: 400, json: errorBody('Malformed JSON body') });
        }
      } else body = {};
    }
    if (method === 'GET' && /^\/previews\/[^/]+$/.test(u.pathname))
      return send(res, call, await preview(u.pathname.split('/')[2]));
    return send(res, call, await handle(method, u.pathname, endpoint, u.searchParams, body, fault));
  }

  function send(res: http.ServerResponse, call: EmulatorCall, r: Reply) {
    call.status = r.status;
    if (res.destroyed) return;
    const payload =
      r.json !== undefined
        ? Buffer.from(JSON.stringify(r.json))
        : Buffer.isBuffer(r.raw)
          ? r.raw
          : Buffer.from(r.raw ?? '');
    res.writeHead(r.status, {
      ...(r.json !== undefined ? { 'content-type': 'application/json' } : {}),
      'content-length': String(payload.length),
      ...r.headers,
    });
    res.end(payload);
  }

  function sendOversize(res: http.ServerResponse, call: EmulatorCall, bytes: number, declare: boolean) {
    call.status = 200;
    res.writeHead(200, { 'content-type': 'image/jpeg', ...(declare ? { 'content-length': String(bytes) } : {}) });
    const chunk = Buffer.alloc(64 * 1024);
    Buffer.from([0xff, 0xd8, 0xff, 0xe0]).copy(chunk);
    let sent = 0;
    const pump = () => {
      while (sent < bytes && !res.destroyed) {
        const n = Math.min(chunk.length, bytes - sent);
        sent += n;
        if (!res.write(n === chunk.length ? chunk : chunk.subarray(0, n))) {
          res.once('drain', pump);
          return;
        }
      }
      if (!res.destroyed) res.end();
    };
    res.on('close', () => {
      sent = bytes;
    });
    pump();
  }

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port ?? 0, opts.host ?? '127.0.0.1', () => resolve());
  });
  const addr = server.address() as AddressInfo;
  const host = addr.family === 'IPv6' ? `[${addr.address}]` : addr.address;
  baseUrl = `http://${host}:${addr.port}`;

  return {
    url: baseUrl,
    setFaults,
    calls: () => calls.slice(),
    reset() {
      calls = [];
      setFaults({});
      for (const t of tasks.values()) if (t.timer) clearInterval(t.timer);
      tasks.clear();
    },
    async close() {
      for (const t of tasks.values()) if (t.timer) clearInterval(t.timer);
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
    },
  };
}

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** Scales (w, h) so the longer side is `long` (never up). */
function scaled(w: number, h: number, long: number): [number, number] {
  const k = Math.min(1, long / Math.max(w, h));
  return [Math.max(1, Math.round(w * k)), Math.max(1, Math.round(h * k))];
}
