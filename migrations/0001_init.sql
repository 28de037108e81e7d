CREATE TABLE "adapters" (
	"id" uuid PRIMARY KEY NOT NULL,
	"library_id" uuid NOT NULL,
	"name" text NOT NULL,
	"version" integer NOT NULL,
	"status" text NOT NULL,
	"rank" integer NOT NULL,
	"alpha" double precision NOT NULL,
	"target_modules" jsonb NOT NULL,
	"module_shapes" jsonb NOT NULL,
	"config" jsonb NOT NULL,
	"object_key" text NOT NULL,
	"byte_size" bigint NOT NULL,
	"sha256" text NOT NULL,
	"centroid" vector NOT NULL,
	"sample_count" integer,
	"created_at" timestamp (3) with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp (3) with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "adapters_object_key_unique" UNIQUE("object_key"),
	CONSTRAINT "adapters_library_name_version_unique" UNIQUE("library_id","name","version"),
	CONSTRAINT "adapters_status_check" CHECK ("adapters"."status" IN ('pending', 'active', 'superseded')),
	CONSTRAINT "adapters_version_check" CHECK ("adapters"."version" >= 1)
);
--> statement-breakpoint
CREATE TABLE "api_keys" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"tenant" text NOT NULL,
	"name" text NOT NULL,
	"key_hash" text NOT NULL,
	"created_at" timestamp (3) with time zone DEFAULT now() NOT NULL,
	"last_used_at" timestamp (3) with time zone,
	"revoked_at" timestamp (3) with time zone,
	CONSTRAINT "api_keys_key_hash_unique" UNIQUE("key_hash")
);
--> statement-breakpoint
CREATE TABLE "libraries" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"tenant" text NOT NULL,
	"name" text NOT NULL,
	"base_model_id" text NOT NULL,
	"embedding_model_id" text NOT NULL,
	"dimension" integer NOT NULL,
	"metric" text NOT NULL,
	"module_shapes" jsonb DEFAULT '{}'::jsonb NOT NULL,
	"created_at" timestamp (3) with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "libraries_tenant_name_unique" UNIQUE("tenant","name"),
	CONSTRAINT "libraries_dimension_check" CHECK ("libraries"."dimension" BETWEEN 1 AND 16000),
	CONSTRAINT "libraries_metric_check" CHECK ("libraries"."metric" IN ('euclidean', 'cosine'))
);
--> statement-breakpoint
ALTER TABLE "adapters" ADD CONSTRAINT "adapters_library_id_libraries_id_fk" FOREIGN KEY ("library_id") REFERENCES "public"."libraries"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
CREATE UNIQUE INDEX "adapters_one_active_per_name" ON "adapters" USING btree ("library_id","name") WHERE "adapters"."status" = 'active';--> statement-breakpoint
CREATE INDEX "adapters_library_created_idx" ON "adapters" USING btree ("library_id","created_at","id");--> statement-breakpoint
CREATE INDEX "adapters_pending_updated_idx" ON "adapters" USING btree ("updated_at") WHERE "adapters"."status" = 'pending';