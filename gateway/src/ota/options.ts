/** What an update of one switch takes and what it ends with. */
import type { Logger } from 'pino';
import type { ConnectionPool } from '../ble/connections.ts';
import type { OtaErrorCode } from './errors.ts';
import type { OtaProgress } from './progress.ts';

export interface OtaTimeouts {
  /** Per SMP request. */
  responseMs: number;
  /** From a reset until the switch answers on a new link. */
  rebootMs: number;
  /** Failed attempts in a row, without progress, before the update gives up. */
  retries: number;
  retryBaseMs: number;
  retryMaxMs: number;
}

export const OTA_DEFAULTS: OtaTimeouts & { window: number } = {
  responseMs: 5000,
  rebootMs: 60_000,
  retries: 5,
  retryBaseMs: 500,
  retryMaxMs: 5000,
  window: 4,
};

export interface UpdateSwitchOptions {
  /** Connections to switches; the gateway's ConnectionPool. */
  pool: Pick<ConnectionPool, 'withConnection'>;
  /** Compact address, as the pool and the cloud name switches ("c0ffee000001"). */
  address: string;
  /** The signed MCUboot image file. */
  image: Buffer;
  /** SPKI PEM public keys an image must be signed with. */
  trustedKeys: readonly string[];
  onProgress?: (progress: OtaProgress) => void;
  signal?: AbortSignal;
  log?: Logger;
  /** Milliseconds clock for rates and the reboot deadline. Default Date.now. */
  now?: () => number;
  /** Upload requests in flight at once. Default 4. */
  window?: number;
  timeouts?: Partial<OtaTimeouts>;
  /**
   * A rollback to an older image: no version check and no SMP `upgrade` flag. Hash, signature,
   * hardware id and the switch's security counter (its bootloader's) still decide.
   */
  allowDowngrade?: boolean;
}

export interface OtaResult {
  address: string;
  status: 'succeeded' | 'failed';
  reason?: OtaErrorCode;
  detail?: string;
  /** The version the switch ran before, from Device Information; null if never read. */
  fromVersion: string | null;
  /** The image's version. */
  toVersion: string;
  /** What the switch runs at the end, as last seen. */
  runningVersion: string | null;
  /** Image bytes written to the switch by this update (less than the image when it resumed). */
  bytesUploaded: number;
  durationMs: number;
}
