ALTER TABLE "adapters" ADD COLUMN "spread" double precision;--> statement-breakpoint
ALTER TABLE "libraries" ADD COLUMN "generation" integer DEFAULT 0 NOT NULL;--> statement-breakpoint
ALTER TABLE "libraries" ADD COLUMN "calibration" jsonb;--> statement-breakpoint
ALTER TABLE "libraries" ADD COLUMN "coverage_policy" text DEFAULT 'fuse' NOT NULL;--> statement-breakpoint
ALTER TABLE "adapters" ADD CONSTRAINT "adapters_spread_check" CHECK ("adapters"."spread" IS NULL OR "adapters"."spread" >= 0);--> statement-breakpoint
ALTER TABLE "libraries" ADD CONSTRAINT "libraries_coverage_policy_check" CHECK ("libraries"."coverage_policy" IN ('fuse', 'zeroshot', 'refuse'));