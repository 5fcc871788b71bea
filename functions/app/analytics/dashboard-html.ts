/**
 * Server-rendered HTML for the dashboard: the page shell (no data), the dashboard fragment with
 * SVG charts (returned by GET .../analytics/dashboard/view with the caller's token) and the page
 * frame the local sign-in pages reuse. No front-end build: a few lines of inline script (CSP nonce) move the token from
 * sessionStorage into the Authorization header and insert the fragment. Every interpolated value
 * is escaped; charts use presentation attributes only (no inline styles), so the CSP can forbid
 * inline styles and scripts without a nonce.
 */
import { escapeHtml as esc } from '../../shared/http/html.js';
import { FAVICON_LINK } from '../favicon.js';
import { type AxisTicks, axisTicks } from '../../domain/analytics/axis-ticks.js';
import type { ContentAnalytics, Dashboard } from './dashboard.js';

const int = new Intl.NumberFormat('en-US', { maximumFractionDigits: 0 });
const usd = new Intl.NumberFormat('en-US', {
  style: 'currency',
  currency: 'USD',
  minimumFractionDigits: 2,
  maximumFractionDigits: 2,
});
const pct = (r: number | null) => (r === null ? '–' : `${(r * 100).toFixed(1)}%`);
export const fmtInt = (n: number) => int.format(n);

const W = 600;
const H = 180;
const PAD = { l: 48, r: 12, t: 12, b: 28 };
/** The plot area of the charts with axes, inside the padding. */
const INNER_W = W - PAD.l - PAD.r;
const INNER_H = H - PAD.t - PAD.b;

/** The opening <svg> of a chart: scales to its container, an image with an accessible name. */
const svgOpen = (viewBox: string, label: string, data: string) =>
  `<svg viewBox="${viewBox}" width="100%" role="img" aria-label="${esc(label)}" ${data}>`;

/** A chart's frame: the figure with its caption around the chart's svg. */
const figure = (title: string, svg: string) =>
  `<figure class="chart"><figcaption>${esc(title)}</figcaption>
${svg}</figure>`;

/** x of the i-th of n days: spread edge to edge for a line, or the middle of the day's slot for columns. */
const xOf = (i: number, n: number, slots: boolean) =>
  slots ? PAD.l + ((i + 0.5) * INNER_W) / n : PAD.l + (n === 1 ? INNER_W / 2 : (INNER_W * i) / (n - 1));

/** y of a value on the value axis (0 at the bottom of the plot area, `y.max` at its top). */
const yOf = (value: number, y: AxisTicks) => PAD.t + INNER_H * (1 - value / y.max);

function axes(y: AxisTicks, labels: string[], slots: boolean): string {
  const ticks = y.ticks.map((v) => {
    const at = yOf(v, y).toFixed(1);
    return (
      `<line x1="${PAD.l}" x2="${W - PAD.r}" y1="${at}" y2="${at}" stroke="#e5e7eb"/>` +
      `<text x="${PAD.l - 6}" y="${(Number(at) + 4).toFixed(1)}" text-anchor="end" font-size="11" fill="#6b7280" data-tick="${v}">` +
      `${esc(fmtInt(v))}</text>`
    );
  });
  const step = Math.max(1, Math.ceil(labels.length / 6));
  const anchor = (i: number) =>
    labels.length > 1 && i === labels.length - 1 ? 'end' : labels.length > 1 && i === 0 ? 'start' : 'middle';
  const xl = labels.map((l, i) => {
    if (i % step !== 0 && i !== labels.length - 1) return '';
    const x = xOf(i, labels.length, slots).toFixed(1);
    const align = slots ? 'middle' : anchor(i);
    return `<text x="${x}" y="${H - 8}" text-anchor="${align}" font-size="11" fill="#6b7280">${esc(l.slice(5))}</text>`;
  });
  return ticks.join('') + xl.join('');
}

/** What a chart of values by day says about itself around its marks. */
interface DayChart {
  id: string;
  title: string;
  /** One label per day (YYYY-MM-DD; the axis shows MM-DD). */
  labels: string[];
  yAxis: AxisTicks;
  /** Sum of the plotted values (data-total). */
  total: number;
  /** Columns: each day has a slot and its label sits in the middle of it. */
  slots: boolean;
}

