/**
 * A per-instance read cache of `GET /v1/devices/:id` answers: the app reads a device far more often
 * than it changes. Only found views are cached (a miss always asks the database, so newly granted
 * access shows at once). Entries go when an event names the device (state reports, command
 * outcomes, shadow writes, membership changes: the event bus reaches every instance), when this
 * instance changes what a view shows (rename, room, gateway presence) or who may see it (a member
 * removed), and after `ttlMs` at the latest: that bounds how long another instance's change without
 * an event (a gateway going offline there) can go unseen here.
 */
import type { DeviceView } from './device-view.ts';

/** Taken before a database read; a view read under an outdated token is not stored. */
export interface CacheToken {
  all: number;
  device: number;
}

interface Entry {
  view: DeviceView;
  expires: number;
}

export class DeviceViewCache {
  readonly #entries = new Map<string, Entry>();
  readonly #keysOfDevice = new Map<string, Set<string>>();
  readonly #deviceGeneration = new Map<string, number>();
  #generation = 0;

  constructor(
    private readonly ttlMs = 1000,
    private readonly maxEntries = 10_000,
    private readonly now: () => number = Date.now,
  ) {}

  get(userId: string, deviceId: string): DeviceView | undefined {
    const key = `${userId}/${deviceId}`;
    const entry = this.#entries.get(key);
    if (!entry) return undefined;
    if (entry.expires <= this.now()) {
      this.#entries.delete(key);
      return undefined;
    }
    return entry.view;
  }

  token(deviceId: string): CacheToken {
    return { all: this.#generation, device: this.#deviceGeneration.get(deviceId) ?? 0 };
  }

  set(userId: string, deviceId: string, view: DeviceView, token: CacheToken): void {
    if (token.all !== this.#generation || token.device !== (this.#deviceGeneration.get(deviceId) ?? 0)) return;
    if (this.#entries.size >= this.maxEntries) this.clear();
    const key = `${userId}/${deviceId}`;
    this.#entries.set(key, { view, expires: this.now() + this.ttlMs });
    let keys = this.#keysOfDevice.get(deviceId);
    if (!keys) {
      keys = new Set();
      this.#keysOfDevice.set(deviceId, keys);
    }
    keys.add(key);
  }

  forgetDevice(deviceId: string): void {
    this.#deviceGeneration.set(deviceId, (this.#deviceGeneration.get(deviceId) ?? 0) + 1);
    for (const key of this.#keysOfDevice.get(deviceId) ?? []) this.#entries.delete(key);
    this.#keysOfDevice.delete(deviceId);
  }

  clear(): void {
    this.#generation += 1;
    this.#entries.clear();
    this.#keysOfDevice.clear();
    this.#deviceGeneration.clear();
  }
}
