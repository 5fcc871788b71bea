/**
 * Rendering benchmark: all 8 platform presets from one 2000x1500 source with the full overlay
 * (gradient, headline, body, CTA, logo), plus the compliance check. Median of N runs after a
 * warm-up; also CPU time per run (robust when other processes share the machine), the machine's
 * load average, a comparison of pool/concurrency settings and the peak RSS.
 * Text is measured by Pango and cached per process, so besides the repeated brief it times a
 * brief the process has never measured (the cache cleared before each run: what a new request
 * costs), a seeded brand/template on a light photo, where legibility adjustments run, and the
 * fallback template with long Latin and Arabic briefs never measured before (body placed, grown).
 * Prints a table and writes bench/results/render.json.
 * Run: npx tsx bench/render.ts [runs]
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { fileURLToPath } from 'node:url';
import sharp from 'sharp';
import { readdirSync, statSync } from 'node:fs';
import path from 'node:path';
import {
  composeMaster,
  configureSharp,
  renderVariants,
  type RenderedVariant,
} from '../functions/adapters/render/index.js';
import { PACKAGED_FONT_DIRS } from '../functions/adapters/render/fonts.js';
import { clearTextMeasurements } from '../functions/adapters/render/text-measure.js';
import { DEMO_TENANTS, TEMPLATES, renderLogo } from '../db/seed.js';
import { FALLBACK_TEMPLATE } from '../functions/app/pipeline/tasks.js';
import { checkBriefAgainstBrand, checkMaster, checkVariant, summarize } from '../functions/domain/compliance/index.js';
import { platformNames } from '../functions/domain/platforms.js';
import type { BrandKitInput, Brief } from '../functions/domain/brand-types.js';
import { brand, grainyPhoto, layers } from '../test/unit/render/fixtures.js';

export interface Timing {
  medianMs: number;
  p90Ms: number;
  minMs: number;
  cpuMsPerRun: number;
  runs: number;
}
export interface BenchResult {
  at: string;
  machine: { cpus: number; loadavgAtStart: number[]; loadavgAtEnd: number[]; node: string; vips: string };
  /** Default settings (see functions/adapters/render/sharp-config.ts). */
  settings: { concurrency: number; pool: number };
  renderAll8: Timing;
  /** Same, with no text measured before: a new brief. */
  renderAll8NewBrief: Timing;
  /** Seeded Acme brand, Bottom band template, light photo: overlay/colour adjustments on every preset. */
  renderAll8WithAdjustments: Timing & { adjustments: number };
  /** The fallback template (no brand template), long headline, a body with its disclaimer and a CTA, in Arabic and Latin: a brief never measured before. */
  renderAll8FallbackNewBrief: Timing;
  /** Font files a rendering bundle carries (fonts/ + the packaged font folders), MB. */
  fontBundleMb: number;
  goalMs: number;
  metGoal: boolean;
  /** checkVariant x8 + checkMaster + checkBriefAgainstBrand + summarize (pure; pixel analysis happens while rendering). */
  complianceCheck: Timing;
  composeMaster: Timing;
  configs: Array<{ concurrency: number; pool: number; medianMs: number; cpuMsPerRun: number }>;
  outputBytes: Record<string, number>;
  peakRssMb: number;
}

// The unit tests' reference brand (navy, gold and white; Inter; the default logo rule).
const BRAND: BrandKitInput = brand();
// The unit tests' reference layout (text stacked low on square/tall, on the left half when wide),
// under a gradient instead of their band.
const LAYERS = { ...layers, overlay: { kind: 'gradient', colorRole: 'primary', opacity: 0.9 } };
const BRIEF: Brief = {
  headline: 'Warm layers for cold days',
  body: 'New knitwear in store and online from Monday. Free returns.',
  callToAction: 'Shop the collection',
  hashtags: ['#acme', '#autumn'],
};

/** A photo-like 2000x1500 JPEG: smooth gradients, shapes and fine grain (so JPEG sizes are realistic). */
function photo(): Promise<Buffer> {
  const W = 2000;
  const H = 1500;
  return grainyPhoto({ width: W, height: H, seed: 42, quality: 90 }, (x, y, g) => {
    const disc = Math.hypot(x - 1300, y - 600) < 350;
    return [
      (disc ? 240 : 60 + (x / W) * 120) + g / 8,
      (disc ? 170 : 110 + (y / H) * 80) + g / 8,
      (disc ? 40 : 170 - (y / H) * 60) + g / 8,
    ];
  });
}