/** A chart of values by day: the figure, its svg with data-* and both axes, then `marks`. */
function dayChart(c: DayChart, marks: string): string {
  const data = `data-chart="${esc(c.id)}" data-total="${c.total}" data-points="${c.labels.length}"`;
  const svg = svgOpen(`0 0 ${W} ${H}`, c.title, data);
  return figure(c.title, `${svg}\n${axes(c.yAxis, c.labels, c.slots)}${marks}</svg>`);
}

/** A line chart of one series by day; each point carries its value in data-* and a <title>. */
export function lineChart(
  id: string,
  title: string,
  points: { label: string; value: number }[],
  unit: string,
  color = '#2563eb',
): string {
  const yAxis = axisTicks(Math.max(0, ...points.map((p) => p.value)));
  const xy = points.map((p, i) => ({ ...p, x: xOf(i, points.length, false), y: yOf(p.value, yAxis) }));
  const total = points.reduce((a, p) => a + p.value, 0);
  const line = xy.map((p) => `${p.x.toFixed(1)},${p.y.toFixed(1)}`).join(' ');
  const dots = xy
    .map(
      (p) =>
        `<circle cx="${p.x.toFixed(1)}" cy="${p.y.toFixed(1)}" r="3" fill="${color}" data-label="${esc(p.label)}" data-value="${p.value}">` +
        `<title>${esc(p.label)}: ${esc(fmtInt(p.value))} ${esc(unit)}</title></circle>`,
    )
    .join('');
  const labels = points.map((p) => p.label);
  return dayChart(
    { id, title, labels, yAxis, total, slots: false },
    `<polyline points="${line}" fill="none" stroke="${color}" stroke-width="2"/>${dots}`,
  );
}

/** Horizontal bars (label, value, text). */
export function barChart(
  id: string,
  title: string,
  bars: { label: string; value: number; text: string }[],
  color = '#059669',
): string {
  const rowH = 28;
  const h = Math.max(rowH, bars.length * rowH) + 8;
  const max = Math.max(0, ...bars.map((b) => b.value)) || 1;
  const labelW = 110;
  const rows = bars
    .map((b, i) => {
      const y = 4 + i * rowH;
      const w = ((W - labelW - 170) * b.value) / max;
      return (
        `<g data-bar="${esc(b.label)}" data-value="${b.value}">` +
        `<text x="0" y="${y + 18}" font-size="13" fill="#111827">${esc(b.label)}</text>` +
        `<rect x="${labelW}" y="${y + 4}" width="${Math.max(0, w).toFixed(1)}" height="${rowH - 10}" rx="3" fill="${color}">` +
        `<title>${esc(b.label)}: ${esc(b.text)}</title></rect>` +
        `<text x="${labelW + Math.max(0, w) + 6}" y="${y + 18}" font-size="12" fill="#374151">${esc(b.text)}</text></g>`
      );
    })
    .join('');
  const empty = '<text x="0" y="20" font-size="13" fill="#6b7280">No data in this range</text>';
  const svg = svgOpen(`0 0 ${W} ${h}`, title, `data-chart="${esc(id)}" data-points="${bars.length}"`);
  return figure(title, `${svg}${rows || empty}</svg>`);
}

/** Stacked daily columns (e.g. pass / review / reject). */
export function stackedColumns(
  id: string,
  title: string,
  days: { label: string; parts: { key: string; value: number; color: string }[] }[],
): string {
  const totals = days.map((d) => d.parts.reduce((a, p) => a + p.value, 0));
  const yAxis = axisTicks(Math.max(0, ...totals));
  const colW = INNER_W / Math.max(1, days.length);
  const cols = days
    .map((d, i) => {
      let y = PAD.t + INNER_H;
      const x = PAD.l + i * colW + colW * 0.15;
      const rects = d.parts
        .map((p) => {
          const h = (INNER_H * p.value) / yAxis.max;
          y -= h;
          return p.value > 0
            ? `<rect x="${x.toFixed(1)}" y="${y.toFixed(1)}" width="${(colW * 0.7).toFixed(1)}" height="${h.toFixed(1)}" fill="${p.color}" ` +
                `data-part="${esc(p.key)}" data-value="${p.value}"><title>${esc(d.label)} ${esc(p.key)}: ${p.value}</title></rect>`
            : '';
        })
        .join('');
      return `<g data-label="${esc(d.label)}" data-total="${totals[i]}">${rects}</g>`;
    })
    .join('');
  const total = totals.reduce((a, b) => a + b, 0);
  const labels = days.map((d) => d.label);
  return dayChart({ id, title, labels, yAxis, total, slots: true }, cols);
}

