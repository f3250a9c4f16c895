CREATE TABLE "update_jobs" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"device_id" uuid NOT NULL,
	"release_id" uuid NOT NULL,
	"sha256" text NOT NULL,
	"state" text DEFAULT 'queued' NOT NULL,
	"phase" text,
	"waiting_reason" text,
	"reason" text,
	"detail" text,
	"bytes" integer,
	"total_bytes" integer,
	"rate" integer,
	"progress_seq" bigint,
	"deadline" timestamp with time zone NOT NULL,
	"created_by" text,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"dispatched_at" timestamp with time zone,
	"cancel_requested_at" timestamp with time zone,
	"started_at" timestamp with time zone,
	"ended_at" timestamp with time zone,
	"version" text,
	"rollout_id" uuid,
	"traceparent" text,
	CONSTRAINT "update_jobs_state_check" CHECK ("update_jobs"."state" in ('queued', 'waiting', 'running', 'succeeded', 'failed', 'cancelled'))
);
--> statement-breakpoint
ALTER TABLE "update_jobs" ADD CONSTRAINT "update_jobs_device_id_devices_id_fk" FOREIGN KEY ("device_id") REFERENCES "public"."devices"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "update_jobs" ADD CONSTRAINT "update_jobs_release_id_releases_id_fk" FOREIGN KEY ("release_id") REFERENCES "public"."releases"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
CREATE UNIQUE INDEX "update_jobs_active_device_uq" ON "update_jobs" USING btree ("device_id") WHERE "update_jobs"."state" in ('queued', 'waiting', 'running');--> statement-breakpoint
CREATE INDEX "update_jobs_device_idx" ON "update_jobs" USING btree ("device_id","created_at");--> statement-breakpoint
CREATE INDEX "update_jobs_active_deadline_idx" ON "update_jobs" USING btree ("deadline") WHERE "update_jobs"."state" in ('queued', 'waiting', 'running');--> statement-breakpoint
CREATE INDEX "update_jobs_rollout_idx" ON "update_jobs" USING btree ("rollout_id");