-- Monthly, declaratively partitioned high-volume tables (typed in db/schema/partitioned.ts, which
-- drizzle-kit skips because it cannot emit PARTITION BY). Primary keys include the partition column
-- because PostgreSQL requires every unique constraint on a partitioned table to contain it.
-- Partitions are named <table>_YYYY_MM (UTC months); <table>_default catches strays.
CREATE TABLE IF NOT EXISTS api_usage (
  id bigint GENERATED ALWAYS AS IDENTITY,
  organization_id uuid NOT NULL REFERENCES organizations(id) ON DELETE CASCADE,
  request_id uuid,
  provider text NOT NULL,
  endpoint text NOT NULL,
  method text NOT NULL,
  status_code integer,
  outcome text NOT NULL,
  latency_ms integer NOT NULL,
  credits numeric(12, 4) NOT NULL DEFAULT 0,
  cost_usd numeric(12, 6) NOT NULL DEFAULT 0,
  retry_number integer NOT NULL DEFAULT 0,
  error_code text,
  created_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (id, created_at)
) PARTITION BY RANGE (created_at);--> statement-breakpoint

CREATE TABLE IF NOT EXISTS content_analytics (
  id bigint GENERATED ALWAYS AS IDENTITY,
  organization_id uuid NOT NULL REFERENCES organizations(id) ON DELETE CASCADE,
  brand_id uuid NOT NULL,
  request_id uuid NOT NULL,
  variant_id uuid NOT NULL,
  platform text NOT NULL,
  metric text NOT NULL,
  value bigint NOT NULL,
  recorded_at timestamptz NOT NULL,
  ingested_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (id, recorded_at)
) PARTITION BY RANGE (recorded_at);--> statement-breakpoint

CREATE TABLE IF NOT EXISTS user_activity_logs (
  id bigint GENERATED ALWAYS AS IDENTITY,
  organization_id uuid NOT NULL REFERENCES organizations(id) ON DELETE CASCADE,
  user_id uuid,
  actor text,
  action text NOT NULL,
  resource_type text NOT NULL,
  resource_id text,
  request_id text,
  ip inet,
  user_agent text,
  details jsonb,
  created_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (id, created_at)
) PARTITION BY RANGE (created_at);--> statement-breakpoint

CREATE TABLE IF NOT EXISTS api_usage_default PARTITION OF api_usage DEFAULT;--> statement-breakpoint
CREATE TABLE IF NOT EXISTS content_analytics_default PARTITION OF content_analytics DEFAULT;--> statement-breakpoint
CREATE TABLE IF NOT EXISTS user_activity_logs_default PARTITION OF user_activity_logs DEFAULT;--> statement-breakpoint

-- Indexes on the parents cascade to every partition, present and future.
-- Usage metering: per-tenant month-to-date sums read (credits, cost_usd) from the index alone.
CREATE INDEX IF NOT EXISTS api_usage_org_created_cov_idx ON api_usage (organization_id, created_at) INCLUDE (credits, cost_usd);--> statement-breakpoint
CREATE INDEX IF NOT EXISTS api_usage_request_idx ON api_usage (request_id) WHERE request_id IS NOT NULL;--> statement-breakpoint
CREATE INDEX IF NOT EXISTS api_usage_created_brin ON api_usage USING brin (created_at);--> statement-breakpoint
-- Ingestion is idempotent: a re-delivered metric sample is an ON CONFLICT no-op/update.
CREATE UNIQUE INDEX IF NOT EXISTS content_analytics_sample_uq ON content_analytics (variant_id, platform, metric, recorded_at);--> statement-breakpoint
CREATE INDEX IF NOT EXISTS content_analytics_org_recorded_idx ON content_analytics (organization_id, recorded_at);--> statement-breakpoint
CREATE INDEX IF NOT EXISTS content_analytics_request_idx ON content_analytics (request_id, recorded_at);--> statement-breakpoint
CREATE INDEX IF NOT EXISTS content_analytics_recorded_brin ON content_analytics USING brin (recorded_at);--> statement-breakpoint
-- The audit log is read newest-first, per tenant and per resource.
CREATE INDEX IF NOT EXISTS user_activity_logs_org_created_idx ON user_activity_logs (organization_id, created_at DESC);--> statement-breakpoint
CREATE INDEX IF NOT EXISTS user_activity_logs_resource_idx ON user_activity_logs (organization_id, resource_type, resource_id, created_at DESC);--> statement-breakpoint
CREATE INDEX IF NOT EXISTS user_activity_logs_created_brin ON user_activity_logs USING brin (created_at);--> statement-breakpoint