/** A progress bar: spent of budget. */
export function budgetBar(spent: number, budget: number | null): string {
  const frac = budget && budget > 0 ? Math.min(1, spent / budget) : 0;
  const color = budget && spent > budget ? '#dc2626' : frac > 0.8 ? '#d97706' : '#2563eb';
  const of = budget !== null ? ` of ${esc(usd.format(budget))}` : '';
  const svg = svgOpen(
    `0 0 ${W} 24`,
    'Spend against budget',
    `data-chart="budget" data-spent="${spent}" data-budget="${budget ?? ''}"`,
  );
  return (
    `${svg}
<rect x="0" y="4" width="${W}" height="16" rx="8" fill="#e5e7eb"/>` +
    `<rect x="0" y="4" width="${(W * frac).toFixed(1)}" height="16" rx="8" fill="${color}">` +
    `<title>${esc(usd.format(spent))}${of}</title></rect></svg>`
  );
}

const kpi = (key: string, label: string, value: string, sub?: string) =>
  `<div class="kpi" data-kpi="${esc(key)}"><div class="kpi-label">${esc(label)}</div>` +
  `<div class="kpi-value">${esc(value)}</div>${sub ? `<div class="kpi-sub">${esc(sub)}</div>` : ''}</div>`;

const utc = (iso: string) => `${iso.replace('T', ' ').slice(0, 16)} UTC`;

const ROLLUP_LABELS: Record<Dashboard['rollups'][number]['job'], string> = {
  'rollup-content-hourly': 'content',
  'rollup-brand-compliance': 'compliance',
  'rollup-usage': 'usage',
};

/** Where the fragment is served, for the "run one now" hint. */
export interface FragmentContext {
  /** `npm start` (APP_MODE=local) or a deployed stage. */
  mode: 'local' | 'aws';
  /** Schedule expressions by job name (functions/handlers/scheduled/schedules.ts). */
  schedules: Partial<Record<string, string>>;
}

/** When each rollup last ran and how to run one now; says so when none has run yet. */
export function rollupsNote(rollups: Dashboard['rollups'], ctx: FragmentContext): string {
  const ran = rollups.filter((r) => r.lastRunAt);
  const items = rollups.map(
    (r) =>
      `<span data-rollup="${esc(r.job)}" data-last-run="${esc(r.lastRunAt ?? '')}">${esc(ROLLUP_LABELS[r.job])} ` +
      `${r.lastRunAt ? `<time datetime="${esc(r.lastRunAt)}">${esc(utc(r.lastRunAt))}</time>` : 'not yet'}</span>`,
  );
  const status = ran.length
    ? `Rollups last ran (for every organization): ${items.join(' · ')}.`
    : 'No rollup has run yet: the numbers appear after the first one.';
  const main = 'rollup-content-hourly';
  const how =
    ctx.mode === 'local'
      ? `Run one now: <code>npm run job -- ${main}</code> (likewise <code>rollup-brand-compliance</code>, ` +
        '<code>rollup-usage</code>; <code>npm run job -- --list</code> shows every job).'
      : `They run on EventBridge Scheduler (UTC): ${rollups
          .map((r) => `${esc(ROLLUP_LABELS[r.job])} <code>${esc(ctx.schedules[r.job] ?? 'not scheduled')}</code>`)
          .join(', ')}. ` +
        `To run one now, invoke the job's Lambda function with <code>{"job":"${main}"}</code> ` +
        '(<code>aws lambda invoke --payload</code>).';
  return `<section class="rollups note" data-section="rollups" data-ran="${ran.length}"><p>${status}</p><p>${how}</p></section>`;
}

