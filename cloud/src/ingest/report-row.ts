/**
 * The row every ingest stage passes on: parsed from a gateway's message (messages.ts), batched
 * (pipeline.ts), laid out as columns (columns.ts) and written (sql.ts). Its own file so that the
 * statement and its column layout both import it without importing each other.
 */
/** One device report, flattened. */
export interface ReportRow {
  gateway_id: string;
  seq: number;
  address: string;
  model: string;
  name: string | null;
  firmware_version: string | null;
  hardware_id: string | null;
  serial: string | null;
  online: boolean;
  on: boolean | null;
  battery: number | null;
  rssi: number | null;
  /** The gateway's ISO timestamp of the observation. */
  seen_at: string;
}
