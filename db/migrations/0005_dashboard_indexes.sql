-- Covering indexes for the dashboard's per-tenant date-range reads (drizzle-kit cannot emit
-- INCLUDE). The unique keys on these rollups lead with other columns or do not carry the summed
-- measures, so without these a dashboard read would visit the heap once per row. Rollup tables are
-- written by scheduled jobs only, so the extra index costs little on write. (usage_counters is
-- deliberately left alone: it is updated on every paid call and an INCLUDE of its counters would
-- defeat HOT updates.)
CREATE INDEX IF NOT EXISTS daily_usage_summaries_org_day_cov_idx
  ON daily_usage_summaries (organization_id, day) INCLUDE (calls, failures, retries, credits, cost_usd);--> statement-breakpoint
CREATE INDEX IF NOT EXISTS brand_compliance_analytics_org_day_cov_idx
  ON brand_compliance_analytics (organization_id, day) INCLUDE (brand_id, requests, passed, review, rejected);
