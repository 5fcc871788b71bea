/** Analytics and usage API: ingestion, dashboard (JSON and HTML fragment), per-request analytics, usage. */
import { getContentAnalytics, getDashboard, getUsage } from '../../app/analytics/dashboard.js';
import { type FragmentContext, renderDashboardFragment } from '../../app/analytics/dashboard-html.js';
import { ingestMetrics } from '../../app/analytics/ingest-metrics.js';
import { can } from '../../domain/permissions.js';
import { localEnv, parseEnv } from '../../shared/env.js';
import { contentSecurityPolicy } from '../../shared/http/html.js';
import { schedules } from '../scheduled/schedules.js';
import { defineHandler, inTenant, ok } from './define.js';

const FRAGMENT_HEADERS = {
  // A fragment for the dashboard page's script; opened directly it must not run anything.
  'content-security-policy': contentSecurityPolicy(),
  'x-content-type-options': 'nosniff',
  vary: 'authorization',
};

const scheduleExpressions = Object.fromEntries(schedules.map((s) => [s.name, s.expression]));
/** Where this is served (local or AWS) and the rollup schedules, for the dashboard's "run one now". */
const fragmentContext = (): FragmentContext => ({ mode: parseEnv(localEnv).APP_MODE, schedules: scheduleExpressions });

export const handler = defineHandler('analytics', {
  ingestMetrics: async (req) => ok(await inTenant(req, (tx) => ingestMetrics(tx, req.tenant.orgId, req.body))),
  getDashboard: async (req) =>
    ok(
      await inTenant(req, (tx) => getDashboard(tx, { ...req.query, includeSpend: can(req.tenant.role, 'usage:read') })),
    ),
  getDashboardView: async (req) => {
    const d = await inTenant(req, (tx) =>
      getDashboard(tx, { ...req.query, includeSpend: can(req.tenant.role, 'usage:read') }),
    );
    return {
      status: 200,
      body: renderDashboardFragment(d, fragmentContext()),
      contentType: 'text/html; charset=utf-8',
      headers: FRAGMENT_HEADERS,
    };
  },
  getContentAnalytics: async (req) =>
    ok(await inTenant(req, (tx) => getContentAnalytics(tx, req.params.requestId, req.query))),
  getUsage: async (req) => ok(await inTenant(req, (tx) => getUsage(tx))),
});
