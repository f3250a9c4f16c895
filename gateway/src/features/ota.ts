/**
 * OTA as a gateway feature: one update per switch at a time, each ending in a terminal OtaResult;
 * stopping the gateway aborts updates in progress (they end ABORTED, and the switch, whatever
 * step it was at, still boots its old or its new image).
 */
import { compactAddress } from '@switchfleet/protocol';
import type { GatewayDeps } from '../deps.ts';
import type { DeviceRegistry } from '../devices/registry.ts';
import type { OtaProgress } from '../ota/progress.ts';
import type { OtaResult, OtaTimeouts } from '../ota/options.ts';
import { updateSwitch } from '../ota/update.ts';
import type { Feature } from './feature.ts';

export interface OtaFeatureOptions {
  /** SPKI PEM public keys images must be signed with. */
  trustedKeys: readonly string[];
  /** Upload requests in flight at once. Default 4. */
  window?: number;
  timeouts?: Partial<OtaTimeouts>;
}

export interface OtaUpdateOptions {
  onProgress?: (progress: OtaProgress) => void;
  signal?: AbortSignal;
  /** A rollback to an older image (UpdateSwitchOptions.allowDowngrade). */
  allowDowngrade?: boolean;
}

export interface OtaFeature extends Feature {
  /** Updates one switch. A switch already being updated answers at once with reason BUSY. */
  update(address: string, image: Buffer, options?: OtaUpdateOptions): Promise<OtaResult>;
  /** Compact addresses of the switches being updated now. */
  readonly active: readonly string[];
}

export function ota(
  deps: Pick<GatewayDeps, 'pool' | 'log' | 'now'> & { registry?: Pick<DeviceRegistry, 'update'> },
  options: OtaFeatureOptions,
): OtaFeature {
  const running = new Map<string, { result: Promise<OtaResult>; abort: AbortController }>();
  let stopping = false;

  return {
    name: 'ota',
    get active() {
      return [...running.keys()];
    },
    start() {},
    async stop() {
      stopping = true;
      for (const { abort } of running.values()) abort.abort();
      await Promise.allSettled([...running.values()].map((r) => r.result));
    },
    update(address, image, updateOptions = {}) {
      const key = compactAddress(address);
      const busy = (detail: string): Promise<OtaResult> =>
        Promise.resolve({
          address: key,
          status: 'failed',
          reason: stopping ? 'ABORTED' : 'BUSY',
          detail,
          fromVersion: null,
          toVersion: 'unknown',
          runningVersion: null,
          bytesUploaded: 0,
          durationMs: 0,
        });
      if (stopping) return busy('the gateway is stopping');
      if (running.has(key)) return busy(`an update of ${key} is already in progress`);
      const abort = new AbortController();
      const outer = updateOptions.signal;
      if (outer) outer.addEventListener('abort', () => abort.abort(), { once: true });
      const result = updateSwitch({
        pool: deps.pool,
        address: key,
        image,
        trustedKeys: options.trustedKeys,
        signal: abort.signal,
        log: deps.log,
        now: deps.now,
        ...(updateOptions.onProgress ? { onProgress: updateOptions.onProgress } : {}),
        ...(updateOptions.allowDowngrade ? { allowDowngrade: true } : {}),
        ...(options.window === undefined ? {} : { window: options.window }),
        ...(options.timeouts === undefined ? {} : { timeouts: options.timeouts }),
      })
        .then((r) => {
          // The version the switch runs after its reboot (or the one it went back to) is its identity
          // from now on: every later report carries it, so a stale one would undo the update upstream.
          if (r.runningVersion) deps.registry?.update(key, { firmwareVersion: r.runningVersion }, 'identity');
          return r;
        })
        .finally(() => running.delete(key));
      running.set(key, { result, abort });
      return result;
    },
  };
}
