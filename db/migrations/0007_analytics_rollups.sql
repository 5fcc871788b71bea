-- Analytics rollups, the dashboard's materialized view and the maintenance entry points used by the
-- scheduled jobs (functions/handlers/scheduled/*).
--
-- Who may cross tenants: the job Lambdas connect as the app role (svp_app), which sees one tenant
-- at a time under FORCEd RLS. Every cross-tenant step is therefore a SECURITY DEFINER function in
-- this file, owned by the migration role, with EXECUTE granted to svp_app. Those functions take no
-- SQL text from the caller and return counts only (never tenant rows), so the app role gains the
-- ability to *run* a rollup, not to read across tenants.
--
-- Because the tables FORCE row level security, the definer (the table owner) is itself subject to
-- the tenant policy unless it is a superuser (locally it is; in RDS/Aurora the master user is not).
-- Each table the rollups touch gets a second permissive policy, `analytics_maintenance`, that
-- applies to the owner role ONLY (TO current_user) and only while `app.maintenance` is 'on'. The
-- functions turn that setting on through their own SET clause, so it is scoped to the function call
-- and restored on return; svp_app setting app.maintenance itself gains nothing (the policy is not
-- for that role).
DO $$
DECLARE t text;
BEGIN
  FOREACH t IN ARRAY ARRAY['content_analytics', 'content_analytics_hourly', 'content_analytics_daily', 'api_usage',
    'daily_usage_summaries', 'generated_assets', 'asset_variants', 'brand_compliance_analytics', 'social_connections',
    'published_posts']
  LOOP
    EXECUTE format('DROP POLICY IF EXISTS analytics_maintenance ON %I', t);
    EXECUTE format($p$CREATE POLICY analytics_maintenance ON %I AS PERMISSIVE FOR ALL TO %I
      USING (current_setting('app.maintenance', true) = 'on')
      WITH CHECK (current_setting('app.maintenance', true) = 'on')$p$, t, current_user);
  END LOOP;
END $$;--> statement-breakpoint

-- Ingestion marks hours dirty; only the rollup (definer) reads and clears them.
REVOKE ALL ON content_analytics_dirty_hours FROM PUBLIC;--> statement-breakpoint
GRANT INSERT ON content_analytics_dirty_hours TO svp_app;--> statement-breakpoint

-- Cross-tenant scans by time (the rollups) and per-request reads (the content endpoint).
CREATE INDEX IF NOT EXISTS content_analytics_hourly_hour_idx ON content_analytics_hourly (hour);--> statement-breakpoint
CREATE INDEX IF NOT EXISTS content_analytics_hourly_request_idx ON content_analytics_hourly (organization_id, request_id, hour);--> statement-breakpoint
CREATE INDEX IF NOT EXISTS content_analytics_daily_request_idx ON content_analytics_daily (organization_id, request_id, day);--> statement-breakpoint
CREATE INDEX IF NOT EXISTS content_analytics_daily_day_idx ON content_analytics_daily (day);--> statement-breakpoint
-- "Top content" groups a tenant's date range by request: with the measures in the index it is an
-- index-only scan (the VACUUM job keeps the visibility map current).
CREATE INDEX IF NOT EXISTS content_analytics_daily_top_cov_idx ON content_analytics_daily (organization_id, day)
  INCLUDE (brand_id, request_id, impressions, reach, likes, comments, shares, saves, clicks, video_views);--> statement-breakpoint
CREATE INDEX IF NOT EXISTS generated_assets_created_idx ON generated_assets (created_at);--> statement-breakpoint
-- "Data as of": the latest successful run of a job, read on every dashboard request.
CREATE INDEX IF NOT EXISTS background_jobs_success_idx ON background_jobs (job_name, finished_at DESC) WHERE status = 'succeeded';--> statement-breakpoint

-- The dashboard's totals, daily trend and per-platform split: content_analytics_daily collapsed to
-- (tenant, day, brand, platform). A tenant's 30-day window is a few hundred rows whatever the raw
-- volume. The unique index is what REFRESH ... CONCURRENTLY needs (readers are never blocked).
CREATE MATERIALIZED VIEW IF NOT EXISTS analytics_brand_daily_mv AS
SELECT organization_id, day, brand_id, platform,
  sum(impressions)::bigint AS impressions, sum(reach)::bigint AS reach, sum(likes)::bigint AS likes,
  sum(comments)::bigint AS comments, sum(shares)::bigint AS shares, sum(saves)::bigint AS saves,
  sum(clicks)::bigint AS clicks, sum(video_views)::bigint AS video_views,
  count(DISTINCT request_id)::int AS requests, count(*)::int AS variants
FROM content_analytics_daily
GROUP BY organization_id, day, brand_id, platform;--> statement-breakpoint
CREATE UNIQUE INDEX IF NOT EXISTS analytics_brand_daily_mv_uq ON analytics_brand_daily_mv (organization_id, day, brand_id, platform);--> statement-breakpoint
-- Materialized views cannot carry RLS: the app role reads the MV only through this view, which
-- filters on the transaction's tenant (security_barrier keeps caller predicates from being pushed
-- below that filter).
CREATE OR REPLACE VIEW analytics_brand_daily WITH (security_barrier = true) AS
SELECT organization_id, day, brand_id, platform, impressions, reach, likes, comments, shares, saves, clicks,
  video_views, requests, variants
FROM analytics_brand_daily_mv
WHERE organization_id = app.current_org();--> statement-breakpoint
REVOKE ALL ON analytics_brand_daily_mv FROM PUBLIC;--> statement-breakpoint
REVOKE ALL ON analytics_brand_daily FROM PUBLIC;--> statement-breakpoint
GRANT SELECT ON analytics_brand_daily TO svp_app;--> statement-breakpoint

-- Recomputes content_analytics_hourly for the given disjoint hour ranges [lo, hi) from the raw
-- samples, then content_analytics_daily for every UTC day those ranges touch from the hourly rows.
-- Whole periods are recomputed and upserted, so running it twice leaves the same rows (unchanged
-- rows are not even rewritten: updated_at moves only when a number does). Rollup rows are never
-- deleted here: raw partitions dropped by retention must not erase history.
CREATE OR REPLACE FUNCTION app.rollup_content_ranges(p_lo timestamptz[], p_hi timestamptz[])
RETURNS jsonb LANGUAGE plpgsql SECURITY DEFINER
SET search_path = public, pg_temp SET "TimeZone" = 'UTC' SET app.maintenance = 'on' AS $$
DECLARE
  v_hourly bigint := 0;
  v_daily bigint := 0;
  v_days int := 0;
BEGIN
  IF p_lo IS NULL OR cardinality(p_lo) = 0 THEN
    RETURN jsonb_build_object('ranges', 0, 'hourlyRows', 0, 'days', 0, 'dailyRows', 0);
  END IF;
  IF cardinality(p_lo) <> cardinality(p_hi) THEN
    RAISE EXCEPTION 'rollup_content_ranges: % lower bounds but % upper bounds', cardinality(p_lo), cardinality(p_hi);
  END IF;

  WITH r AS (SELECT date_trunc('hour', lo) AS lo, date_trunc('hour', hi - interval '1 microsecond') + interval '1 hour' AS hi
             FROM unnest(p_lo, p_hi) AS u(lo, hi) WHERE hi > lo),
  agg AS (
    SELECT ca.organization_id, ca.brand_id, ca.request_id, ca.variant_id, ca.platform,
      date_trunc('hour', ca.recorded_at) AS hour,
      coalesce(sum(ca.value) FILTER (WHERE ca.metric = 'impressions'), 0) AS impressions,
      coalesce(sum(ca.value) FILTER (WHERE ca.metric = 'reach'), 0) AS reach,
      coalesce(sum(ca.value) FILTER (WHERE ca.metric = 'likes'), 0) AS likes,
      coalesce(sum(ca.value) FILTER (WHERE ca.metric = 'comments'), 0) AS comments,
      coalesce(sum(ca.value) FILTER (WHERE ca.metric = 'shares'), 0) AS shares,
      coalesce(sum(ca.value) FILTER (WHERE ca.metric = 'saves'), 0) AS saves,
      coalesce(sum(ca.value) FILTER (WHERE ca.metric = 'clicks'), 0) AS clicks,
      coalesce(sum(ca.value) FILTER (WHERE ca.metric = 'video_views'), 0) AS video_views
    FROM r JOIN content_analytics ca ON ca.recorded_at >= r.lo AND ca.recorded_at < r.hi
    GROUP BY 1, 2, 3, 4, 5, 6),
  up AS (
    INSERT INTO content_analytics_hourly AS t (organization_id, brand_id, request_id, variant_id, platform, hour,
      impressions, reach, likes, comments, shares, saves, clicks, video_views, updated_at)
    SELECT organization_id, brand_id, request_id, variant_id, platform, hour,
      impressions, reach, likes, comments, shares, saves, clicks, video_views, now()
    FROM agg
    ON CONFLICT (variant_id, platform, hour) DO UPDATE SET
      impressions = EXCLUDED.impressions, reach = EXCLUDED.reach, likes = EXCLUDED.likes,
      comments = EXCLUDED.comments, shares = EXCLUDED.shares, saves = EXCLUDED.saves,
      clicks = EXCLUDED.clicks, video_views = EXCLUDED.video_views, updated_at = now()
    WHERE (t.impressions, t.reach, t.likes, t.comments, t.shares, t.saves, t.clicks, t.video_views)
      IS DISTINCT FROM (EXCLUDED.impressions, EXCLUDED.reach, EXCLUDED.likes, EXCLUDED.comments,
                        EXCLUDED.shares, EXCLUDED.saves, EXCLUDED.clicks, EXCLUDED.video_views)
    RETURNING 1)
  SELECT count(*) INTO v_hourly FROM up;

  CREATE TEMP TABLE IF NOT EXISTS _svp_rollup_days (d timestamptz PRIMARY KEY) ON COMMIT DROP;
  TRUNCATE _svp_rollup_days;
  INSERT INTO _svp_rollup_days
  SELECT DISTINCT gs FROM unnest(p_lo, p_hi) AS u(lo, hi)
  CROSS JOIN LATERAL generate_series(date_trunc('day', lo), hi - interval '1 microsecond', interval '1 day') AS gs
  WHERE hi > lo;
  GET DIAGNOSTICS v_days = ROW_COUNT;

  WITH agg AS (
    SELECT h.organization_id, h.brand_id, h.request_id, h.variant_id, h.platform, d.d::date AS day,
      sum(h.impressions) AS impressions, sum(h.reach) AS reach, sum(h.likes) AS likes, sum(h.comments) AS comments,
      sum(h.shares) AS shares, sum(h.saves) AS saves, sum(h.clicks) AS clicks, sum(h.video_views) AS video_views
    FROM _svp_rollup_days d JOIN content_analytics_hourly h ON h.hour >= d.d AND h.hour < d.d + interval '1 day'
    GROUP BY 1, 2, 3, 4, 5, 6),
  up AS (
    INSERT INTO content_analytics_daily AS t (organization_id, brand_id, request_id, variant_id, platform, day,
      impressions, reach, likes, comments, shares, saves, clicks, video_views, updated_at)
    SELECT organization_id, brand_id, request_id, variant_id, platform, day,
      impressions, reach, likes, comments, shares, saves, clicks, video_views, now()
    FROM agg
    ON CONFLICT (variant_id, platform, day) DO UPDATE SET
      impressions = EXCLUDED.impressions, reach = EXCLUDED.reach, likes = EXCLUDED.likes,
      comments = EXCLUDED.comments, shares = EXCLUDED.shares, saves = EXCLUDED.saves,
      clicks = EXCLUDED.clicks, video_views = EXCLUDED.video_views, updated_at = now()
    WHERE (t.impressions, t.reach, t.likes, t.comments, t.shares, t.saves, t.clicks, t.video_views)
      IS DISTINCT FROM (EXCLUDED.impressions, EXCLUDED.reach, EXCLUDED.likes, EXCLUDED.comments,
                        EXCLUDED.shares, EXCLUDED.saves, EXCLUDED.clicks, EXCLUDED.video_views)
    RETURNING 1)
  SELECT count(*) INTO v_daily FROM up;

  RETURN jsonb_build_object('ranges', cardinality(p_lo), 'hourlyRows', v_hourly, 'days', v_days, 'dailyRows', v_daily);
END $$;--> statement-breakpoint

-- The hourly job: claims the hours marked dirty before p_until (ingestion marks them), adds
-- p_hours (the job's own period, so a re-run recomputes it even when nothing is dirty), coalesces
-- them into disjoint ranges and recomputes those.
CREATE OR REPLACE FUNCTION app.rollup_content_analytics(p_until timestamptz, p_hours timestamptz[] DEFAULT '{}')
RETURNS jsonb LANGUAGE plpgsql SECURITY DEFINER
SET search_path = public, pg_temp SET "TimeZone" = 'UTC' SET app.maintenance = 'on' AS $$
DECLARE
  v_claimed timestamptz[];
  v_lo timestamptz[];
  v_hi timestamptz[];
  v_result jsonb;
BEGIN
  WITH d AS (DELETE FROM content_analytics_dirty_hours WHERE hour < p_until RETURNING hour)
  SELECT coalesce(array_agg(hour), '{}') INTO v_claimed FROM d;

  WITH h AS (SELECT DISTINCT date_trunc('hour', x) AS hour FROM unnest(v_claimed || coalesce(p_hours, '{}')) AS x),
  g AS (SELECT hour, hour - (row_number() OVER (ORDER BY hour))::int * interval '1 hour' AS grp FROM h),
  islands AS (SELECT min(hour) AS lo, max(hour) + interval '1 hour' AS hi FROM g GROUP BY grp)
  SELECT coalesce(array_agg(lo ORDER BY lo), '{}'), coalesce(array_agg(hi ORDER BY lo), '{}') INTO v_lo, v_hi FROM islands;

  v_result := app.rollup_content_ranges(v_lo, v_hi);
  RETURN v_result || jsonb_build_object('dirtyHoursClaimed', cardinality(v_claimed));
END $$;--> statement-breakpoint

-- daily_usage_summaries for the UTC days [p_from, p_to): calls, failures (outcome other than
-- success), retries (calls with retry_number > 0), credits, cost and mean latency per tenant, day,
-- provider and endpoint, recomputed whole from api_usage. Summary rows of those days that no longer
-- have usage are removed, so the summaries always equal the raw table for recomputed days.
CREATE OR REPLACE FUNCTION app.rollup_daily_usage(p_from date, p_to date)
RETURNS jsonb LANGUAGE plpgsql SECURITY DEFINER
SET search_path = public, pg_temp SET "TimeZone" = 'UTC' SET app.maintenance = 'on' AS $$
DECLARE v_up bigint; v_del bigint;
BEGIN
  IF p_from IS NULL OR p_to IS NULL OR p_to <= p_from THEN
    RAISE EXCEPTION 'rollup_daily_usage: empty or invalid day range [%, %)', p_from, p_to;
  END IF;
  CREATE TEMP TABLE IF NOT EXISTS _svp_usage_agg (LIKE daily_usage_summaries INCLUDING DEFAULTS) ON COMMIT DROP;
  TRUNCATE _svp_usage_agg;
  INSERT INTO _svp_usage_agg (organization_id, day, provider, endpoint, calls, failures, retries, credits, cost_usd, avg_latency_ms)
  SELECT organization_id, (created_at AT TIME ZONE 'UTC')::date, provider, endpoint,
    count(*)::int, (count(*) FILTER (WHERE outcome <> 'success'))::int, (count(*) FILTER (WHERE retry_number > 0))::int,
    sum(credits), sum(cost_usd), round(avg(latency_ms))::int
  FROM api_usage
  WHERE created_at >= p_from::timestamptz AND created_at < p_to::timestamptz
  GROUP BY 1, 2, 3, 4;

  WITH up AS (
    INSERT INTO daily_usage_summaries AS t (organization_id, day, provider, endpoint, calls, failures, retries, credits, cost_usd, avg_latency_ms, updated_at)
    SELECT organization_id, day, provider, endpoint, calls, failures, retries, credits, cost_usd, avg_latency_ms, now() FROM _svp_usage_agg
    ON CONFLICT (organization_id, day, provider, endpoint) DO UPDATE SET
      calls = EXCLUDED.calls, failures = EXCLUDED.failures, retries = EXCLUDED.retries, credits = EXCLUDED.credits,
      cost_usd = EXCLUDED.cost_usd, avg_latency_ms = EXCLUDED.avg_latency_ms, updated_at = now()
    WHERE (t.calls, t.failures, t.retries, t.credits, t.cost_usd, t.avg_latency_ms)
      IS DISTINCT FROM (EXCLUDED.calls, EXCLUDED.failures, EXCLUDED.retries, EXCLUDED.credits, EXCLUDED.cost_usd, EXCLUDED.avg_latency_ms)
    RETURNING 1)
  SELECT count(*) INTO v_up FROM up;

  WITH del AS (
    DELETE FROM daily_usage_summaries s WHERE s.day >= p_from AND s.day < p_to
      AND NOT EXISTS (SELECT 1 FROM _svp_usage_agg a WHERE a.organization_id = s.organization_id AND a.day = s.day
                      AND a.provider = s.provider AND a.endpoint = s.endpoint)
    RETURNING 1)
  SELECT count(*) INTO v_del FROM del;

  RETURN jsonb_build_object('from', p_from, 'to', p_to, 'groups', (SELECT count(*) FROM _svp_usage_agg), 'written', v_up, 'deleted', v_del);
END $$;--> statement-breakpoint

-- brand_compliance_analytics for the UTC days [p_from, p_to): per tenant, brand and day (of the
-- master asset's creation): requests checked, pass / review / reject counts, mean score, and the
-- five most frequent findings across the master asset and its variants ({check, count}). A finding
-- is named by its `check` (or `code` / `rule`) key.
CREATE OR REPLACE FUNCTION app.rollup_brand_compliance(p_from date, p_to date)
RETURNS jsonb LANGUAGE plpgsql SECURITY DEFINER
SET search_path = public, pg_temp SET "TimeZone" = 'UTC' SET app.maintenance = 'on' AS $$
DECLARE v_up bigint; v_del bigint; v_groups bigint;
BEGIN
  IF p_from IS NULL OR p_to IS NULL OR p_to <= p_from THEN
    RAISE EXCEPTION 'rollup_brand_compliance: empty or invalid day range [%, %)', p_from, p_to;
  END IF;
  CREATE TEMP TABLE IF NOT EXISTS _svp_compliance_agg (
    organization_id uuid, brand_id uuid, day date, requests int, passed int, review int, rejected int,
    avg_score numeric(5, 2), top_findings jsonb) ON COMMIT DROP;
  TRUNCATE _svp_compliance_agg;

  WITH ga AS (
    SELECT g.id, g.organization_id, g.brand_id, (g.created_at AT TIME ZONE 'UTC')::date AS day,
      g.compliance_decision, g.compliance_score, g.findings
    FROM generated_assets g
    WHERE g.created_at >= p_from::timestamptz AND g.created_at < p_to::timestamptz
      AND g.compliance_decision IS NOT NULL),
  counts AS (
    SELECT organization_id, brand_id, day, count(*)::int AS requests,
      (count(*) FILTER (WHERE compliance_decision = 'pass'))::int AS passed,
      (count(*) FILTER (WHERE compliance_decision = 'review'))::int AS review,
      (count(*) FILTER (WHERE compliance_decision = 'reject'))::int AS rejected,
      round(avg(compliance_score), 2)::numeric(5, 2) AS avg_score
    FROM ga GROUP BY 1, 2, 3),
  raw_findings AS (
    SELECT ga.organization_id, ga.brand_id, ga.day, f FROM ga
    CROSS JOIN LATERAL jsonb_array_elements(CASE WHEN jsonb_typeof(ga.findings) = 'array' THEN ga.findings ELSE '[]'::jsonb END) AS f
    UNION ALL
    SELECT ga.organization_id, ga.brand_id, ga.day, f FROM ga
    JOIN asset_variants v ON v.generated_asset_id = ga.id
    CROSS JOIN LATERAL jsonb_array_elements(CASE WHEN jsonb_typeof(v.findings) = 'array' THEN v.findings ELSE '[]'::jsonb END) AS f),
  named AS (
    SELECT organization_id, brand_id, day, coalesce(f->>'check', f->>'code', f->>'rule') AS chk FROM raw_findings),
  ranked AS (
    SELECT organization_id, brand_id, day, chk, count(*)::int AS n,
      row_number() OVER (PARTITION BY organization_id, brand_id, day ORDER BY count(*) DESC, chk) AS rn
    FROM named WHERE chk IS NOT NULL GROUP BY 1, 2, 3, 4),
  top AS (
    SELECT organization_id, brand_id, day, jsonb_agg(jsonb_build_object('check', chk, 'count', n) ORDER BY rn) AS top_findings
    FROM ranked WHERE rn <= 5 GROUP BY 1, 2, 3)
  INSERT INTO _svp_compliance_agg
  SELECT c.organization_id, c.brand_id, c.day, c.requests, c.passed, c.review, c.rejected, c.avg_score,
    coalesce(t.top_findings, '[]'::jsonb)
  FROM counts c LEFT JOIN top t USING (organization_id, brand_id, day);
  GET DIAGNOSTICS v_groups = ROW_COUNT;

  WITH up AS (
    INSERT INTO brand_compliance_analytics AS t (organization_id, brand_id, day, requests, passed, review, rejected, avg_score, top_findings, updated_at)
    SELECT organization_id, brand_id, day, requests, passed, review, rejected, avg_score, top_findings, now() FROM _svp_compliance_agg
    ON CONFLICT (organization_id, brand_id, day) DO UPDATE SET
      requests = EXCLUDED.requests, passed = EXCLUDED.passed, review = EXCLUDED.review, rejected = EXCLUDED.rejected,
      avg_score = EXCLUDED.avg_score, top_findings = EXCLUDED.top_findings, updated_at = now()
    WHERE (t.requests, t.passed, t.review, t.rejected, t.avg_score, t.top_findings)
      IS DISTINCT FROM (EXCLUDED.requests, EXCLUDED.passed, EXCLUDED.review, EXCLUDED.rejected, EXCLUDED.avg_score, EXCLUDED.top_findings)
    RETURNING 1)
  SELECT count(*) INTO v_up FROM up;

  WITH del AS (
    DELETE FROM brand_compliance_analytics s WHERE s.day >= p_from AND s.day < p_to
      AND NOT EXISTS (SELECT 1 FROM _svp_compliance_agg a WHERE a.organization_id = s.organization_id AND a.brand_id = s.brand_id AND a.day = s.day)
    RETURNING 1)
  SELECT count(*) INTO v_del FROM del;

  RETURN jsonb_build_object('from', p_from, 'to', p_to, 'groups', v_groups, 'written', v_up, 'deleted', v_del);
END $$;--> statement-breakpoint

-- Refreshes the dashboard's materialized view without blocking readers (CONCURRENTLY needs the
-- unique index above and a populated view; the first refresh of an unpopulated one is plain).
CREATE OR REPLACE FUNCTION app.refresh_analytics_views()
RETURNS jsonb LANGUAGE plpgsql SECURITY DEFINER
SET search_path = public, pg_temp SET "TimeZone" = 'UTC' SET app.maintenance = 'on' AS $$
DECLARE v_populated boolean; v_rows bigint;
BEGIN
  SELECT relispopulated INTO v_populated FROM pg_class WHERE oid = 'public.analytics_brand_daily_mv'::regclass;
  IF v_populated THEN
    REFRESH MATERIALIZED VIEW CONCURRENTLY public.analytics_brand_daily_mv;
  ELSE
    REFRESH MATERIALIZED VIEW public.analytics_brand_daily_mv;
  END IF;
  SELECT count(*) INTO v_rows FROM public.analytics_brand_daily_mv;
  RETURN jsonb_build_object('views', jsonb_build_array(jsonb_build_object('name', 'analytics_brand_daily_mv',
    'concurrently', v_populated, 'rows', v_rows)));
END $$;--> statement-breakpoint

-- VACUUM cannot run inside a function, so the job issues it as svp_app; PostgreSQL 17+ lets a role
-- vacuum a table it does not own when it holds MAINTAIN on it. A grant on a partitioned parent
-- does not cover its partitions (VACUUM checks each one), and partitions come and go monthly, so
-- the job calls this first: it grants MAINTAIN on the named tables and all their partitions.
-- (MAINTAIN also allows ANALYZE, REINDEX, CLUSTER, REFRESH and LOCK TABLE on them: no data access.)
CREATE OR REPLACE FUNCTION app.grant_maintenance(p_tables text[])
RETURNS jsonb LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
DECLARE r record; v_granted jsonb := '[]'::jsonb;
BEGIN
  IF current_setting('server_version_num')::int < 170000 THEN
    RETURN jsonb_build_object('supported', false, 'granted', v_granted);
  END IF;
  FOR r IN
    SELECT c.oid::regclass AS rel FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
    WHERE n.nspname = 'public' AND c.relkind IN ('r', 'p', 'm') AND c.relname = ANY(p_tables)
    UNION
    SELECT i.inhrelid::regclass FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhparent
    JOIN pg_namespace n ON n.oid = c.relnamespace
    WHERE n.nspname = 'public' AND c.relname = ANY(p_tables)
  LOOP
    EXECUTE format('GRANT MAINTAIN ON %s TO svp_app', r.rel);
    v_granted := v_granted || to_jsonb(r.rel::text);
  END LOOP;
  RETURN jsonb_build_object('supported', true, 'granted', v_granted);
END $$;--> statement-breakpoint

-- The metrics collector's work list across tenants: active connections not waiting out a rate
-- limit. Tokens stay encrypted (the collector decrypts with the tenant-bound field context).
CREATE OR REPLACE FUNCTION app.collectable_connections(p_platforms text[], p_now timestamptz)
RETURNS TABLE (id uuid, organization_id uuid, platform text, account_id text, access_token_enc text, last_collected_at timestamptz)
LANGUAGE sql STABLE SECURITY DEFINER
SET search_path = public, pg_temp SET app.maintenance = 'on' AS $$
  SELECT c.id, c.organization_id, c.platform, c.account_id, c.access_token_enc, c.last_collected_at
  FROM social_connections c
  WHERE c.is_active = 1 AND c.platform = ANY(p_platforms) AND c.status IN ('active', 'rate_limited')
    AND (c.retry_after IS NULL OR c.retry_after <= p_now)
  ORDER BY c.last_collected_at NULLS FIRST, c.id
$$;--> statement-breakpoint

-- The local sign-in page (GET /dev/sign-in, APP_MODE=local only) lists the seeded users. It is
-- also gated here: it returns rows only when system_settings 'dev_sign_in' is true, which only the
-- local stack's seed sets (the app role cannot write system_settings), so in AWS it returns nothing.
CREATE OR REPLACE FUNCTION app.dev_sign_in_users()
RETURNS TABLE (email text, display_name text, orgs text[])
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public, pg_temp AS $$
  SELECT u.email, u.display_name,
    coalesce(array_agg(o.name || ' (' || m.role::text || ')' ORDER BY o.name) FILTER (WHERE o.id IS NOT NULL), '{}')
  FROM users u
  LEFT JOIN user_organizations m ON m.user_id = u.id AND m.status = 'active'
  LEFT JOIN organizations o ON o.id = m.organization_id AND o.deleted_at IS NULL
  WHERE coalesce((SELECT s.value FROM system_settings s WHERE s.key = 'dev_sign_in') = 'true'::jsonb, false)
    AND u.status = 'active'
  GROUP BY u.id, u.email, u.display_name
  ORDER BY u.email
  LIMIT 200
$$;--> statement-breakpoint

REVOKE ALL ON FUNCTION app.rollup_content_ranges(timestamptz[], timestamptz[]), app.rollup_content_analytics(timestamptz, timestamptz[]),
  app.rollup_daily_usage(date, date), app.rollup_brand_compliance(date, date), app.refresh_analytics_views(),
  app.grant_maintenance(text[]), app.collectable_connections(text[], timestamptz), app.dev_sign_in_users() FROM PUBLIC;--> statement-breakpoint
GRANT EXECUTE ON FUNCTION app.rollup_content_ranges(timestamptz[], timestamptz[]), app.rollup_content_analytics(timestamptz, timestamptz[]),
  app.rollup_daily_usage(date, date), app.rollup_brand_compliance(date, date), app.refresh_analytics_views(),
  app.grant_maintenance(text[]), app.collectable_connections(text[], timestamptz), app.dev_sign_in_users() TO svp_app;
