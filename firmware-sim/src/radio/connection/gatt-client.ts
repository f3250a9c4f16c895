/**
 * The central's GATT procedures over a simulated link, answering with the events noble's HCI
 * bindings emit (hci-socket/gatt.js), including their quirks: an ATT error on a read still
 * answers (with an empty value), an ATT error on a write or a notify subscription never answers,
 * and a peer that stops answering blocks the link's queue for good.
 */
import type { RadioDevice } from '../device.ts';
import { CCCD_UUID, notifiable } from './gatt-table.ts';
import type { Link } from './link.ts';
import type { Emit, LinkLayer } from './link-layer.ts';

export class GattClient {
  constructor(
    private readonly links: LinkLayer,
    private readonly emit: Emit,
  ) {}

  discoverServices(link: Link, uuids: string[] | undefined): void {
    this.answer(link, 1, 4, () => {
      const wanted = uuids ?? [];
      const found = link.table.serviceUuids().filter((u) => wanted.length === 0 || wanted.includes(u));
      this.emit('servicesDiscover', link.id, found);
    });
  }

  discoverIncludedServices(link: Link, serviceUuid: string): void {
    this.answer(link, 1, 4, () => this.emit('includedServicesDiscover', link.id, serviceUuid, []));
  }

  discoverCharacteristics(link: Link, serviceUuid: string, uuids: string[] | undefined): void {
    this.answer(link, 1, 4, () => {
      const wanted = uuids ?? [];
      const found = (link.table.characteristics(serviceUuid) ?? [])
        .filter((c) => wanted.length === 0 || wanted.includes(c.uuid))
        .map((c) => ({ uuid: c.uuid, properties: [...c.properties] }));
      this.emit('characteristicsDiscover', link.id, serviceUuid, found);
    });
  }

  read(link: Link, serviceUuid: string, charUuid: string): void {
    const value = () => {
      const c = link.table.characteristic(serviceUuid, charUuid);
      if (!c?.properties.includes('read')) return Buffer.alloc(0);
      return link.device.readCharacteristic(serviceUuid, charUuid) ?? Buffer.alloc(0);
    };
    this.answer(link, 1, 3, () => this.emit('read', link.id, serviceUuid, charUuid, value(), false), value);
  }

  write(link: Link, serviceUuid: string, charUuid: string, data: Buffer, withoutResponse: boolean): void {
    const c = link.table.characteristic(serviceUuid, charUuid);
    const device = link.device;
    if (withoutResponse) {
      // A Write Command has no answer: noble reports it written once it is sent.
      const payload = data.subarray(0, link.mtu - 3);
      this.links.exchange(link, {
        bytes: payload.length + 3,
        roundTrips: 1,
        run: () => {
          if (device.answersGatt() && c?.properties.includes('writeWithoutResponse')) {
            device.writeCharacteristic(serviceUuid, charUuid, payload, true);
          }
          this.emit('write', link.id, serviceUuid, charUuid);
          return 'done';
        },
      });
      return;
    }
    // Longer than one PDU: prepared writes of ATT_MTU − 5 bytes and an execute (Core Vol 3 Part G 4.9.4).
    const roundTrips = data.length + 3 > link.mtu ? Math.ceil(data.length / (link.mtu - 5)) + 1 : 1;
    this.links.exchange(link, {
      bytes: data.length + 3 + 2 * roundTrips,
      roundTrips,
      run: () => {
        if (!device.answersGatt()) return 'stall';
        const accepted =
          c?.properties.includes('write') === true && device.writeCharacteristic(serviceUuid, charUuid, data, false);
        // The write itself may hang the firmware (e.g. the dies() behaviour): then no response either.
        if (!device.answersGatt()) return 'stall';
        if (accepted) this.emit('write', link.id, serviceUuid, charUuid);
        return 'done';
      },
    });
  }

  /** Writes the CCCD; a characteristic without one answers nothing (noble waits forever). */
  notify(link: Link, serviceUuid: string, charUuid: string, on: boolean): void {
    const c = link.table.characteristic(serviceUuid, charUuid);
    this.answer(link, 2, 9, () => {
      if (!c || !notifiable(c)) return;
      link.setSubscribed(serviceUuid, charUuid, on);
      this.emit('notify', link.id, serviceUuid, charUuid, on);
    });
  }

