ALTER TABLE "gateways" ADD COLUMN "version" text;--> statement-breakpoint
ALTER TABLE "update_jobs" ADD COLUMN "cancel_pending" boolean DEFAULT false NOT NULL;--> statement-breakpoint
CREATE INDEX "devices_hardware_idx" ON "devices" USING btree ("hardware_id","id");--> statement-breakpoint
CREATE INDEX "devices_version_idx" ON "devices" USING btree ("firmware_version","id");