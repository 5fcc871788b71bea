CREATE TABLE "content_analytics_dirty_hours" (
	"hour" timestamp with time zone PRIMARY KEY NOT NULL,
	"marked_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
ALTER TABLE "published_posts" ADD COLUMN "last_totals" jsonb DEFAULT '{}'::jsonb NOT NULL;--> statement-breakpoint
ALTER TABLE "published_posts" ADD COLUMN "last_collected_at" timestamp with time zone;--> statement-breakpoint
ALTER TABLE "social_connections" ADD COLUMN "status" text DEFAULT 'active' NOT NULL;--> statement-breakpoint
ALTER TABLE "social_connections" ADD COLUMN "retry_after" timestamp with time zone;--> statement-breakpoint
ALTER TABLE "social_connections" ADD COLUMN "last_error" text;--> statement-breakpoint
CREATE INDEX "published_posts_connection_idx" ON "published_posts" USING btree ("connection_id");