CREATE TABLE "request_sourcing" (
	"id" uuid PRIMARY KEY DEFAULT uuid_generate_v4() NOT NULL,
	"organization_id" uuid NOT NULL,
	"request_id" uuid NOT NULL,
	"aspect_group" text NOT NULL,
	"platforms" text[] NOT NULL,
	"status" text NOT NULL,
	"source" text NOT NULL,
	"plan" jsonb,
	"provider_task_id" text,
	"generated_asset_id" uuid,
	"attempts" jsonb DEFAULT '[]'::jsonb NOT NULL,
	"candidates_considered" integer DEFAULT 0 NOT NULL,
	"downloads" integer DEFAULT 0 NOT NULL,
	"generations" integer DEFAULT 0 NOT NULL,
	"credits" numeric(12, 4) DEFAULT '0' NOT NULL,
	"cost_usd" numeric(12, 6) DEFAULT '0' NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
DROP INDEX "generated_assets_request_uq";--> statement-breakpoint
ALTER TABLE "generated_assets" ADD COLUMN "aspect_group" text DEFAULT 'square' NOT NULL;--> statement-breakpoint
ALTER TABLE "generated_assets" ADD COLUMN "covers" text[] DEFAULT '{square,tall,wide}'::text[] NOT NULL;--> statement-breakpoint
ALTER TABLE "request_sourcing" ADD CONSTRAINT "request_sourcing_organization_id_organizations_id_fk" FOREIGN KEY ("organization_id") REFERENCES "public"."organizations"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "request_sourcing" ADD CONSTRAINT "request_sourcing_request_id_content_requests_id_fk" FOREIGN KEY ("request_id") REFERENCES "public"."content_requests"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "request_sourcing" ADD CONSTRAINT "request_sourcing_generated_asset_id_generated_assets_id_fk" FOREIGN KEY ("generated_asset_id") REFERENCES "public"."generated_assets"("id") ON DELETE set null ON UPDATE no action;--> statement-breakpoint
CREATE UNIQUE INDEX "request_sourcing_request_group_uq" ON "request_sourcing" USING btree ("request_id","aspect_group");--> statement-breakpoint
CREATE INDEX "request_sourcing_org_idx" ON "request_sourcing" USING btree ("organization_id","created_at");--> statement-breakpoint
CREATE UNIQUE INDEX "generated_assets_request_group_uq" ON "generated_assets" USING btree ("request_id","aspect_group");