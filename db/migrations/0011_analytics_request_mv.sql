-- "Top content" for a date range groups the tenant's daily rollup rows by request. Measured at
-- 500k raw samples per tenant (bench/dashboard.ts) that was ~7,500 variant-day rows and ~9 ms of
-- aggregation per dashboard call, the largest part of it. This view collapses the variants of a
-- request per day (4 presets -> 1 row) and precomputes engagements, so the same read aggregates a
-- quarter of the rows. Like analytics_brand_daily_mv it is refreshed CONCURRENTLY (unique index)
-- by app.refresh_analytics_views() and read by the app role only through a tenant-filtering view.
CREATE MATERIALIZED VIEW IF NOT EXISTS analytics_request_daily_mv AS
SELECT organization_id, day, brand_id, request_id,
  sum(impressions)::bigint AS impressions, sum(reach)::bigint AS reach,
  sum(likes + comments + shares + saves)::bigint AS engagements, sum(clicks)::bigint AS clicks
FROM content_analytics_daily
GROUP BY organization_id, day, brand_id, request_id;--> statement-breakpoint
CREATE UNIQUE INDEX IF NOT EXISTS analytics_request_daily_mv_uq ON analytics_request_daily_mv (organization_id, day, brand_id, request_id);--> statement-breakpoint
CREATE OR REPLACE VIEW analytics_request_daily WITH (security_barrier = true) AS
SELECT organization_id, day, brand_id, request_id, impressions, reach, engagements, clicks
FROM analytics_request_daily_mv
WHERE organization_id = app.current_org();--> statement-breakpoint
REVOKE ALL ON analytics_request_daily_mv FROM PUBLIC;--> statement-breakpoint
REVOKE ALL ON analytics_request_daily FROM PUBLIC;--> statement-breakpoint
GRANT SELECT ON analytics_request_daily TO svp_app;--> statement-breakpoint

-- Refreshes every dashboard materialized view, without blocking readers.
CREATE OR REPLACE FUNCTION app.refresh_analytics_views()
RETURNS jsonb LANGUAGE plpgsql SECURITY DEFINER
SET search_path = public, pg_temp SET "TimeZone" = 'UTC' SET app.maintenance = 'on' AS $$
DECLARE v text; v_populated boolean; v_rows bigint; v_out jsonb := '[]'::jsonb;
BEGIN
  FOREACH v IN ARRAY ARRAY['analytics_brand_daily_mv', 'analytics_request_daily_mv'] LOOP
    SELECT relispopulated INTO v_populated FROM pg_class WHERE oid = ('public.' || v)::regclass;
    IF v_populated THEN
      EXECUTE format('REFRESH MATERIALIZED VIEW CONCURRENTLY public.%I', v);
    ELSE
      EXECUTE format('REFRESH MATERIALIZED VIEW public.%I', v);
    END IF;
    EXECUTE format('SELECT count(*) FROM public.%I', v) INTO v_rows;
    v_out := v_out || jsonb_build_object('name', v, 'concurrently', v_populated, 'rows', v_rows);
  END LOOP;
  RETURN jsonb_build_object('views', v_out);
END $$;