-- Partition maintenance for every RANGE-partitioned table in public (so a future partitioned table
-- is covered without editing this function). Runs as the owner (SECURITY DEFINER) so the app role
-- or a scheduled job can call it without owning anything. One call, one transaction:
--  * ensures monthly partitions for [current month - 1, current month + p_months_ahead];
--  * for older months still inside retention, creates a partition only when the default partition
--    holds rows for that month (late/backfilled data) — "as needed", so an empty history does not
--    cost dozens of empty tables;
--  * whenever a new partition's month has rows sitting in the default partition, those rows are
--    moved into it (PostgreSQL would otherwise refuse to create the partition);
--  * detaches and drops partitions whose whole range ends at or before
--    (current month - retention months);
--  * never deletes rows from the default partition: strays outside every partition are counted in
--    the result ("left_in_default") so an operator sees them;
--  * re-applies RLS ENABLE+FORCE and the tenant policy (new partitions included).
-- Retention: the argument when given; else system_settings 'partition_retention_months'
-- (a JSON number or numeric string); else 24. Month boundaries are UTC.
CREATE OR REPLACE FUNCTION app.maintain_partitions(p_months_ahead int DEFAULT 3, p_retention_months int DEFAULT NULL)
RETURNS jsonb LANGUAGE plpgsql SECURITY DEFINER
SET search_path = public, pg_temp SET "TimeZone" = 'UTC' AS $$
DECLARE
  v_retention int;
  v_now_month timestamptz := date_trunc('month', now());
  v_cutoff timestamptz;
  v_horizon timestamptz;
  t record;
  p record;
  m timestamptz;
  v_default regclass;
  v_part text;
  v_moved bigint;
  v_left bigint;
  v_created jsonb := '[]'::jsonb;
  v_dropped jsonb := '[]'::jsonb;
  v_moves jsonb := '{}'::jsonb;
  v_strays jsonb := '{}'::jsonb;
