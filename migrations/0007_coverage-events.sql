CREATE TABLE "coverage_events" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"library_id" uuid NOT NULL,
	"request_id" text NOT NULL,
	"embedding" vector NOT NULL,
	"nearest" jsonb NOT NULL,
	"score" double precision NOT NULL,
	"created_at" timestamp (3) with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
ALTER TABLE "coverage_events" ADD CONSTRAINT "coverage_events_library_id_libraries_id_fk" FOREIGN KEY ("library_id") REFERENCES "public"."libraries"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "coverage_events_library_created_idx" ON "coverage_events" USING btree ("library_id","created_at");