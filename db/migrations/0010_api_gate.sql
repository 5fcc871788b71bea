-- The API's per-request gate in one round trip: is the caller an active member of the
-- organization (and with which role), and may the tenant make another request (token bucket
-- `api:org:<id>` sized by organizations.api_rate_limit_per_minute)? The permission itself is
-- judged in TypeScript (functions/domain/permissions.ts).
--
-- app.take_token is the one token-bucket algorithm (the tenant API limit here, the global Freepik
-- rate from functions/app/rate-limit.ts): refill by elapsed time capped at capacity, take one
-- token if at least one is there. Returns the tokens available BEFORE the take (>= 1: allowed).
-- The bucket row is locked (FOR UPDATE) so concurrent takers serialise on it.
CREATE OR REPLACE FUNCTION app.take_token(p_key text, p_capacity float8, p_refill_per_second float8) RETURNS float8
LANGUAGE plpgsql SET search_path = public, pg_temp AS $$
DECLARE v_avail float8;
BEGIN
  SELECT least(p_capacity, b.tokens + extract(epoch from clock_timestamp() - b.updated_at)::float8 * p_refill_per_second)
    INTO v_avail FROM rate_limit_buckets b WHERE b.key = p_key FOR UPDATE;
  IF NOT FOUND THEN
    INSERT INTO rate_limit_buckets (key, tokens, capacity, refill_per_second, updated_at)
    VALUES (p_key, p_capacity - 1, p_capacity, p_refill_per_second, clock_timestamp())
    ON CONFLICT (key) DO NOTHING;
    IF FOUND THEN RETURN p_capacity; END IF;
    -- lost the creation race: take from the row the winner created
    SELECT least(p_capacity, b.tokens + extract(epoch from clock_timestamp() - b.updated_at)::float8 * p_refill_per_second)
      INTO v_avail FROM rate_limit_buckets b WHERE b.key = p_key FOR UPDATE;
  END IF;
  UPDATE rate_limit_buckets SET
    tokens = CASE WHEN v_avail >= 1 THEN v_avail - 1 ELSE v_avail END,
    capacity = p_capacity, refill_per_second = p_refill_per_second, updated_at = clock_timestamp()
  WHERE key = p_key;
  RETURN v_avail;
END $$;--> statement-breakpoint
REVOKE ALL ON FUNCTION app.take_token(text, float8, float8) FROM PUBLIC;--> statement-breakpoint
GRANT EXECUTE ON FUNCTION app.take_token(text, float8, float8) TO svp_app;--> statement-breakpoint

-- Runs with owner rights but still reads through the tenant policies: it sets app.org_id /
-- app.user_id for its own duration (the SET clauses restore the caller's values on exit), so it
-- can only ever see the caller's own membership row of that one organization. No row = not a
-- member (the API answers 404); no token is taken for non-members.
CREATE OR REPLACE FUNCTION app.api_gate(p_org uuid, p_user uuid, p_rate_limit boolean DEFAULT true)
RETURNS TABLE (role org_role, rate_limit_per_minute integer, allowed boolean, retry_after_seconds integer)
LANGUAGE plpgsql SECURITY DEFINER
SET search_path = public, pg_temp SET app.org_id = '' SET app.user_id = '' AS $$
DECLARE v_role org_role; v_limit integer; v_avail float8; v_rate float8;
BEGIN
  PERFORM set_config('app.org_id', p_org::text, true), set_config('app.user_id', p_user::text, true);
  SELECT m.role, o.api_rate_limit_per_minute INTO v_role, v_limit
  FROM user_organizations m JOIN organizations o ON o.id = m.organization_id
  WHERE m.organization_id = p_org AND m.user_id = p_user AND m.status = 'active'
    AND o.deleted_at IS NULL AND o.status = 'active';
  IF NOT FOUND THEN RETURN; END IF;
  IF NOT p_rate_limit THEN
    RETURN QUERY SELECT v_role, v_limit, true, 0;
    RETURN;
  END IF;
  v_rate := greatest(v_limit, 1)::float8 / 60;
  v_avail := app.take_token('api:org:' || p_org::text, greatest(v_limit, 1)::float8, v_rate);
  RETURN QUERY SELECT v_role, v_limit, v_avail >= 1,
    CASE WHEN v_avail >= 1 THEN 0 ELSE greatest(1, ceil((1 - v_avail) / v_rate))::integer END;
END $$;--> statement-breakpoint
REVOKE ALL ON FUNCTION app.api_gate(uuid, uuid, boolean) FROM PUBLIC;--> statement-breakpoint
GRANT EXECUTE ON FUNCTION app.api_gate(uuid, uuid, boolean) TO svp_app;
