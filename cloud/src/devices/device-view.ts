/**
 * What `GET /v1/devices/:id` answers for a switch. Its own file so that the service that builds views
 * (devices.ts) and the cache that keeps them (view-cache.ts) both import it without importing each other.
 */
export interface DeviceView {
  id: string;
  name: string;
  model: string;
  firmwareVersion: string | null;
  /** Reachable now: the gateway hears the switch AND the gateway itself is connected. */
  online: boolean;
  /** Null until the relay state has been reported. */
  state: { on: boolean } | null;
  battery: number | null;
  rssi: number | null;
  lastSeen: string | null;
  roomId: string | null;
  /** The version the switch runs, and its update in progress (state, share of bytes moved) if any. */
  firmware: { version: string | null; update: { state: string; progress: number | null } | null };
}
