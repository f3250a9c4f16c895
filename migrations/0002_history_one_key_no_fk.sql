ALTER TABLE "device_state_history" DROP CONSTRAINT "device_state_history_device_id_devices_id_fk";
--> statement-breakpoint
DROP INDEX "device_state_history_device_ts_idx";--> statement-breakpoint
ALTER TABLE "device_state_history" DROP CONSTRAINT "device_state_history_gateway_id_seq_ts_pk";--> statement-breakpoint
ALTER TABLE "device_state_history" ADD CONSTRAINT "device_state_history_pkey" PRIMARY KEY("device_id","ts","seq","gateway_id");