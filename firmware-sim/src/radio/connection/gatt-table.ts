/**
 * A device's attribute table with handles laid out as a GATT server does (Core Vol 3 Part G 3):
 * service declaration, then per characteristic a declaration, the value and, for notify/indicate,
 * a Client Characteristic Configuration descriptor (0x2902). Built per link, at connection time,
 * so a device whose firmware changed its services shows the new table on the next connection.
 */
import type { GattCharacteristic, GattService } from '../device.ts';

export const CCCD_UUID = '2902';

export type Attribute =
  | { kind: 'service'; service: string }
  | { kind: 'declaration'; service: string; characteristic: string }
  | { kind: 'value'; service: string; characteristic: string }
  | { kind: 'cccd'; service: string; characteristic: string };

interface CharEntry {
  def: GattCharacteristic;
  valueHandle: number;
  cccdHandle?: number;
}

export class GattTable {
  private readonly byHandle = new Map<number, Attribute>();
  private readonly services = new Map<string, { def: GattService; chars: Map<string, CharEntry> }>();

  constructor(defs: GattService[]) {
    let handle = 1;
    for (const def of defs) {
      const chars = new Map<string, CharEntry>();
      this.byHandle.set(handle++, { kind: 'service', service: def.uuid });
      for (const c of def.characteristics) {
        this.byHandle.set(handle++, { kind: 'declaration', service: def.uuid, characteristic: c.uuid });
        const entry: CharEntry = { def: c, valueHandle: handle };
        this.byHandle.set(handle++, { kind: 'value', service: def.uuid, characteristic: c.uuid });
        if (notifiable(c)) {
          entry.cccdHandle = handle;
          this.byHandle.set(handle++, { kind: 'cccd', service: def.uuid, characteristic: c.uuid });
        }
        chars.set(c.uuid, entry);
      }
      this.services.set(def.uuid, { def, chars });
    }
  }

  serviceUuids(): string[] {
    return [...this.services.keys()];
  }

  characteristics(serviceUuid: string): GattCharacteristic[] | undefined {
    const s = this.services.get(serviceUuid);
    return s && [...s.chars.values()].map((c) => c.def);
  }

  characteristic(serviceUuid: string, charUuid: string): GattCharacteristic | undefined {
    return this.services.get(serviceUuid)?.chars.get(charUuid)?.def;
  }

  attribute(handle: number): Attribute | undefined {
    return this.byHandle.get(handle);
  }

  valueHandle(serviceUuid: string, charUuid: string): number | undefined {
    return this.services.get(serviceUuid)?.chars.get(charUuid)?.valueHandle;
  }
}

export function notifiable(c: GattCharacteristic): boolean {
  return c.properties.includes('notify') || c.properties.includes('indicate');
}
