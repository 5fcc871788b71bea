-- Two scheduled jobs that overlap (the view refresh and the nightly vacuum both grant MAINTAIN on
-- the dashboard views before vacuuming) failed one another with "tuple concurrently updated":
-- concurrent GRANTs on one relation update the same catalog row. The grants are now serialized by
-- a transaction-scoped advisory lock, and a relation the app role may already maintain is not
-- granted again (no catalog write at all on the usual run).
CREATE OR REPLACE FUNCTION app.grant_maintenance(p_tables text[])
RETURNS jsonb LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
DECLARE r record; v_granted jsonb := '[]'::jsonb;
BEGIN
  IF current_setting('server_version_num')::int < 170000 THEN
    RETURN jsonb_build_object('supported', false, 'granted', v_granted);
  END IF;
  PERFORM pg_advisory_xact_lock(hashtext('app.grant_maintenance'));
  FOR r IN
    SELECT c.oid::regclass AS rel FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
    WHERE n.nspname = 'public' AND c.relkind IN ('r', 'p', 'm') AND c.relname = ANY(p_tables)
    UNION
    SELECT i.inhrelid::regclass FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhparent
    JOIN pg_namespace n ON n.oid = c.relnamespace
    WHERE n.nspname = 'public' AND c.relname = ANY(p_tables)
  LOOP
    IF NOT has_table_privilege('svp_app', r.rel, 'MAINTAIN') THEN
      EXECUTE format('GRANT MAINTAIN ON %s TO svp_app', r.rel);
    END IF;
    v_granted := v_granted || to_jsonb(r.rel::text);
  END LOOP;
  RETURN jsonb_build_object('supported', true, 'granted', v_granted);
END $$;
