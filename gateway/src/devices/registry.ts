/**
 * What the gateway knows about each switch it has heard. Features read and update it; the bridge
 * publishes its changes. A switch enters only when it was heard, so nothing is ever reported online
 * before it was proven to exist.
 */
import { EventEmitter } from 'node:events';

export interface DeviceRecord {
  address: string;
  name: string;
  model: string;
  firmwareVersion?: string;
  hardwareId?: string;
  serial?: string;
  on?: boolean;
  battery?: number;
  rssi?: number;
  /** Last advertisement change counter, to tell new state from repeated advertisements. */
  changeCounter?: number;
  lastSeen: number;
  online: boolean;
  interviewed: boolean;
}

export type DeviceChange = 'identity' | 'state' | 'availability' | 'rssi';

export class DeviceRegistry {
  private readonly devices = new Map<string, DeviceRecord>();
  private readonly events = new EventEmitter();
  private readonly removed = new Set<string>();

  constructor() {
    this.events.setMaxListeners(0);
  }

  /** True for a switch removed through the local bridge (until it is let in again). */
  isRemoved(address: string): boolean {
    return this.removed.has(address);
  }

  get(address: string): DeviceRecord | undefined {
    return this.devices.get(address);
  }

  all(): DeviceRecord[] {
    return [...this.devices.values()];
  }

  /** Records that a switch was heard; creates its record on first contact. */
  heard(address: string, rssi: number, now: number): DeviceRecord {
    let rec = this.devices.get(address);
    if (!rec) {
      rec = { address, name: `switch-${address.slice(-4)}`, model: 'WoHand', lastSeen: now, online: true, interviewed: false, rssi };
      this.devices.set(address, rec);
      this.events.emit('added', rec);
      this.emit(rec, 'availability');
      return rec;
    }
    rec.lastSeen = now;
    if (!rec.online) {
      rec.online = true;
      this.emit(rec, 'availability');
    }
    return rec;
  }

  update(address: string, patch: Partial<Omit<DeviceRecord, 'address'>>, change: DeviceChange): void {
    const rec = this.devices.get(address);
    if (!rec) return;
    let changed = false;
    for (const [k, v] of Object.entries(patch) as [keyof DeviceRecord, unknown][]) {
      if (v !== undefined && rec[k] !== v) {
        (rec as unknown as Record<string, unknown>)[k] = v;
        changed = true;
      }
    }
    if (changed) this.emit(rec, change);
  }

  onChange(listener: (rec: DeviceRecord, change: DeviceChange) => void): () => void {
    this.events.on('change', listener);
    return () => this.events.off('change', listener);
  }

  onAdded(listener: (rec: DeviceRecord) => void): () => void {
    this.events.on('added', listener);
    return () => this.events.off('added', listener);
  }

  private emit(rec: DeviceRecord, change: DeviceChange): void {
    this.events.emit('change', rec, change);
  }
}
