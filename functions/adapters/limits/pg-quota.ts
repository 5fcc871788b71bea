/**
 * Per-tenant monthly quota: organizations.monthly_credit_quota / monthly_budget_usd against this
 * month's usage_counters row (UTC months), read as the tenant (RLS applies). Concurrent calls that
 * pass the check together can overshoot by at most their own estimates; spend is recorded after
 * the paid call by the usage recorder.
 */
import { sql } from 'drizzle-orm';
import type { QuotaGuard } from '../../domain/sourcing-ports.js';
import { AppError } from '../../shared/errors.js';
import { withTenant, type Db } from '../db/client.js';
import { quotaVerdict } from './rules.js';

/** The UTC month key used by usage_counters.month, computed in SQL (one clock: the database's). */
export const CURRENT_MONTH_SQL = sql`(date_trunc('month', now() at time zone 'UTC'))::date`;

export function createPgQuotaGuard(db: Db): QuotaGuard {
  return {
    async assertWithinQuota(orgId, estimate) {
      const rows = await withTenant(db, { orgId }, (tx) =>
        tx.execute<{
          credit_quota: number | null;
          budget_usd: number | null;
          used_credits: number;
          used_usd: number;
        }>(sql`
        select o.monthly_credit_quota as credit_quota,
               o.monthly_budget_usd::float8 as budget_usd,
               coalesce(u.credits, 0)::float8 as used_credits,
               coalesce(u.cost_usd, 0)::float8 as used_usd
        from organizations o
        left join usage_counters u on u.organization_id = o.id and u.month = ${CURRENT_MONTH_SQL}
        where o.id = ${orgId}`),
      );
      const r = rows[0];
      if (!r) throw new AppError('not_found', 'Organization not found');
      quotaVerdict(
        {
          creditQuota: r.credit_quota === null ? null : Number(r.credit_quota),
          budgetUsd: r.budget_usd === null ? null : Number(r.budget_usd),
          usedCredits: Number(r.used_credits),
          usedUsd: Number(r.used_usd),
        },
        estimate,
      );
    },
  };
}