/** The dashboard body (inserted into the shell). */
export function renderDashboardFragment(d: Dashboard, ctx: FragmentContext = { mode: 'aws', schedules: {} }): string {
  const t = d.totals;
  const parts: string[] = [];
  const asOf = d.dataAsOf ? utc(d.dataAsOf) : 'no rollup yet';
  const demo = d.demo
    ? ' <span class="demo-badge" data-demo="true" title="Seeded by the local stack on its first start">demo data</span>'
    : '';
  parts.push(
    `<section class="meta" data-range-from="${esc(d.range.from)}" data-range-to="${esc(d.range.to)}">` +
      `${esc(d.range.from)} – ${esc(d.range.to)} (${d.range.days} days)${d.brandId ? ' · one brand' : ''}` +
      ` · data as of ${esc(asOf)}${demo}</section>`,
  );
  parts.push(rollupsNote(d.rollups, ctx));
  parts.push(
    `<section class="kpis">${[
      kpi('impressions', 'Impressions', fmtInt(t.impressions)),
      kpi('reach', 'Reach', fmtInt(t.reach)),
      kpi('engagements', 'Engagements', fmtInt(t.engagements), 'likes, comments, shares, saves'),
      kpi('engagement-rate', 'Engagement rate', pct(t.engagementRate)),
      kpi('clicks', 'Clicks', fmtInt(t.clicks)),
      ...(d.spend
        ? [
            kpi(
              'spend',
              'Spend this month',
              usd.format(d.spend.monthToDate.costUsd),
              d.spend.budgetUsd !== null ? `of ${usd.format(d.spend.budgetUsd)} budget` : 'no budget set',
            ),
          ]
        : []),
    ].join('')}</section>`,
  );
  parts.push(`<section class="grid">`);
  parts.push(
    lineChart(
      'impressions-trend',
      'Impressions per day',
      d.trend.map((p) => ({ label: p.day, value: p.impressions })),
      'impressions',
    ),
  );
  parts.push(
    lineChart(
      'engagements-trend',
      'Engagements per day',
      d.trend.map((p) => ({ label: p.day, value: p.engagements })),
      'engagements',
      '#7c3aed',
    ),
  );
  parts.push(
    barChart(
      'engagement-by-platform',
      'Engagement rate by platform',
      d.byPlatform.map((p) => ({
        label: p.platform,
        value: p.engagementRate ?? 0,
        text: `${pct(p.engagementRate)} of ${fmtInt(p.impressions)}`,
      })),
    ),
  );
  parts.push(
    stackedColumns(
      'compliance-trend',
      `Brand compliance (pass rate ${pct(d.compliance.totals.passRate)})`,
      d.compliance.trend.map((c) => ({
        label: c.day,
        parts: [
          { key: 'pass', value: c.passed, color: '#059669' },
          { key: 'review', value: c.review, color: '#d97706' },
          { key: 'reject', value: c.rejected, color: '#dc2626' },
        ],
      })),
    ),
  );
  if (d.spend) {
    const sp = d.spend;
    const ofBudget = sp.budgetUsd !== null ? ` of ${esc(usd.format(sp.budgetUsd))}` : '';
    const ofQuota = sp.creditQuota !== null ? ` of ${esc(fmtInt(sp.creditQuota))}` : '';
    parts.push(
      `<figure class="chart" data-section="spend"><figcaption>Spend vs budget (${esc(sp.month)})</figcaption>` +
        `${budgetBar(sp.monthToDate.costUsd, sp.budgetUsd)}\n<p class="note">${esc(usd.format(sp.monthToDate.costUsd))} spent${ofBudget}` +
        ` · ${esc(fmtInt(sp.monthToDate.credits))} credits${ofQuota}</p></figure>`,
    );
  }
  parts.push(`</section>`);
  const rows = d.topContent
    .map(
      (c) =>
        `<tr data-request="${esc(c.requestId)}"><td>${esc(c.headline ?? c.requestId)}</td><td>${esc(c.brandName ?? '')}</td>` +
        `<td class="num">${esc(fmtInt(c.impressions))}</td><td class="num">${esc(fmtInt(c.engagements))}</td>` +
        `<td class="num">${esc(pct(c.engagementRate))}</td></tr>`,
    )
    .join('');
  parts.push(
    '<section><h2>Top content</h2><div class="table-wrap"><table data-table="top-content"><thead><tr><th>Content</th>' +
      '<th>Brand</th><th class="num">Impressions</th><th class="num">Engagements</th><th class="num">Rate</th></tr></thead>' +
      `<tbody>${rows || '<tr><td colspan="5">No content with metrics in this range</td></tr>'}</tbody></table></div></section>`,
  );
  if (d.compliance.topFindings.length) {
    parts.push(
      '<section><h2>Most frequent compliance findings</h2><ul data-list="findings">' +
        `${d.compliance.topFindings.map((f) => `<li>${esc(f.check)}: ${f.count}</li>`).join('')}</ul></section>`,
    );
  }
  return parts.join('\n');
}

