/**
 * What the gateway knows about each switch it has heard. Features read and update it; the bridges
 * publish its changes. A switch enters only when it was heard, so nothing is ever reported online
 * before it was proven to exist. Names and removals made through the local bridge persist in the
 * DeviceBook; a removed switch is ignored until it is let in again while joining is permitted.
 */
import { TypedEvents, type ListenerErrorLog, type Off } from '../events.ts';
import type { DeviceBook } from './book.ts';

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
  /** The Bot's act mode from its advertisement (SwitchBotAPI-BLE bot.md, service data byte 1 bit 7). */
  mode?: 'press' | 'switch';
  /** Last advertisement change counter, to tell new state from repeated advertisements. */
  changeCounter?: number;
  lastSeen: number;
  online: boolean;
  interviewed: boolean;
  /**
   * When the record last changed (state, availability, identity, rssi), epoch ms: a change learnt
   * over a connection (a command's answer) is news of that moment although no advertisement came.
   */
  changedAt?: number;
}

export type DeviceChange = 'identity' | 'state' | 'availability' | 'rssi';

interface RegistryEvents {
  change: [rec: DeviceRecord, change: DeviceChange];
  added: [rec: DeviceRecord];
  renamed: [rec: DeviceRecord, oldName: string];
  removed: [rec: DeviceRecord];
}

export class DeviceRegistry {
  private readonly devices = new Map<string, DeviceRecord>();
  private readonly events: TypedEvents<RegistryEvents>;
  private permitJoinUntil = 0;

  constructor(
    private readonly book?: DeviceBook,
    private readonly now: () => number = Date.now,
    log?: ListenerErrorLog,
  ) {
    this.events = new TypedEvents<RegistryEvents>('registry', log);
  }

  /** True for a switch removed through the local bridge (until it is let in again). */
  isRemoved(address: string): boolean {
    return this.book?.isRemoved(address) ?? false;
  }

  get(address: string): DeviceRecord | undefined {
    return this.devices.get(address);
  }

  /** Finds a switch by friendly name, compact address, or "0x"-prefixed address. */
  resolve(id: string): DeviceRecord | undefined {
    const key = id.toLowerCase().replace(/^0x/, '').replace(/:/g, '');
    return this.devices.get(key) ?? this.all().find((d) => d.name === id);
  }

  /**
   * For a switch the book knows from an earlier run but not heard since this start (records are
   * rebuilt on every start and fill as advertisements arrive): resolves with its record once heard,
   * or undefined after `ms`. Undefined at once when the book does not know `id` either.
   */
  whenHeard(id: string, ms: number): Promise<DeviceRecord | undefined> | undefined {
    const book = this.book;
    const key = id.toLowerCase().replace(/^0x/, '').replace(/:/g, '');
    const address = book?.known().find((a) => a === key || book.nameOf(a) === id);
    if (!address) return undefined;
    return new Promise((resolve) => {
      const done = (found: DeviceRecord | undefined) => {
        clearTimeout(timer);
        off();
        resolve(found);
      };
      const onAdded = (added: DeviceRecord) => {
        if (added.address === address) done(added);
      };
      const timer = setTimeout(() => done(undefined), ms).unref();
      const off = this.events.on('added', onAdded);
    });
  }

  all(): DeviceRecord[] {
    return [...this.devices.values()];
  }

  /** Opens joining for `ms` (0 closes it): removed switches heard meanwhile are let in again. */
  permitJoin(ms: number): void {
    this.permitJoinUntil = ms > 0 ? this.now() + ms : 0;
  }

  /** End of the join window (epoch ms), or undefined when closed. */
  get permitJoinEnd(): number | undefined {
    return this.permitJoinUntil > this.now() ? this.permitJoinUntil : undefined;
  }

  /** Records that a switch was heard; creates its record on first contact. Undefined when removed. */
  heard(address: string, rssi: number, now: number): DeviceRecord | undefined {
    let rec = this.devices.get(address);
    if (!rec) {
      if (this.isRemoved(address)) {
        if (this.permitJoinEnd === undefined) return undefined;
        void this.book?.readmit(address);
      }
      const kept = this.book?.nameOf(address);
      const name = kept ?? `switch-${address.slice(-4)}`;
      // Remembered from first contact, so the next run knows it (and clears stale availability).
      if (!kept) void this.book?.setName(address, name);
      rec = { address, name, model: 'WoHand', lastSeen: now, online: true, interviewed: false, rssi };
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
        // The advertisement's change counter is bookkeeping, not news: it alone reports nothing.
        if (k !== 'changeCounter') changed = true;
      }
    }
    if (changed) this.emit(rec, change);
  }

  /** Renames a switch; the name persists. Listeners get the old name to clear its topics. */
  async rename(address: string, name: string): Promise<void> {
    const rec = this.devices.get(address);
    if (!rec) return;
    const old = rec.name;
    rec.name = name;
    await this.book?.setName(address, name);
    this.events.emit('renamed', rec, old);
    this.emit(rec, 'identity');
  }

  /** Forgets a switch and ignores it from now on (until joining is permitted and it is heard). */
  async remove(address: string): Promise<DeviceRecord | undefined> {
    const rec = this.devices.get(address);
    if (!rec) return undefined;
    this.devices.delete(address);
    await this.book?.remove(address);
    this.events.emit('removed', rec);
    return rec;
  }

  onChange(listener: (rec: DeviceRecord, change: DeviceChange) => void): Off {
    return this.events.on('change', listener);
  }

  onAdded(listener: (rec: DeviceRecord) => void): Off {
    return this.events.on('added', listener);
  }

  onRenamed(listener: (rec: DeviceRecord, oldName: string) => void): Off {
    return this.events.on('renamed', listener);
  }

  onRemoved(listener: (rec: DeviceRecord) => void): Off {
    return this.events.on('removed', listener);
  }

  private emit(rec: DeviceRecord, change: DeviceChange): void {
    rec.changedAt = this.now();
    this.events.emit('change', rec, change);
  }
}