async function time(fn: () => Promise<unknown> | unknown, runs: number, warmup: number): Promise<Timing> {
  for (let i = 0; i < warmup; i++) await fn();
  const ms: number[] = [];
  const c0 = process.cpuUsage();
  for (let i = 0; i < runs; i++) {
    const t0 = performance.now();
    await fn();
    ms.push(performance.now() - t0);
  }
  const cpu = process.cpuUsage(c0);
  ms.sort((a, b) => a - b);
  const r = (v: number) => Math.round(v * 10) / 10;
  return {
    medianMs: r(ms[Math.floor(runs / 2)]),
    p90Ms: r(ms[Math.min(runs - 1, Math.floor(runs * 0.9))]),
    minMs: r(ms[0]),
    cpuMsPerRun: r((cpu.user + cpu.system) / 1000 / runs),
    runs,
  };
}

export async function benchRender(opts: { runs?: number; write?: boolean } = {}): Promise<BenchResult> {
  const runs = opts.runs ?? 15;
  const loadavgAtStart = os.loadavg().map((v) => Math.round(v * 100) / 100);
  const source = await photo();
  const logo = await sharp(
    Buffer.from(
      '<svg xmlns="http://www.w3.org/2000/svg" width="400" height="160">' +
        '<rect width="400" height="160" rx="20" fill="#FFFFFF"/><rect x="40" y="40" width="320" height="80" fill="#1E3A8A"/></svg>',
    ),
  )
    .png()
    .toBuffer();

  const master = await composeMaster(source);
  const composeTiming = await time(() => composeMaster(source), Math.max(5, Math.floor(runs / 2)), 1);
  const input = {
    source: master.buffer,
    presets: [...platformNames],
    layers: LAYERS,
    brand: BRAND,
    brief: BRIEF,
    logo,
  };

  const configs: BenchResult['configs'] = [];
  for (const [concurrency, pool] of [
    [2, 1],
    [2, 2],
    [1, 4],
  ] as const) {
    configureSharp({ concurrency, pool });
    const t = await time(() => renderVariants(input), Math.max(5, Math.floor(runs / 2)), 2);
    configs.push({ concurrency, pool, medianMs: t.medianMs, cpuMsPerRun: t.cpuMsPerRun });
  }
  const settings = configureSharp();
  let variants: RenderedVariant[] = [];
  const renderAll8 = await time(
    async () => {
      variants = await renderVariants(input);
    },
    runs,
    3,
  );
  configs.unshift({ ...settings, medianMs: renderAll8.medianMs, cpuMsPerRun: renderAll8.cpuMsPerRun });

  const renderAll8NewBrief = await time(
    async () => {
      clearTextMeasurements();
      await renderVariants(input);
    },
    runs,
    1,
  );
  const acme = DEMO_TENANTS[0];
  const light = await sharp({ create: { width: 2000, height: 1500, channels: 3, background: '#F4F0E8' } })
    .jpeg({ quality: 90 })
    .toBuffer();
  const seeded = {
    source: (await composeMaster(light)).buffer,
    presets: [...platformNames],
    layers: TEMPLATES[0].layers,
    logo: await renderLogo(acme.wordmark, acme.palette),
    brand: {
      colors: { palette: acme.palette, maxDeltaE: 22 },
      fonts: { headline: 'Inter', body: 'Inter', allowed: ['Inter'] },
    },
    brief: { headline: 'Slow mornings, fresh roasts', callToAction: 'Visit us today' },
  };
  let adjusted: RenderedVariant[] = [];
  const adjustedTiming = await time(
    async () => {
      adjusted = await renderVariants(seeded);
    },
    runs,
    2,
  );
  const fallbackBriefs: Brief[] = [
    {
      headline: 'Twelve weeks of coached strength training built around your own schedule',
      body:
        'Small groups, real coaches and a plan that adapts to you every week, from your first session to your first race. ' +
        'Consult your doctor before starting a new exercise program.',
      callToAction: 'Book a class',
    },
    {
      headline: 'اثنا عشر أسبوعًا من تمارين القوة مع مدرّب، مصممة حول جدولك الخاص',
      body: 'مجموعات صغيرة ومدرّبون حقيقيون وخطة تتكيف معك كل أسبوع. Consult your doctor before starting a new exercise program.',
      callToAction: 'احجز حصتك',
    },
  ];
  let fb = 0;
  const renderAll8FallbackNewBrief = await time(
    async () => {
      clearTextMeasurements();
      await renderVariants({
        ...seeded,
        layers: FALLBACK_TEMPLATE,
        brief: fallbackBriefs[fb++ % fallbackBriefs.length],
      });
    },
    runs,
    1,
  );
  const root = path.join(path.dirname(fileURLToPath(import.meta.url)), '..');
  const dirBytes = (d: string) => readdirSync(d).reduce((n, f) => n + statSync(path.join(d, f)).size, 0);
  const fontBundleMb =
    Math.round(
      [path.join(root, 'functions/adapters/render/fonts'), ...PACKAGED_FONT_DIRS.map((d) => path.join(root, d))].reduce(
        (n, d) => n + dirBytes(d),
        0,
      ) /
        1024 /
        102.4,
    ) / 10;

  const complianceCheck = await time(
    () => {
      const findings = [
        ...checkBriefAgainstBrand(BRIEF, BRAND, [...platformNames]).findings,
        ...checkMaster({
          width: master.width,
          height: master.height,
          analysis: master.analysis,
          license: { type: 'freemium', attributionRequired: true },
          brand: BRAND,
          platforms: [...platformNames],
        }).findings,
        ...variants.flatMap((variant) => checkVariant({ variant, brand: BRAND }).findings),
      ];
      return summarize(findings, {});
    },
    Math.max(runs, 50),
    5,
  );

  const result: BenchResult = {
    at: new Date().toISOString(),
    machine: {
      cpus: os.availableParallelism(),
      loadavgAtStart,
      loadavgAtEnd: os.loadavg().map((v) => Math.round(v * 100) / 100),
      node: process.version,
      vips: sharp.versions.vips ?? '',
    },
    settings,
    renderAll8,
    renderAll8NewBrief,
    renderAll8WithAdjustments: {
      ...adjustedTiming,
      adjustments: adjusted.reduce((n, v) => n + v.adjustments.length, 0),
    },
    renderAll8FallbackNewBrief,
    fontBundleMb,
    goalMs: 600,
    metGoal: renderAll8.medianMs < 600,
    complianceCheck,
    composeMaster: composeTiming,
    configs,
    outputBytes: Object.fromEntries(variants.map((v) => [v.platform, v.bytes])),
    peakRssMb: Math.round(process.resourceUsage().maxRSS / 1024),
  };
  if (opts.write !== false) {
    mkdirSync('bench/results', { recursive: true });
    writeFileSync('bench/results/render.json', `${JSON.stringify(result, null, 2)}\n`);
  }
  return result;
}

