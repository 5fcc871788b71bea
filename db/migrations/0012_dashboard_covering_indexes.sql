-- "Top content" reads a tenant's rows of analytics_request_daily_mv for the range and sums them.
-- Through analytics_request_daily_mv_uq that was a bitmap heap scan: the view's rows are spread
-- over the whole heap (REFRESH ... CONCURRENTLY appends changed rows), so 1,900 rows of a 30-day
-- range touched ~900 heap pages and took ~5 ms at 10M samples (bench/dashboard.ts), twice that
-- for 60 days. This index carries every column the read needs, so it becomes an index-only scan
-- (the vacuum-analyze job keeps the view's visibility map current after each refresh).
CREATE INDEX IF NOT EXISTS analytics_request_daily_mv_org_day_cov_idx
  ON analytics_request_daily_mv (organization_id, day)
  INCLUDE (brand_id, request_id, impressions, reach, engagements, clicks);
