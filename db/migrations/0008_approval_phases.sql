ALTER TABLE "content_approvals" ADD COLUMN "phase" text DEFAULT 'initial' NOT NULL;--> statement-breakpoint
ALTER TABLE "content_approvals" ADD COLUMN "approver_ids" uuid[] DEFAULT '{}'::uuid[] NOT NULL;--> statement-breakpoint
ALTER TABLE "content_approvals" ADD COLUMN "remind_at" timestamp with time zone;