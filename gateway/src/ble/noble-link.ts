import type * as NobleModule from '@abandonware/noble';
import { BleError } from '../errors.ts';
import { TypedEvents, type ListenerErrorLog, type Off } from '../events.ts';
import type { BleLink, BleTimeouts } from './port.ts';
import { withTimeout } from './timeout.ts';

type Peripheral = NobleModule.Peripheral;
type Characteristic = NobleModule.Characteristic;
type Service = NobleModule.Service;

/** One connected switch, as seen through noble. */
export class NobleLink implements BleLink {
  private readonly chars = new Map<string, Characteristic>();
  private readonly events: TypedEvents<{ disconnect: [reason: string] }>;
  private isConnected = true;
  private disconnectReason = '';

  constructor(
    readonly address: string,
    private readonly peripheral: Peripheral,
    services: Service[],
    private readonly timeouts: BleTimeouts,
    log?: ListenerErrorLog,
  ) {
    this.events = new TypedEvents('ble link', log);
    for (const s of services) for (const c of s.characteristics ?? []) this.chars.set(key(s.uuid, c.uuid), c);
    peripheral.once('disconnect', (reason: unknown) => {
      this.isConnected = false;
      this.disconnectReason = describeReason(reason);
      this.events.emit('disconnect', this.disconnectReason);
    });
  }

  get connected(): boolean {
    return this.isConnected;
  }

  get mtu(): number {
    return this.peripheral.mtu ?? 23;
  }

  hasCharacteristic(service: string, characteristic: string): boolean {
    return this.chars.has(key(service, characteristic));
  }

  async read(service: string, characteristic: string): Promise<Buffer> {
    const c = this.characteristic(service, characteristic);
    return this.guard(c.readAsync(), this.timeouts.readMs, `read ${characteristic} of ${this.address}`);
  }

  async write(service: string, characteristic: string, data: Buffer, withoutResponse = false): Promise<void> {
    const c = this.characteristic(service, characteristic);
    // writeAsync settles only when the bindings emit 'write' (noble/lib/characteristic.js).
    await this.guard(
      c.writeAsync(data, withoutResponse),
      this.timeouts.writeMs,
      `write ${characteristic} of ${this.address}`,
    );
  }

  async subscribe(service: string, characteristic: string, listener: (data: Buffer) => void): Promise<void> {
    const c = this.characteristic(service, characteristic);
    c.on('data', (data: Buffer, isNotification: boolean) => {
      if (isNotification !== false) listener(data);
    });
    await this.guard(c.subscribeAsync(), this.timeouts.writeMs, `subscribe ${characteristic} of ${this.address}`);
  }

  onDisconnect(listener: (reason: string) => void): Off {
    if (!this.isConnected) {
      queueMicrotask(() => listener(this.disconnectReason));
      return () => undefined;
    }
    return this.events.on('disconnect', listener);
  }

  async disconnect(): Promise<void> {
    if (!this.isConnected) return;
    await withTimeout(this.peripheral.disconnectAsync(), this.timeouts.connectMs, `disconnect ${this.address}`).catch(
      () => {
        // A disconnect that never confirms still frees our side; the controller's supervision timeout ends it.
        this.isConnected = false;
      },
    );
  }

  private characteristic(service: string, characteristic: string): Characteristic {
    if (!this.isConnected)
      throw new BleError('BLE_DISCONNECTED', `${this.address} is not connected (${this.disconnectReason})`);
    const c = this.chars.get(key(service, characteristic));
    if (!c)
      throw new BleError(
        'BLE_PROFILE',
        `${this.address} has no characteristic ${characteristic} in service ${service}`,
      );
    return c;
  }

  /** Races an operation against its timeout and against the link dropping. */
  private guard<T>(op: Promise<T>, ms: number, what: string): Promise<T> {
    let off: Off = () => {};
    const dropped = new Promise<never>((_, reject) => {
      off = this.onDisconnect((reason) =>
        reject(new BleError('BLE_DISCONNECTED', `${what}: link dropped (${reason})`)),
      );
    });
    return withTimeout(Promise.race([op, dropped]), ms, what).finally(off);
  }
}

function key(service: string, characteristic: string): string {
  return `${service}/${characteristic}`;
}

function describeReason(reason: unknown): string {
  if (reason === undefined || reason === null) return 'disconnected';
  if (typeof reason === 'number') return `HCI reason 0x${reason.toString(16).padStart(2, '0')}`;
  return String(reason);
}
