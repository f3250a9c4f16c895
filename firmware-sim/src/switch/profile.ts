/**
 * What a switch shows on the air: its GATT services (SwitchBot control, Device Information,
 * Battery) and its advertisement.
 */
import {
  BATTERY_LEVEL_CHAR,
  BATTERY_SERVICE,
  DEVICE_INFO_SERVICE,
  FIRMWARE_REVISION_CHAR,
  HARDWARE_REVISION_CHAR,
  MANUFACTURER_NAME_CHAR,
  MODEL_NUMBER_CHAR,
  SERIAL_NUMBER_CHAR,
  SWITCHBOT_NOTIFY_CHAR,
  SWITCHBOT_SERVICE,
  SWITCHBOT_SERVICE_DATA_UUIDS,
  SWITCHBOT_WRITE_CHAR,
  switchbot,
} from '@switchfleet/protocol';
import type { Advertisement } from '../radio/device.ts';
import type { GattModule, SwitchContext } from './behaviour.ts';

export const MANUFACTURER_NAME = 'SwitchFleet';
/**
 * Company identifier of the manufacturer data (little-endian on air) before Bot firmware 6.4; the
 * uuidUpdate() behaviour advertises the later one.
 */
export const COMPANY_ID = switchbot.COMPANY_ID_BEFORE_6_4;

export interface ControlPort {
  /** A frame written to the control characteristic. */
  request(frame: Buffer): void;
  /** The last response, for reads of the notify characteristic. */
  lastResponse(): Buffer;
}

export function controlModule(port: ControlPort): GattModule {
  return {
    service: {
      uuid: SWITCHBOT_SERVICE,
      characteristics: [
        { uuid: SWITCHBOT_WRITE_CHAR, properties: ['write', 'writeWithoutResponse'] },
        { uuid: SWITCHBOT_NOTIFY_CHAR, properties: ['read', 'notify'] },
      ],
    },
    read: (charUuid) => (charUuid === SWITCHBOT_NOTIFY_CHAR ? port.lastResponse() : undefined),
    write: (charUuid, data) => {
      if (charUuid !== SWITCHBOT_WRITE_CHAR) return false;
      // "All communication message data length is 1-20 bytes": the characteristic holds 20 bytes at
      // most, so a longer (prepared) write is refused at the ATT layer and never reaches the firmware.
      if (data.length < 1 || data.length > switchbot.MAX_FRAME_BYTES) return false;
      port.request(data);
      return true;
    },
  };
}

export const deviceInfoModule: GattModule = {
  service: {
    uuid: DEVICE_INFO_SERVICE,
    characteristics: [
      MANUFACTURER_NAME_CHAR,
      MODEL_NUMBER_CHAR,
      SERIAL_NUMBER_CHAR,
      HARDWARE_REVISION_CHAR,
      FIRMWARE_REVISION_CHAR,
    ].map((uuid) => ({ uuid, properties: ['read'] })),
  },
  read: (charUuid, ctx) => {
    const s = ctx.store;
    const text: Record<string, string> = {
      [MANUFACTURER_NAME_CHAR]: MANUFACTURER_NAME,
      [MODEL_NUMBER_CHAR]: s.model,
      [SERIAL_NUMBER_CHAR]: s.serial,
      [HARDWARE_REVISION_CHAR]: s.hardwareId,
      [FIRMWARE_REVISION_CHAR]: s.firmwareVersion,
    };
    const value = text[charUuid];
    return value === undefined ? undefined : Buffer.from(value, 'utf8');
  },
};

export const batteryModule: GattModule = {
  service: { uuid: BATTERY_SERVICE, characteristics: [{ uuid: BATTERY_LEVEL_CHAR, properties: ['read'] }] },
  read: (charUuid, ctx) => (charUuid === BATTERY_LEVEL_CHAR ? Buffer.from([ctx.reportedBattery()]) : undefined),
};

/** Manufacturer data: company identifier (little-endian) and the MAC address (bot.md, "SwitchBot Mode"). */
export function manufacturerData(companyId: number, address: string): Buffer {
  const company = Buffer.alloc(2);
  company.writeUInt16LE(companyId, 0);
  return Buffer.concat([company, Buffer.from(address.replace(/:/g, ''), 'hex')]);
}

/**
 * The advertisement of a Bot before firmware 6.4 in SwitchBot Mode (bot.md, "Broadcast Mode"):
 * manufacturer data with company and MAC, the 128-bit service UUID, service data under 0x0D00, and
 * no name (BLE_ADVDATA_NO_NAME in both the advertisement and the scan response).
 */
export function buildAdvertisement(address: string, ctx: SwitchContext, txPowerLevel: number): Advertisement {
  const s = ctx.store;
  return {
    txPowerLevel,
    manufacturerData: manufacturerData(COMPANY_ID, address),
    serviceData: [
      {
        uuid: SWITCHBOT_SERVICE_DATA_UUIDS[0],
        data: switchbot.encodeServiceData({
          deviceType: switchbot.DEVICE_TYPE_BOT,
          mode: s.mode,
          on: s.relayOn,
          battery: ctx.reportedBattery(),
        }),
      },
    ],
    serviceUuids: [SWITCHBOT_SERVICE],
    solicitationServiceUuids: [],
  };
}
