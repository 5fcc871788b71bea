-- Approval flows that start before any tenant is known. Each function answers one narrow question
-- across tenants (SECURITY DEFINER, owner rights) and returns ids, never whole foreign rows; the
-- caller then continues inside withTenant(), where RLS applies as usual.

-- A review link arrives without a session: its token hash is the only key. Returns the owning
-- organization and the link id (nothing else), or no row.
CREATE OR REPLACE FUNCTION app.find_approval_link(p_hash bytea) RETURNS TABLE (organization_id uuid, link_id uuid)
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public, pg_temp AS
$$ SELECT l.organization_id, l.id FROM approval_links l WHERE l.token_hash = p_hash $$;--> statement-breakpoint

-- The mail dispatcher (SES in AWS, the console printer locally) serves every tenant.
CREATE OR REPLACE FUNCTION app.outbox_rows(p_pending_only boolean, p_limit integer)
RETURNS TABLE (id uuid, organization_id uuid, to_address text, subject text, body_text text, links jsonb, status text, created_at timestamptz, sent_at timestamptz)
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public, pg_temp AS $$
  SELECT o.id, o.organization_id, o.to_address, o.subject, o.body_text, o.links, o.status, o.created_at, o.sent_at
  FROM outbox o
  WHERE NOT p_pending_only OR o.status = 'pending'
  ORDER BY o.created_at, o.id
  LIMIT least(greatest(p_limit, 1), 1000)
$$;--> statement-breakpoint

CREATE OR REPLACE FUNCTION app.outbox_mark(p_ids uuid[], p_status text) RETURNS integer
LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
DECLARE n integer;
BEGIN
  IF p_status NOT IN ('sent', 'failed') THEN RAISE EXCEPTION 'outbox status must be sent or failed'; END IF;
  UPDATE outbox SET status = p_status, sent_at = CASE WHEN p_status = 'sent' THEN now() ELSE sent_at END
  WHERE id = ANY(p_ids) AND status = 'pending';
  GET DIAGNOSTICS n = ROW_COUNT;
  RETURN n;
END $$;--> statement-breakpoint

-- Webhook deliveries whose retry is due, oldest first.
CREATE OR REPLACE FUNCTION app.due_webhook_deliveries(p_limit integer) RETURNS TABLE (organization_id uuid, delivery_id uuid)
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public, pg_temp AS $$
  SELECT d.organization_id, d.id FROM webhook_deliveries d
  WHERE d.status = 'pending' AND d.next_attempt_at <= now()
  ORDER BY d.next_attempt_at
  LIMIT least(greatest(p_limit, 1), 1000)
$$;--> statement-breakpoint

-- Approval steps whose reminder is due.
CREATE OR REPLACE FUNCTION app.due_approval_reminders(p_limit integer) RETURNS TABLE (organization_id uuid, approval_id uuid)
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public, pg_temp AS $$
  SELECT a.organization_id, a.id FROM content_approvals a
  WHERE a.status = 'pending' AND a.remind_at IS NOT NULL AND a.remind_at <= now()
  ORDER BY a.remind_at
  LIMIT least(greatest(p_limit, 1), 1000)
$$;--> statement-breakpoint

REVOKE ALL ON FUNCTION app.find_approval_link(bytea), app.outbox_rows(boolean, integer), app.outbox_mark(uuid[], text),
  app.due_webhook_deliveries(integer), app.due_approval_reminders(integer) FROM PUBLIC;--> statement-breakpoint
GRANT EXECUTE ON FUNCTION app.find_approval_link(bytea), app.outbox_rows(boolean, integer), app.outbox_mark(uuid[], text),
  app.due_webhook_deliveries(integer), app.due_approval_reminders(integer) TO svp_app;
