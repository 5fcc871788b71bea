-- Tenant isolation, second layer (the API's membership checks are the first).
-- The application connects as svp_app: it owns nothing and has no BYPASSRLS, so FORCEd policies
-- apply to it. Migrations run as the owner. Policies key on per-transaction settings set by
-- withTenant(): app.org_id (the tenant) and app.user_id (the signed-in user).
DO $$ BEGIN
  IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'svp_app') THEN
    CREATE ROLE svp_app NOLOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOBYPASSRLS;
  END IF;
END $$;--> statement-breakpoint
ALTER ROLE svp_app NOBYPASSRLS;--> statement-breakpoint
CREATE SCHEMA IF NOT EXISTS app;--> statement-breakpoint
GRANT USAGE ON SCHEMA public, app TO svp_app;--> statement-breakpoint

CREATE OR REPLACE FUNCTION app.current_org() RETURNS uuid LANGUAGE sql STABLE AS
$$ SELECT NULLIF(current_setting('app.org_id', true), '')::uuid $$;--> statement-breakpoint
CREATE OR REPLACE FUNCTION app.current_user_id() RETURNS uuid LANGUAGE sql STABLE AS
$$ SELECT NULLIF(current_setting('app.user_id', true), '')::uuid $$;--> statement-breakpoint

-- Applies grants + ENABLE/FORCE RLS + the tenant policy to every table in public that has an
-- organization_id column (partitions included). Later migrations call it again, so a new tenant
-- table cannot be forgotten; the integrity check verifies the result.
CREATE OR REPLACE FUNCTION app.apply_tenant_policies() RETURNS void LANGUAGE plpgsql AS $$
DECLARE r record;
BEGIN
  FOR r IN
    SELECT c.oid::regclass AS tbl, c.relname
    FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
    WHERE n.nspname = 'public' AND c.relkind IN ('r', 'p')
      AND EXISTS (SELECT 1 FROM pg_attribute a WHERE a.attrelid = c.oid AND a.attname = 'organization_id' AND NOT a.attisdropped)
  LOOP
    EXECUTE format('ALTER TABLE %s ENABLE ROW LEVEL SECURITY', r.tbl);
    EXECUTE format('ALTER TABLE %s FORCE ROW LEVEL SECURITY', r.tbl);
    EXECUTE format('DROP POLICY IF EXISTS tenant_isolation ON %s', r.tbl);
    IF r.relname = 'user_organizations' THEN
      -- a user may also see their own memberships in other tenants (to pick a tenant)
      EXECUTE format($p$CREATE POLICY tenant_isolation ON %s
        USING (organization_id = app.current_org() OR user_id = app.current_user_id())
        WITH CHECK (organization_id = app.current_org())$p$, r.tbl);
    ELSE
      EXECUTE format($p$CREATE POLICY tenant_isolation ON %s
        USING (organization_id = app.current_org())
        WITH CHECK (organization_id = app.current_org())$p$, r.tbl);
    END IF;
    EXECUTE format('GRANT SELECT, INSERT, UPDATE, DELETE ON %s TO svp_app', r.tbl);
  END LOOP;
END $$;--> statement-breakpoint

-- organizations: the tenant row itself is visible in its own context and to its members.
ALTER TABLE organizations ENABLE ROW LEVEL SECURITY;--> statement-breakpoint
ALTER TABLE organizations FORCE ROW LEVEL SECURITY;--> statement-breakpoint
DROP POLICY IF EXISTS org_isolation ON organizations;--> statement-breakpoint
CREATE POLICY org_isolation ON organizations
  USING (id = app.current_org() OR id IN (SELECT organization_id FROM user_organizations WHERE user_id = app.current_user_id() AND status = 'active'))
  WITH CHECK (id = app.current_org());--> statement-breakpoint
GRANT SELECT, INSERT, UPDATE ON organizations TO svp_app;--> statement-breakpoint

-- users: global identities. A user sees themself and the members of the current tenant.
ALTER TABLE users ENABLE ROW LEVEL SECURITY;--> statement-breakpoint
ALTER TABLE users FORCE ROW LEVEL SECURITY;--> statement-breakpoint
DROP POLICY IF EXISTS users_visibility ON users;--> statement-breakpoint
CREATE POLICY users_visibility ON users
  USING (id = app.current_user_id() OR id IN (SELECT user_id FROM user_organizations WHERE organization_id = app.current_org()));--> statement-breakpoint
GRANT SELECT, UPDATE (display_name, last_login_at, updated_at) ON users TO svp_app;--> statement-breakpoint

-- Identity resolution runs before any tenant is known (verified JWT -> user row), and adding a
-- member by email must find a user outside the tenant. Both go through these narrow SECURITY
-- DEFINER functions instead of opening the users table.
CREATE OR REPLACE FUNCTION app.resolve_user(p_subject text, p_email text, p_name text) RETURNS uuid
LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
DECLARE v uuid;
BEGIN
  SELECT id INTO v FROM users WHERE external_subject = p_subject;
  IF v IS NULL THEN
    SELECT id INTO v FROM users WHERE lower(email) = lower(p_email);
    IF v IS NOT NULL THEN
      UPDATE users SET external_subject = p_subject, updated_at = now() WHERE id = v AND external_subject IS NULL;
    ELSE
      INSERT INTO users (email, display_name, external_subject) VALUES (lower(p_email), coalesce(p_name, split_part(p_email, '@', 1)), p_subject)
      ON CONFLICT DO NOTHING RETURNING id INTO v;
      IF v IS NULL THEN SELECT id INTO v FROM users WHERE lower(email) = lower(p_email); END IF;
    END IF;
  END IF;
  UPDATE users SET last_login_at = now() WHERE id = v AND (last_login_at IS NULL OR last_login_at < now() - interval '5 minutes');
  RETURN v;
END $$;--> statement-breakpoint
CREATE OR REPLACE FUNCTION app.ensure_user_by_email(p_email text, p_name text) RETURNS uuid
LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
DECLARE v uuid;
BEGIN
  SELECT id INTO v FROM users WHERE lower(email) = lower(p_email);
  IF v IS NULL THEN
    INSERT INTO users (email, display_name) VALUES (lower(p_email), coalesce(p_name, split_part(p_email, '@', 1)))
    ON CONFLICT DO NOTHING RETURNING id INTO v;
    IF v IS NULL THEN SELECT id INTO v FROM users WHERE lower(email) = lower(p_email); END IF;
  END IF;
  RETURN v;
END $$;--> statement-breakpoint
REVOKE ALL ON FUNCTION app.resolve_user(text, text, text) FROM PUBLIC;--> statement-breakpoint
REVOKE ALL ON FUNCTION app.ensure_user_by_email(text, text) FROM PUBLIC;--> statement-breakpoint
GRANT EXECUTE ON FUNCTION app.resolve_user(text, text, text), app.ensure_user_by_email(text, text), app.current_org(), app.current_user_id() TO svp_app;--> statement-breakpoint

-- Global, non-tenant tables the app needs.
GRANT SELECT, INSERT, UPDATE ON rate_limit_buckets TO svp_app;--> statement-breakpoint
GRANT SELECT ON system_settings TO svp_app;--> statement-breakpoint
GRANT SELECT, INSERT, UPDATE ON background_jobs TO svp_app;--> statement-breakpoint

SELECT app.apply_tenant_policies();
