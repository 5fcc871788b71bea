/**
 * Metering in PostgreSQL: one api_usage row per HTTP attempt and, in the same transaction, the
 * tenant's monthly usage_counters row incremented (so spend and its evidence never disagree).
 */
import { sql } from 'drizzle-orm';
import { apiUsage } from '../../../db/schema/partitioned.js';
import type { UsageRecorder } from '../../domain/sourcing-ports.js';
import { withTenant, type Db } from '../db/client.js';
import { CURRENT_MONTH_SQL } from './pg-quota.js';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export function createPgUsageRecorder(db: Db): UsageRecorder {
  return {
    async record(r) {
      await withTenant(db, { orgId: r.organizationId }, async (tx) => {
        await tx.insert(apiUsage).values({
          organizationId: r.organizationId,
          // A non-uuid correlation id must not cost the row.
          requestId: r.requestId && UUID.test(r.requestId) ? r.requestId : null,
          provider: r.provider,
          endpoint: r.endpoint,
          method: r.method,
          statusCode: r.statusCode,
          outcome: r.outcome,
          latencyMs: Math.max(0, Math.round(r.latencyMs)),
          credits: String(r.credits),
          costUsd: String(r.costUsd),
          retryNumber: r.retryNumber,
          errorCode: r.errorCode ?? null,
        });
        await tx.execute(sql`
          insert into usage_counters as u (organization_id, month, credits, cost_usd, calls)
          values (${r.organizationId}, ${CURRENT_MONTH_SQL}, ${String(r.credits)}::numeric, ${String(r.costUsd)}::numeric, 1)
          on conflict (organization_id, month) do update
            set credits = u.credits + excluded.credits, cost_usd = u.cost_usd + excluded.cost_usd,
                calls = u.calls + 1, updated_at = now()`);
      });
    },
  };
}
