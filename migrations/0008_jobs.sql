CREATE TABLE "jobs" (
	"id" uuid PRIMARY KEY NOT NULL,
	"tenant" text NOT NULL,
	"idempotency_key" text,
	"request_sha256" text NOT NULL,
	"status" text NOT NULL,
	"request" jsonb NOT NULL,
	"items" jsonb NOT NULL,
	"webhook_url" text,
	"webhook" jsonb,
	"created_at" timestamp (3) with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp (3) with time zone DEFAULT now() NOT NULL,
	"started_at" timestamp (3) with time zone,
	"finished_at" timestamp (3) with time zone,
	"expires_at" timestamp (3) with time zone NOT NULL,
	"leased_until" timestamp (3) with time zone,
	CONSTRAINT "jobs_status_check" CHECK ("jobs"."status" IN ('queued', 'running', 'succeeded', 'failed', 'expired'))
);
--> statement-breakpoint
CREATE UNIQUE INDEX "jobs_tenant_idempotency_key_unique" ON "jobs" USING btree ("tenant","idempotency_key") WHERE "jobs"."idempotency_key" IS NOT NULL;--> statement-breakpoint
CREATE INDEX "jobs_active_idx" ON "jobs" USING btree ("updated_at") WHERE "jobs"."status" IN ('queued', 'running');--> statement-breakpoint
CREATE INDEX "jobs_expires_idx" ON "jobs" USING btree ("expires_at") WHERE "jobs"."status" <> 'expired';