/**
 * noble's bindings interface, implemented over the simulated radio. noble (lib/noble.js) calls
 * these methods and listens for these events, with these argument orders:
 *   stateChange(state) · addressChange(address) · scanParametersSet() · scanStart(filterDuplicates)
 *   scanStop() · discover(id, address, addressType, connectable, advertisement, rssi, scannable)
 *   connect(id, error|null) · disconnect(id, reason) · rssiUpdate(id, rssi) · onMtu(id, mtu)
 *   servicesDiscover(id, serviceUuids) · includedServicesDiscover(id, serviceUuid, uuids)
 *   characteristicsDiscover(id, serviceUuid, [{ uuid, properties }])
 *   read(id, serviceUuid, charUuid, data, isNotification) · write(id, serviceUuid, charUuid)
 *   notify(id, serviceUuid, charUuid, state) · descriptorsDiscover(id, serviceUuid, charUuid, uuids)
 *   valueRead(id, s, c, descriptorUuid, data) · valueWrite(id, s, c, descriptorUuid)
 *   handleRead(id, handle, data) · handleWrite(id, handle)
 * noble has no timeouts: whatever the peer never answers never settles.
 */
import { EventEmitter } from 'node:events';
import type { Clock } from '../clock.ts';
import type { GattClient } from './connection/gatt-client.ts';
import type { Link } from './connection/link.ts';
import type { ConnectParameters, LinkLayer } from './connection/link-layer.ts';
import type { Scanner } from './scanner.ts';

export type AdapterState = 'unknown' | 'poweredOn' | 'poweredOff';

export interface BindingsDeps {
  clock: Clock;
  scanner: Scanner;
  links: LinkLayer;
  gatt: GattClient;
  adapterAddress: string;
  gattLatencyMs: number;
}

export class SimBindings extends EventEmitter {
  private adapterState: AdapterState = 'unknown';

  constructor(private readonly deps: BindingsDeps) {
    super();
  }

  get state(): AdapterState {
    return this.adapterState;
  }

  /** noble calls this on its first stateChange listener (or first state read); answers asynchronously. */
  init(): void {
    this.deps.clock.setTimeout(() => {
      this.adapterState = 'poweredOn';
      this.emit('addressChange', this.deps.adapterAddress);
      this.emit('stateChange', 'poweredOn');
    }, 0);
  }

  setScanParameters(interval?: number, window?: number): void {
    this.deps.scanner.setParameters(interval, window);
  }

  startScanning(serviceUuids?: string[], allowDuplicates?: boolean): void {
    this.deps.scanner.start(serviceUuids, allowDuplicates);
  }

  stopScanning(): void {
    this.deps.scanner.stop();
  }

  connect(id: string, parameters?: ConnectParameters): void {
    this.deps.links.connect(id, parameters);
  }

  cancelConnect(id: string): void {
    this.deps.links.cancelConnect(id);
  }

  disconnect(id: string): void {
    this.deps.links.disconnect(id);
  }

  reset(): void {
    this.deps.links.reset();
    if (this.deps.scanner.active) this.deps.scanner.stop();
  }

  /** HCI Read RSSI is answered by the local controller, even when the peer's firmware hangs. */
  updateRssi(id: string): void {
    const link = this.deps.links.link(id);
    if (!link) return;
    this.deps.clock.setTimeout(() => {
      if (link.open) this.emit('rssiUpdate', id, this.deps.scanner.linkRssi(link.device));
    }, this.deps.gattLatencyMs);
  }

  discoverServices(id: string, uuids?: string[]): void {
    this.with(id, (link) => this.deps.gatt.discoverServices(link, uuids));
  }

  discoverIncludedServices(id: string, serviceUuid: string): void {
    this.with(id, (link) => this.deps.gatt.discoverIncludedServices(link, serviceUuid));
  }

  discoverCharacteristics(id: string, serviceUuid: string, characteristicUuids?: string[]): void {
    this.with(id, (link) => this.deps.gatt.discoverCharacteristics(link, serviceUuid, characteristicUuids));
  }

  read(id: string, serviceUuid: string, charUuid: string): void {
    this.with(id, (link) => this.deps.gatt.read(link, serviceUuid, charUuid));
  }

  write(id: string, serviceUuid: string, charUuid: string, data: ArrayBufferView, withoutResponse?: boolean): void {
    this.with(id, (link) =>
      this.deps.gatt.write(link, serviceUuid, charUuid, copyBytes(data), withoutResponse === true),
    );
  }

  broadcast(id: string): void {
    this.with(id, (link) => this.deps.gatt.broadcast(link));
  }

  notify(id: string, serviceUuid: string, charUuid: string, on: boolean): void {
    this.with(id, (link) => this.deps.gatt.notify(link, serviceUuid, charUuid, on));
  }

  discoverDescriptors(id: string, serviceUuid: string, charUuid: string): void {
    this.with(id, (link) => this.deps.gatt.discoverDescriptors(link, serviceUuid, charUuid));
  }

  readValue(id: string, serviceUuid: string, charUuid: string, descriptorUuid: string): void {
    this.with(id, (link) => this.deps.gatt.readValue(link, serviceUuid, charUuid, descriptorUuid));
  }

  writeValue(id: string, serviceUuid: string, charUuid: string, descriptorUuid: string, data: ArrayBufferView): void {
    this.with(id, (link) => this.deps.gatt.writeValue(link, serviceUuid, charUuid, descriptorUuid, copyBytes(data)));
  }

  readHandle(id: string, handle: number): void {
    this.with(id, (link) => this.deps.gatt.readHandle(link, handle));
  }

  writeHandle(id: string, handle: number, data: ArrayBufferView, withoutResponse?: boolean): void {
    this.with(id, (link) => this.deps.gatt.writeHandle(link, handle, copyBytes(data), withoutResponse === true));
  }

  /** Like noble's HCI bindings, a request for a peripheral that is not connected goes nowhere. */
  private with(id: string, op: (link: Link) => void): void {
    const link = this.deps.links.link(id);
    if (link) op(link);
  }
}

/** noble accepts Buffer, Uint8Array, Uint16Array and Uint32Array: take their bytes, as the HCI layer does. */
function copyBytes(data: ArrayBufferView): Buffer {
  return Buffer.from(new Uint8Array(data.buffer, data.byteOffset, data.byteLength));
}
