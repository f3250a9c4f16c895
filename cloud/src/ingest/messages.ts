/**
 * The messages the ingest pipeline queues, as it makes them from decoded payloads (pipeline.ts).
 */
import type {
  CommandResult,
  DeviceReport,
  GatewayStatus,
  topicMap,
  UpdateProgress,
  UpdateResult,
} from '@switchfleet/protocol';
import type { ReportRow } from './report-row.ts';

/** `handle`'s ticket for a message with no acknowledgement to hold (QoS 0, or one sent at once). */
export const NO_TICKET = -1;

/** A decoded message the pipeline does not write itself. */
export type AppliedMessage =
  | { name: 'commandResult'; gatewayId: string; address: string; value: CommandResult }
  | { name: 'gatewayStatus'; gatewayId: string; value: GatewayStatus }
  | { name: 'updateProgress'; gatewayId: string; address: string; value: UpdateProgress }
  | { name: 'updateResult'; gatewayId: string; address: string; value: UpdateResult };

/**
 * A report waits in the queue as the flat row it is written as, not as its decoded JSON: a batch's
 * reports outlive a young-generation collection or two while they wait, and every object that does is
 * copied (fewer objects per report, less work for the worker's collector).
 */
export type Message = ({ name: 'deviceState'; row: ReportRow } | AppliedMessage) & { ticket: number };

/** The message for a decoded payload, or null when the payload does not match its topic. */
export function toMessage(
  name: keyof typeof topicMap,
  gatewayId: string,
  address: string | undefined,
  value: unknown,
): Message | null {
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
    case 'updateProgress':
      return address ? { name, gatewayId, address, value: value as UpdateProgress, ticket: NO_TICKET } : null;
    case 'updateResult':
      return address ? { name, gatewayId, address, value: value as UpdateResult, ticket: NO_TICKET } : null;
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

/** What became of the messages, counted per outcome (and exported as sf_ingest_messages_total). */
export interface IngestStats {
  received: number;
  deviceStates: number;
  commandResults: number;
  /** Update jobs' progress and results applied. */
  updateReports: number;
  gatewayStatuses: number;
  /** Health snapshots (not stored; the latest per gateway is kept in memory). */
  gatewayHealth: number;
  /** Not JSON, too large, or not matching the topic's schema. */
  malformed: number;
  /** Well-formed but not applicable: unknown topic or gateway, mismatched address, unknown command. */
  rejected: number;
  /** Reports of a switch new to its gateway, refused: the gateway has its cap of switches (GATEWAY_MAX_DEVICES). */
  overCap: number;
  /** Reports stored in history but older than the state already applied for that switch. */
  stale: number;
  /** Reports already stored (the gateway's outbox delivered them again). */
  duplicates: number;
  /**
   * Dropped because the database write failed: for a reason no retry cures, or for longer than the
   * retry budget without a kept session (with one, such reports are left to the broker instead).
   */
  failed: number;
  /** Batched device-report writes (one statement each, see sql.ts), whatever their outcome. */
  reportBatches: number;
}
