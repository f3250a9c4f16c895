/**
 * The messages the ingest pipeline queues, as it makes them from decoded payloads (ingest-pipeline.ts).
 */
import type { CommandResult, DeviceReport, GatewayStatus, topicMap } from '@switchfleet/protocol';
import type { ReportRow } from './ingest-sql.ts';

/** `handle`'s ticket for a message with no acknowledgement to hold (QoS 0, or one sent at once). */
export const NO_TICKET = -1;

/** A decoded message the pipeline does not write itself. */
export type AppliedMessage =
  | { name: 'commandResult'; gatewayId: string; address: string; value: CommandResult }
  | { name: 'gatewayStatus'; gatewayId: string; value: GatewayStatus };

/**
 * A report waits in the queue as the flat row it is written as, not as its decoded JSON: a batch's
 * reports outlive a young-generation collection or two while they wait, and every object that does is
 * copied (fewer objects per report, less work for the worker's collector).
 */
export type Message = ({ name: 'deviceState'; row: ReportRow } | AppliedMessage) & { ticket: number };

/** The message for a decoded payload, or null when the payload does not match its topic. */
export function toMessage(name: keyof typeof topicMap, gatewayId: string, address: string | undefined, value: unknown): Message | null {
  switch (name) {
    case 'gatewayStatus':
      return { name, gatewayId, value: value as GatewayStatus, ticket: NO_TICKET };
    case 'deviceState': {
      const report = value as DeviceReport;
      // The topic's address level and the payload's identity must name the same switch.
      if (!address || report.device.address !== address) return null;
      return { name, row: toRow(gatewayId, report), ticket: NO_TICKET };
    }
    case 'commandResult':
      return address ? { name, gatewayId, address, value: value as CommandResult, ticket: NO_TICKET } : null;
    default:
      return null;
  }
}

function toRow(gatewayId: string, r: DeviceReport): ReportRow {
  return {
    gateway_id: gatewayId,
    seq: r.seq,
    address: r.device.address,
    model: r.device.model,
    name: r.device.name ?? null,
    firmware_version: r.device.firmwareVersion ?? null,
    hardware_id: r.device.hardwareId ?? null,
    serial: r.device.serial ?? null,
    online: r.online,
    on: r.state?.on ?? null,
    battery: r.battery ?? null,
    rssi: r.rssi ?? null,
    seen_at: r.ts,
  };
}
