CREATE TABLE "rollout_devices" (
	"rollout_id" uuid NOT NULL,
	"device_id" uuid NOT NULL,
	"stage" integer,
	"state" text NOT NULL,
	"active" boolean NOT NULL,
	"wait_reason" text,
	"fail_kind" text,
	"reason" text,
	"attempts" integer DEFAULT 0 NOT NULL,
	"retry_at" timestamp with time zone,
	"job_id" uuid,
	"previous_version" text,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "rollout_devices_rollout_id_device_id_pk" PRIMARY KEY("rollout_id","device_id"),
	CONSTRAINT "rollout_devices_state_check" CHECK ("rollout_devices"."state" in ('pending', 'waiting', 'updating', 'succeeded', 'failed', 'reverted', 'skipped', 'cancelled')),
	CONSTRAINT "rollout_devices_fail_kind_check" CHECK ("rollout_devices"."fail_kind" in ('failed', 'reverted', 'timeout'))
);
--> statement-breakpoint
CREATE TABLE "rollout_stages" (
	"rollout_id" uuid NOT NULL,
	"index" integer NOT NULL,
	"state" text DEFAULT 'pending' NOT NULL,
	"success_met_at" timestamp with time zone,
	"approved_by" text,
	"approved_at" timestamp with time zone,
	"started_at" timestamp with time zone,
	"ended_at" timestamp with time zone,
	CONSTRAINT "rollout_stages_rollout_id_index_pk" PRIMARY KEY("rollout_id","index"),
	CONSTRAINT "rollout_stages_state_check" CHECK ("rollout_stages"."state" in ('pending', 'running', 'soaking', 'awaiting_approval', 'passed', 'failed'))
);
--> statement-breakpoint
CREATE TABLE "rollouts" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"release_id" uuid NOT NULL,
	"spec" jsonb NOT NULL,
	"state" text NOT NULL,
	"current_stage" integer DEFAULT 0 NOT NULL,
	"reason" text,
	"detail" text,
	"parent_id" uuid,
	"created_by" text,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	"started_at" timestamp with time zone,
	"ended_at" timestamp with time zone,
	"planned_makespan_seconds" integer NOT NULL,
	"lower_bound_seconds" integer NOT NULL,
	"draining" boolean DEFAULT false NOT NULL,
	"lease_owner" text,
	"lease_until" timestamp with time zone,
	CONSTRAINT "rollouts_state_check" CHECK ("rollouts"."state" in ('draft', 'awaiting_approval', 'running', 'paused', 'completed', 'cancelled', 'halted', 'rolled_back'))
);
--> statement-breakpoint
ALTER TABLE "homes" ADD COLUMN "time_zone" text DEFAULT 'UTC' NOT NULL;--> statement-breakpoint
ALTER TABLE "rollout_devices" ADD CONSTRAINT "rollout_devices_rollout_id_rollouts_id_fk" FOREIGN KEY ("rollout_id") REFERENCES "public"."rollouts"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "rollout_devices" ADD CONSTRAINT "rollout_devices_device_id_devices_id_fk" FOREIGN KEY ("device_id") REFERENCES "public"."devices"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "rollout_stages" ADD CONSTRAINT "rollout_stages_rollout_id_rollouts_id_fk" FOREIGN KEY ("rollout_id") REFERENCES "public"."rollouts"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "rollouts" ADD CONSTRAINT "rollouts_release_id_releases_id_fk" FOREIGN KEY ("release_id") REFERENCES "public"."releases"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
CREATE UNIQUE INDEX "rollout_devices_active_device_uq" ON "rollout_devices" USING btree ("device_id") WHERE "rollout_devices"."active";--> statement-breakpoint
CREATE INDEX "rollout_devices_open_idx" ON "rollout_devices" USING btree ("rollout_id","stage") WHERE "rollout_devices"."state" in ('pending', 'waiting', 'updating');--> statement-breakpoint
CREATE INDEX "rollouts_workable_idx" ON "rollouts" USING btree ("lease_until") WHERE "rollouts"."state" in ('awaiting_approval', 'running', 'paused') or "rollouts"."draining";--> statement-breakpoint
CREATE INDEX "rollouts_created_idx" ON "rollouts" USING btree ("created_at");--> statement-breakpoint
CREATE INDEX "rollouts_parent_idx" ON "rollouts" USING btree ("parent_id");