export function printRender(r: BenchResult): void {
  console.log(
    `render bench — ${r.machine.cpus} CPUs, load average ${r.machine.loadavgAtStart.join('/')} at start, libvips ${r.machine.vips}`,
  );
  console.table([
    {
      measure: 'render 8 presets (2000x1500, full overlay)',
      median_ms: r.renderAll8.medianMs,
      p90_ms: r.renderAll8.p90Ms,
      min_ms: r.renderAll8.minMs,
      cpu_ms_per_run: r.renderAll8.cpuMsPerRun,
      goal_ms: r.goalMs,
    },
    {
      measure: 'render 8 presets, brief never measured before',
      median_ms: r.renderAll8NewBrief.medianMs,
      p90_ms: r.renderAll8NewBrief.p90Ms,
      min_ms: r.renderAll8NewBrief.minMs,
      cpu_ms_per_run: r.renderAll8NewBrief.cpuMsPerRun,
      goal_ms: r.goalMs,
    },
    {
      measure: `render 8 presets, seeded brand, ${r.renderAll8WithAdjustments.adjustments} adjustments`,
      median_ms: r.renderAll8WithAdjustments.medianMs,
      p90_ms: r.renderAll8WithAdjustments.p90Ms,
      min_ms: r.renderAll8WithAdjustments.minMs,
      cpu_ms_per_run: r.renderAll8WithAdjustments.cpuMsPerRun,
    },
    {
      measure: 'render 8 presets, fallback template, long Latin / Arabic brief never measured before',
      median_ms: r.renderAll8FallbackNewBrief.medianMs,
      p90_ms: r.renderAll8FallbackNewBrief.p90Ms,
      min_ms: r.renderAll8FallbackNewBrief.minMs,
      cpu_ms_per_run: r.renderAll8FallbackNewBrief.cpuMsPerRun,
    },
    {
      measure: 'compliance check (brief + master + 8 variants)',
      median_ms: r.complianceCheck.medianMs,
      p90_ms: r.complianceCheck.p90Ms,
      min_ms: r.complianceCheck.minMs,
      cpu_ms_per_run: r.complianceCheck.cpuMsPerRun,
    },
    {
      measure: 'composeMaster (2000x1500 JPEG)',
      median_ms: r.composeMaster.medianMs,
      p90_ms: r.composeMaster.p90Ms,
      min_ms: r.composeMaster.minMs,
      cpu_ms_per_run: r.composeMaster.cpuMsPerRun,
    },
  ]);
  console.table(
    r.configs.map((c) => ({
      'sharp.concurrency': c.concurrency,
      pool: c.pool,
      median_ms: c.medianMs,
      cpu_ms_per_run: c.cpuMsPerRun,
    })),
  );
  console.log(
    `fonts in a rendering bundle: ${r.fontBundleMb} MB; peak RSS ${r.peakRssMb} MB; ` +
      `goal < ${r.goalMs} ms ${r.metGoal ? 'met' : 'NOT met'}; wrote bench/results/render.json`,
  );
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const r = await benchRender({ runs: Number(process.argv[2] ?? 15) });
  printRender(r);
}
