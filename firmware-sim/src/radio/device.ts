/**
 * The contract between the simulated radio (the central's controller and the air around it) and a
 * simulated peripheral. The radio knows nothing about SwitchBot frames: anything that implements
 * RadioDevice can be heard, connected to and browsed over GATT.
 */
import type { Clock } from '../clock.ts';
import type { Rng } from '../rng.ts';

/** Characteristic properties, spelled as noble reports them (Core Vol 3 Part G 3.3.1.1). */
export type CharacteristicProperty =
  | 'broadcast'
  | 'read'
  | 'writeWithoutResponse'
  | 'write'
  | 'notify'
  | 'indicate'
  | 'authenticatedSignedWrites'
  | 'extendedProperties';

export interface GattCharacteristic {
  uuid: string;
  properties: CharacteristicProperty[];
}

export interface GattService {
  uuid: string;
  characteristics: GattCharacteristic[];
}

/** An advertisement in the shape noble's bindings hand to noble (hci-socket/gap.js parseServices). */
export interface Advertisement {
  localName?: string;
  txPowerLevel?: number;
  manufacturerData?: Buffer;
  serviceData: { uuid: string; data: Buffer }[];
  serviceUuids: string[];
  solicitationServiceUuids: string[];
}

export interface RadioDevice {
  /** noble's peripheral id: the address without colons, lower case. */
  readonly id: string;
  /** "aa:bb:cc:dd:ee:ff". */
  readonly address: string;
  readonly addressType: 'public' | 'random';
  readonly advertisingIntervalMs: number;
  /** Received power at 1 m, dBm (the reference of the log-distance path loss model). */
  readonly txPowerAt1mDbm: number;
  readonly distanceM: number;
  /** Largest ATT_MTU the device agrees to in the MTU exchange. */
  readonly maxMtu: number;
  /** Powered with its link layer running. A device that goes off air loses its links for good. */
  isOnAir(): boolean;
  /** The advertisement for this advertising event, or null when the device stays silent. */
  advertise(): Advertisement | null;
  acceptsConnection(): boolean;
  /** Whether the GATT server answers requests; a hung firmware keeps the link but never answers. */
  answersGatt(): boolean;
  gattServices(): GattService[];
  /** Value of a readable characteristic; undefined answers an ATT error. */
  readCharacteristic(serviceUuid: string, charUuid: string): Buffer | undefined;
  /** Returns false when the write is refused with an ATT error. */
  writeCharacteristic(serviceUuid: string, charUuid: string, data: Buffer, withoutResponse: boolean): boolean;
  linkOpened(): void;
  linkClosed(reason: number): void;
}

/** What the radio offers a device it hosts. */
export interface DeviceHost {
  readonly clock: Clock;
  /** An independent random stream for this device and purpose, derived from the radio's seed. */
  rng(label: string): Rng;
  /** Sends a notification; false when there is no link or the central has not subscribed. */
  notify(device: RadioDevice, serviceUuid: string, charUuid: string, data: Buffer): boolean;
  /** The device ends its link (LL_TERMINATE_IND) with an HCI reason. */
  disconnect(device: RadioDevice, reason: number): void;
  /** Power, range or liveness changed: links and pending connections are re-evaluated. */
  changed(device: RadioDevice): void;
  /** Whether the device holds a link (it forgets it at once when it loses power or reboots). */
  isConnected(device: RadioDevice): boolean;
}