  /** No simulated characteristic has a Server Characteristic Configuration descriptor. */
  broadcast(link: Link): void {
    this.answer(link, 1, 4, () => undefined);
  }

  discoverDescriptors(link: Link, serviceUuid: string, charUuid: string): void {
    const c = link.table.characteristic(serviceUuid, charUuid);
    this.answer(link, 1, 4, () =>
      this.emit('descriptorsDiscover', link.id, serviceUuid, charUuid, c && notifiable(c) ? [CCCD_UUID] : []),
    );
  }

  readValue(link: Link, serviceUuid: string, charUuid: string, descriptorUuid: string): void {
    this.answer(link, 1, 5, () => {
      const isCccd = descriptorUuid === CCCD_UUID && this.hasCccd(link, serviceUuid, charUuid);
      const data = isCccd ? cccdValue(link.isSubscribed(serviceUuid, charUuid)) : Buffer.alloc(0);
      this.emit('valueRead', link.id, serviceUuid, charUuid, descriptorUuid, data);
    });
  }

  writeValue(link: Link, serviceUuid: string, charUuid: string, descriptorUuid: string, data: Buffer): void {
    this.answer(link, 1, data.length + 3, () => {
      if (descriptorUuid !== CCCD_UUID || !this.hasCccd(link, serviceUuid, charUuid)) return;
      link.setSubscribed(serviceUuid, charUuid, ((data[0] ?? 0) & 0x03) !== 0);
      this.emit('valueWrite', link.id, serviceUuid, charUuid, descriptorUuid);
    });
  }

  readHandle(link: Link, handle: number): void {
    this.answer(link, 1, 3, () => {
      const attr = link.table.attribute(handle);
      let data: Buffer = Buffer.alloc(0);
      if (attr?.kind === 'value') data = link.device.readCharacteristic(attr.service, attr.characteristic) ?? data;
      if (attr?.kind === 'cccd') data = cccdValue(link.isSubscribed(attr.service, attr.characteristic));
      this.emit('handleRead', link.id, handle, data);
    });
  }

  writeHandle(link: Link, handle: number, data: Buffer, withoutResponse: boolean): void {
    const device = link.device;
    this.links.exchange(link, {
      bytes: data.length + 3,
      roundTrips: 1,
      run: () => {
        const answers = device.answersGatt();
        if (!answers && !withoutResponse) return 'stall';
        const attr = link.table.attribute(handle);
        let accepted = false;
        if (answers && attr?.kind === 'value') {
          accepted = device.writeCharacteristic(attr.service, attr.characteristic, data, withoutResponse);
        }
        if (answers && attr?.kind === 'cccd') {
          link.setSubscribed(attr.service, attr.characteristic, ((data[0] ?? 0) & 0x03) !== 0);
          accepted = true;
        }
        if (withoutResponse || accepted) this.emit('handleWrite', link.id, handle);
        return 'done';
      },
    });
  }

  private hasCccd(link: Link, serviceUuid: string, charUuid: string): boolean {
    const c = link.table.characteristic(serviceUuid, charUuid);
    return c !== undefined && notifiable(c);
  }

  /** One request the peer must answer; a peer that does not answer stalls the link. */
  private answer(link: Link, roundTrips: number, bytes: number, respond: () => void, size?: () => Buffer): void {
    const device: RadioDevice = link.device;
    // Long reads continue with Read Blob while a response fills the MTU (Core Vol 3 Part G 4.8.3).
    const blobs = size ? Math.floor(size().length / (link.mtu - 1)) : 0;
    this.links.exchange(link, {
      bytes: bytes + (size ? size().length : 0),
      roundTrips: roundTrips + blobs,
      run: () => {
        if (!device.answersGatt()) return 'stall';
        respond();
        return 'done';
      },
    });
  }
}

function cccdValue(subscribed: boolean): Buffer {
  const b = Buffer.alloc(2);
  b.writeUInt16LE(subscribed ? 0x0001 : 0x0000, 0);
  return b;
}
