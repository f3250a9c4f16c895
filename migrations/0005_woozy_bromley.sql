CREATE TABLE "release_images" (
	"sha256" text PRIMARY KEY NOT NULL,
	"bytes" "bytea" NOT NULL,
	"size" integer NOT NULL
);
--> statement-breakpoint
CREATE TABLE "release_reports" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"release_id" uuid NOT NULL,
	"sha256" text NOT NULL,
	"suite_version" text NOT NULL,
	"outcome" text NOT NULL,
	"cases" jsonb NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "release_reports_outcome_check" CHECK ("release_reports"."outcome" in ('passed', 'failed'))
);
--> statement-breakpoint
CREATE TABLE "releases" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"version" text NOT NULL,
	"hardware_id" text NOT NULL,
	"sha256" text NOT NULL,
	"size" integer NOT NULL,
	"state" text DEFAULT 'testing' NOT NULL,
	"reason" text,
	"key_id" text NOT NULL,
	"notes" text,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"created_by" text,
	"test_attempts" integer DEFAULT 0 NOT NULL,
	"lease_owner" text,
	"lease_until" timestamp with time zone,
	"revoked_at" timestamp with time zone,
	CONSTRAINT "releases_sha256_unique" UNIQUE("sha256"),
	CONSTRAINT "releases_state_check" CHECK ("releases"."state" in ('testing', 'passed', 'failed', 'revoked'))
);
--> statement-breakpoint
CREATE TABLE "signing_keys" (
	"id" text PRIMARY KEY NOT NULL,
	"public_key_pem" text NOT NULL,
	"label" text NOT NULL,
	"added_at" timestamp with time zone DEFAULT now() NOT NULL,
	"revoked_at" timestamp with time zone
);
--> statement-breakpoint
ALTER TABLE "release_reports" ADD CONSTRAINT "release_reports_release_id_releases_id_fk" FOREIGN KEY ("release_id") REFERENCES "public"."releases"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "releases" ADD CONSTRAINT "releases_sha256_release_images_sha256_fk" FOREIGN KEY ("sha256") REFERENCES "public"."release_images"("sha256") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "release_reports_release_idx" ON "release_reports" USING btree ("release_id","created_at");--> statement-breakpoint
CREATE INDEX "releases_hardware_idx" ON "releases" USING btree ("hardware_id");--> statement-breakpoint
CREATE INDEX "releases_testing_idx" ON "releases" USING btree ("created_at") WHERE "releases"."state" = 'testing';