/** Per-request fragment (same charts, one request). */
export function renderContentFragment(c: ContentAnalytics): string {
  return [
    `<section class="kpis">${[
      kpi('impressions', 'Impressions', fmtInt(c.totals.impressions)),
      kpi('engagements', 'Engagements', fmtInt(c.totals.engagements)),
      kpi('engagement-rate', 'Engagement rate', pct(c.totals.engagementRate)),
    ].join('')}</section>`,
    lineChart(
      'impressions-trend',
      `Impressions per day: ${c.request.headline ?? c.request.id}`,
      c.trend.map((p) => ({ label: p.day, value: p.impressions })),
      'impressions',
    ),
  ].join('\n');
}

const STYLE = `
*{box-sizing:border-box}body{margin:0;font-family:system-ui,-apple-system,Segoe UI,Roboto,sans-serif;color:#111827;background:#f9fafb}
header{display:flex;flex-wrap:wrap;gap:.5rem;align-items:center;justify-content:space-between;padding:.75rem 1rem;background:#111827;color:#fff}
header a,header button{color:#fff}main{padding:1rem;max-width:1200px;margin:0 auto}
.kpis{display:grid;grid-template-columns:repeat(auto-fit,minmax(150px,1fr));gap:.75rem;margin:.75rem 0}
.kpi{background:#fff;border:1px solid #e5e7eb;border-radius:8px;padding:.75rem}.kpi-label{font-size:.8rem;color:#6b7280}
.kpi-value{font-size:1.5rem;font-weight:600}.kpi-sub{font-size:.75rem;color:#6b7280}
.grid{display:grid;grid-template-columns:repeat(auto-fit,minmax(320px,1fr));gap:.75rem}
.chart{margin:0;background:#fff;border:1px solid #e5e7eb;border-radius:8px;padding:.75rem}figcaption{font-weight:600;margin-bottom:.5rem}
.table-wrap{overflow-x:auto}table{width:100%;border-collapse:collapse;background:#fff}th,td{padding:.5rem;border-bottom:1px solid #e5e7eb;text-align:left}
.num{text-align:right}.meta,.note{color:#6b7280;font-size:.85rem}.rollups p{margin:.25rem 0}
.demo-badge{display:inline-block;margin-left:.25rem;padding:0 .5rem;border-radius:99px;background:#fef3c7;color:#92400e;font-size:.75rem}
.notice{background:#fff;border:1px solid #e5e7eb;border-radius:8px;padding:1.5rem;text-align:center}
[hidden]{display:none!important}form.filters{display:flex;flex-wrap:wrap;gap:.5rem;align-items:end}label{font-size:.8rem;display:flex;flex-direction:column}
ul.users{list-style:none;padding:0}ul.users li{margin:.5rem 0}
ul.users button{width:100%;text-align:left;padding:.75rem;border:1px solid #d1d5db;border-radius:8px;background:#fff;cursor:pointer}
`;

/** The frame every dashboard page shares (style, no-referrer), with its nonce'd style and script. */
export function page(title: string, nonce: string, body: string, script = ''): string {
  return `<!doctype html><html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="referrer" content="no-referrer">${FAVICON_LINK}<title>${esc(title)}</title>
<style nonce="${esc(nonce)}">${STYLE}</style></head>
<body>${body}${script ? `<script nonce="${esc(nonce)}">${script}</script>` : ''}</body></html>`;
}

/** Key under which the pages keep the ID token (per browser tab: sessionStorage). */
export const TOKEN_KEY = 'svp.idToken';

/**
 * The dashboard shell: no data of its own. Its script reads the token from sessionStorage, asks
 * /v1/me for the caller's organizations and fetches the server-rendered dashboard fragment with
 * `Authorization: Bearer`. Without a token, or when the API answers 401, it shows "sign-in
 * required" and nothing else.
 */
