CREATE TABLE "contributions" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"library_id" uuid NOT NULL,
	"adapter_id" uuid NOT NULL,
	"request_id" text NOT NULL,
	"rank" integer NOT NULL,
	"weight" double precision NOT NULL,
	"distance" double precision,
	"created_at" timestamp (3) with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "contributions_weight_check" CHECK ("contributions"."weight" BETWEEN 0 AND 1)
);
--> statement-breakpoint
ALTER TABLE "contributions" ADD CONSTRAINT "contributions_library_id_libraries_id_fk" FOREIGN KEY ("library_id") REFERENCES "public"."libraries"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "contributions" ADD CONSTRAINT "contributions_adapter_id_adapters_id_fk" FOREIGN KEY ("adapter_id") REFERENCES "public"."adapters"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "contributions_library_created_idx" ON "contributions" USING btree ("library_id","created_at");--> statement-breakpoint
CREATE INDEX "contributions_adapter_idx" ON "contributions" USING btree ("adapter_id");