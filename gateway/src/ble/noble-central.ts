/**
 * BleCentral over noble's public API. The same code drives a Pi's HCI socket and the simulator's
 * bindings; only the noble instance handed in differs (see noble-loader.ts).
 */
import type * as NobleModule from '@abandonware/noble';
import { compactAddress } from '@switchfleet/protocol';
import { BleError } from '../errors.ts';
import { TypedEvents, type ListenerErrorLog, type Off } from '../events.ts';
import type { Advertisement, BleCentral, BleLink, BleTimeouts } from './port.ts';
import { NobleLink } from './noble-link.ts';
import { withTimeout } from './timeout.ts';

export type Noble = typeof NobleModule;
type Peripheral = NobleModule.Peripheral;

export interface NobleCentralOptions {
  noble: Noble;
  timeouts: BleTimeouts;
  /** Only advertisements listing one of these services are passed on; empty passes all. */
  serviceUuids: string[];
  /** Where a failing advertisement or disconnect listener is reported. */
  log?: ListenerErrorLog;
}

export class NobleCentral implements BleCentral {
  private readonly noble: Noble;
  private readonly events: TypedEvents<{ advertisement: [ad: Advertisement] }>;
  private readonly peripherals = new Map<string, Peripheral>();
  private wantScanning = false;
  private pauses = 0;
  private started = false;

  constructor(private readonly options: NobleCentralOptions) {
    this.noble = options.noble;
    this.events = new TypedEvents('ble central', options.log);
  }

  get scanning(): boolean {
    return this.wantScanning;
  }

  async start(): Promise<void> {
    if (this.started) return;
    this.started = true;
    this.noble.on('discover', this.onDiscover);
    if (this.noble._state === 'poweredOn') return;
    await withTimeout(
      new Promise<void>((resolve) => {
        const onState = (state: string) => {
          if (state === 'poweredOn') {
            this.noble.removeListener('stateChange', onState);
            resolve();
          }
        };
        // Adding the first stateChange listener is what makes noble initialise its bindings.
        this.noble.on('stateChange', onState);
      }),
      this.options.timeouts.connectMs * 3,
      'waiting for the Bluetooth adapter to power on',
    ).catch((err: unknown) => {
      throw new BleError('BLE_NOT_READY', (err as Error).message, { cause: err });
    });
  }

  async startScanning(): Promise<void> {
    this.wantScanning = true;
    if (this.pauses === 0) await this.scan(true);
  }

  async stopScanning(): Promise<void> {
    this.wantScanning = false;
    await this.scan(false);
  }

  async pauseScanning(): Promise<void> {
    this.pauses += 1;
    if (this.pauses === 1 && this.wantScanning) await this.scan(false);
  }

  async resumeScanning(): Promise<void> {
    this.pauses = Math.max(0, this.pauses - 1);
    if (this.pauses === 0 && this.wantScanning) await this.scan(true);
  }

  private scan(on: boolean): Promise<void> {
    const { connectMs } = this.options.timeouts;
    // allowDuplicates: state travels in service data, so every advertisement matters.
    return on
      ? withTimeout(this.noble.startScanningAsync(this.options.serviceUuids, true), connectMs, 'start scanning')
      : withTimeout(this.noble.stopScanningAsync(), connectMs, 'stop scanning');
  }

  onAdvertisement(listener: (ad: Advertisement) => void): Off {
    return this.events.on('advertisement', listener);
  }

  async connect(address: string): Promise<BleLink> {
    const peripheral = this.peripherals.get(address);
    if (!peripheral) throw new BleError('BLE_NOT_FOUND', `switch ${address} has not been heard`);
    const { timeouts } = this.options;
    if (peripheral.state === 'connected') {
      // A connect we gave up on (timeout, cancel) can still complete at the controller later; that
      // orphan link is nobody's, so it is closed before a fresh one is made.
      await withTimeout(peripheral.disconnectAsync(), timeouts.connectMs, `disconnect stale link to ${address}`).catch(
        () => undefined,
      );
    }
    try {
      await withTimeout(peripheral.connectAsync(), timeouts.connectMs, `connect to ${address}`, () =>
        peripheral.cancelConnect(),
      );
    } catch (err) {
      if (err instanceof BleError) throw err;
      throw new BleError('BLE_CONNECT_FAILED', `connect to ${address} failed: ${(err as Error).message}`, {
        cause: err,
      });
    }
    try {
      // Discovery never settles when the peer stops answering, hence the timeout (noble has none).
      const { services } = await withTimeout(
        peripheral.discoverAllServicesAndCharacteristicsAsync(),
        timeouts.discoverMs,
        `discover services of ${address}`,
      );
      return new NobleLink(address, peripheral, services, timeouts, this.options.log);
    } catch (err) {
      await withTimeout(peripheral.disconnectAsync(), timeouts.connectMs, `disconnect ${address}`).catch(
        () => undefined,
      );
      throw err;
    }
  }

  async stop(): Promise<void> {
    this.noble.removeListener('discover', this.onDiscover);
    if (this.wantScanning) await this.stopScanning().catch(() => undefined);
    for (const p of this.peripherals.values()) {
      if (p.state === 'connected' || p.state === 'connecting') p.disconnect();
    }
  }

  private readonly onDiscover = (peripheral: Peripheral): void => {
    const address = compactAddress(
      peripheral.address && peripheral.address !== 'unknown' ? peripheral.address : peripheral.id,
    );
    this.peripherals.set(address, peripheral);
    const serviceData = new Map<string, Buffer>();
    for (const entry of peripheral.advertisement.serviceData ?? []) serviceData.set(entry.uuid, entry.data);
    const ad: Advertisement = {
      address,
      rssi: peripheral.rssi,
      serviceData,
      connectable: peripheral.connectable,
    };
    if (peripheral.advertisement.localName) ad.localName = peripheral.advertisement.localName;
    this.events.emit('advertisement', ad);
  };
}