export function renderDashboardShell(opts: { nonce: string; signInUrl: string }): string {
  const body = `<header><strong>Content performance</strong><span id="who"></span></header>
<main><div id="signin" class="notice" hidden><h1>Sign-in required</h1><p>Sign in to see your organization's dashboard.</p>
<p><a id="signin-link" href="${esc(opts.signInUrl)}">Sign in</a></p></div>
<form id="filters" class="filters" hidden><label>Organization<select id="org" name="org"></select></label>
<label>From<input type="date" id="from" name="from"></label><label>To<input type="date" id="to" name="to"></label>
<button type="submit">Show</button> <button type="button" id="signout">Sign out</button></form>
<div id="status" class="meta" aria-live="polite"></div><div id="dashboard" data-state="empty"></div></main>`;
  const script = `(function(){
var KEY=${JSON.stringify(TOKEN_KEY)};var token=sessionStorage.getItem(KEY);
var $=function(id){return document.getElementById(id)};var q=new URLSearchParams(location.search);
function signedOut(){sessionStorage.removeItem(KEY);$('dashboard').innerHTML='';$('dashboard').dataset.state='signed-out';
  $('filters').hidden=true;$('signin').hidden=false;}
if(!token){signedOut();return;}
function api(path,accept){return fetch(path,{headers:{authorization:'Bearer '+token,accept:accept||'application/json'}})
  .then(function(r){if(r.status===401){signedOut();throw new Error('signed out');}return r;});}
$('signout').onclick=function(){signedOut();};
api('/v1/me').then(function(r){return r.json();}).then(function(me){
  $('who').textContent=(me.user&&me.user.email)||'';var sel=$('org');
  (me.memberships||[]).forEach(function(m){var o=document.createElement('option');o.value=m.orgId;
    o.textContent=m.orgName+' ('+m.role+')';sel.appendChild(o);});
  if(q.get('org'))sel.value=q.get('org');if(q.get('from'))$('from').value=q.get('from');if(q.get('to'))$('to').value=q.get('to');
  $('filters').hidden=false;if(!sel.value){$('status').textContent='You are not a member of any organization.';return;}load();
}).catch(function(e){if(e.message!=='signed out')$('status').textContent='Could not load your organizations.';});
function load(){var org=$('org').value;if(!org)return;var p=new URLSearchParams();
  if($('from').value)p.set('from',$('from').value);if($('to').value)p.set('to',$('to').value);
  if(q.get('brandId'))p.set('brandId',q.get('brandId'));
  $('status').textContent='Loading…';
  api('/v1/orgs/'+encodeURIComponent(org)+'/analytics/dashboard/view?'+p.toString(),'text/html')
  .then(function(r){return r.text().then(function(t){return {ok:r.ok,status:r.status,t:t};});}).then(function(x){
    if(!x.ok){$('status').textContent='The dashboard could not be loaded ('+x.status+').';
      $('dashboard').innerHTML='';$('dashboard').dataset.state='error';return;}
    $('dashboard').innerHTML=x.t;$('dashboard').dataset.state='loaded';$('status').textContent='';
  }).catch(function(e){if(e.message!=='signed out')$('status').textContent='The dashboard could not be loaded.';});}
$('filters').onsubmit=function(ev){ev.preventDefault();var u=new URL(location.href);u.searchParams.set('org',$('org').value);
  ['from','to'].forEach(function(k){if($(k).value)u.searchParams.set(k,$(k).value);else u.searchParams.delete(k);});
  history.replaceState(null,'',u);load();};
})();`;
  return page('Dashboard', opts.nonce, body, script);
}

/** Cognito hosted UI callback (implicit grant): the ID token arrives in the URL fragment. */
export function renderCallbackPage(opts: { nonce: string }): string {
  return page(
    'Signing in…',
    opts.nonce,
    '<main><p id="msg">Signing in…</p></main>',
    `(function(){var h=new URLSearchParams(location.hash.slice(1));var t=h.get('id_token');
history.replaceState(null,'',location.pathname);
if(t){sessionStorage.setItem(${JSON.stringify(TOKEN_KEY)},t);location.replace('/dashboard');}
else{document.getElementById('msg').textContent='Sign-in did not return a token.';}})();`,
  );
}
