ALTER TABLE "releases" ADD COLUMN "security_counter" bigint;--> statement-breakpoint
CREATE INDEX "rollout_devices_updating_idx" ON "rollout_devices" USING btree ("rollout_id") WHERE "rollout_devices"."state" = 'updating';--> statement-breakpoint
CREATE INDEX "rollout_devices_counts_idx" ON "rollout_devices" USING btree ("rollout_id","stage","state","fail_kind");