BEGIN
  IF p_months_ahead IS NULL OR p_months_ahead < 1 THEN
    RAISE EXCEPTION 'maintain_partitions: p_months_ahead must be >= 1 (got %)', p_months_ahead;
  END IF;
  v_retention := coalesce(
    p_retention_months,
    (SELECT (s.value #>> '{}')::int FROM system_settings s WHERE s.key = 'partition_retention_months'),
    24);
  IF v_retention < 1 THEN
    RAISE EXCEPTION 'maintain_partitions: retention must be >= 1 month (got %)', v_retention;
  END IF;
  v_cutoff := v_now_month - make_interval(months => v_retention);
  v_horizon := v_now_month + make_interval(months => p_months_ahead + 1);

  FOR t IN
    SELECT pt.partrelid::regclass AS parent, c.relname::text AS name, a.attname::text AS col
    FROM pg_partitioned_table pt
    JOIN pg_class c ON c.oid = pt.partrelid
    JOIN pg_namespace n ON n.oid = c.relnamespace
    JOIN pg_attribute a ON a.attrelid = pt.partrelid AND a.attnum = pt.partattrs[0]
    WHERE n.nspname = 'public' AND pt.partstrat = 'r' AND pt.partnatts = 1
    ORDER BY c.relname
  LOOP
    v_default := (SELECT pt.partdefid::regclass FROM pg_partitioned_table pt WHERE pt.partrelid = t.parent AND pt.partdefid <> 0);
    IF v_default IS NULL THEN
      EXECUTE format('CREATE TABLE %I PARTITION OF %s DEFAULT', t.name || '_default', t.parent);
      v_default := (t.name || '_default')::regclass;
    END IF;
    -- As owner under FORCE RLS the default partition would show us only the (unset) tenant's rows;
    -- lift FORCE for this transaction only (restored below, before anyone else can see it).
    EXECUTE format('ALTER TABLE %s NO FORCE ROW LEVEL SECURITY', v_default);

    CREATE TEMP TABLE IF NOT EXISTS _svp_bounds (lo timestamptz, hi timestamptz, rel regclass) ON COMMIT DROP;
    TRUNCATE _svp_bounds;
    INSERT INTO _svp_bounds
    SELECT b[1]::timestamptz, b[2]::timestamptz, i.inhrelid::regclass
    FROM pg_inherits i
    JOIN pg_class pc ON pc.oid = i.inhrelid
    CROSS JOIN LATERAL regexp_match(pg_get_expr(pc.relpartbound, pc.oid), $re$FROM \('([^']+)'\) TO \('([^']+)'\)$re$) AS b
    WHERE i.inhparent = t.parent;

    FOR m IN EXECUTE format(
      $q$SELECT gs FROM generate_series($1 - interval '1 month', $2 - interval '1 month', interval '1 month') gs
         UNION
         SELECT DISTINCT date_trunc('month', %1$I) FROM %2$s WHERE %1$I >= $3 AND %1$I < $2
         ORDER BY 1$q$, t.col, v_default)
      USING v_now_month, v_horizon, v_cutoff
    LOOP
      CONTINUE WHEN m < v_cutoff;
      CONTINUE WHEN EXISTS (SELECT 1 FROM _svp_bounds b WHERE b.lo < m + interval '1 month' AND b.hi > m);
      v_part := t.name || '_' || to_char(m, 'YYYY_MM');
      -- Rows for this month in the default partition would block CREATE ... PARTITION OF: park
      -- them, create the partition, put them back through it.
      EXECUTE format('CREATE TEMP TABLE _svp_move ON COMMIT DROP AS SELECT * FROM %s WHERE %I >= $1 AND %I < $2',
        v_default, t.col, t.col) USING m, m + interval '1 month';
      GET DIAGNOSTICS v_moved = ROW_COUNT;
      IF v_moved > 0 THEN
        EXECUTE format('DELETE FROM %s WHERE %I >= $1 AND %I < $2', v_default, t.col, t.col) USING m, m + interval '1 month';
      END IF;
      EXECUTE format('CREATE TABLE %I PARTITION OF %s FOR VALUES FROM (%L) TO (%L)', v_part, t.parent, m, m + interval '1 month');
      IF v_moved > 0 THEN
        EXECUTE format('INSERT INTO %I OVERRIDING SYSTEM VALUE SELECT * FROM _svp_move', v_part);
        v_moves := v_moves || jsonb_build_object(v_part, v_moved);
      END IF;
      DROP TABLE _svp_move;
      INSERT INTO _svp_bounds VALUES (m, m + interval '1 month', v_part::regclass);
      v_created := v_created || to_jsonb(v_part);
    END LOOP;

    FOR p IN SELECT b.rel FROM _svp_bounds b WHERE b.hi <= v_cutoff ORDER BY b.lo LOOP
      EXECUTE format('ALTER TABLE %s DETACH PARTITION %s', t.parent, p.rel);
      v_dropped := v_dropped || to_jsonb(p.rel::text);
      EXECUTE format('DROP TABLE %s', p.rel);
    END LOOP;

    EXECUTE format('SELECT count(*) FROM %s', v_default) INTO v_left;
    IF v_left > 0 THEN
      v_strays := v_strays || jsonb_build_object(t.name, v_left);
    END IF;
    EXECUTE format('ALTER TABLE %s FORCE ROW LEVEL SECURITY', v_default);
  END LOOP;

  PERFORM app.apply_tenant_policies();
  RETURN jsonb_build_object(
    'retention_months', v_retention,
    'months_ahead', p_months_ahead,
    'created', v_created,
    'dropped', v_dropped,
    'moved_from_default', v_moves,
    'left_in_default', v_strays);
END $$;--> statement-breakpoint
REVOKE ALL ON FUNCTION app.maintain_partitions(int, int) FROM PUBLIC;--> statement-breakpoint
GRANT EXECUTE ON FUNCTION app.maintain_partitions(int, int) TO svp_app;--> statement-breakpoint

-- Creates this month's partitions (and next ones), then ENABLE+FORCE RLS, the tenant policy and
-- the app role's grants on parents and partitions alike (apply_tenant_policies).
SELECT app.maintain_partitions();
