/**
 * The Bot's broadcast (SwitchBotAPI-BLE, devicetypes/bot.md, "Bot Broadcast Message" and "(New)
 * Broadcast Message") and the two advertisement generations of the README's "UUID Update Notes".
 */
import { SwitchbotFrameError } from './switchbot-errors.ts';
import { SWITCHBOT_SERVICE_DATA_UUIDS } from './uuids.ts';

/** Device type 'H' (WoHand), byte 0 bits 6:0 of the service data. */
export const DEVICE_TYPE_BOT = 0x48;

/**
 * Company identifier of the manufacturer data (ADV_IND), followed by the device's MAC address.
 * README "UUID Update Notes": 0x0059 (Nordic) before Bot firmware 6.4, 0x0969 (Woan) from 6.4.
 */
export const COMPANY_ID_BEFORE_6_4 = 0x0059;
export const COMPANY_ID_FROM_6_4 = 0x0969;

/**
 * Broadcast service data: the three documented Bot bytes. A fourth byte, once sent by this project's
 * simulated firmware as a change counter, is still read when present (older simulator captures), but
 * real Bots send three bytes and the gateway never depends on it.
 */
export interface ServiceData {
  deviceType: number;
  mode: BotMode;
  /** Byte 1 bit 6: 0 means on, 1 means off. */
  on: boolean;
  battery: number;
  changeCounter?: number;
}

export type BotMode = 'press' | 'switch';

export function encodeServiceData(d: ServiceData): Buffer {
  const bytes = [
    d.deviceType & 0x7f,
    (d.mode === 'switch' ? 0x80 : 0) | (d.on ? 0 : 0x40),
    Math.max(0, Math.min(100, Math.round(d.battery))) & 0x7f,
  ];
  if (d.changeCounter !== undefined) bytes.push(d.changeCounter & 0xff);
  return Buffer.from(bytes);
}

export function decodeServiceData(data: Buffer): ServiceData {
  if (data.length < 3) throw new SwitchbotFrameError(`service data too short: ${data.length} bytes`);
  const out: ServiceData = {
    deviceType: data[0]! & 0x7f,
    mode: data[1]! & 0x80 ? 'switch' : 'press',
    on: (data[1]! & 0x40) === 0,
    battery: data[2]! & 0x7f,
  };
  if (data.length >= 4) out.changeCounter = data[3]!;
  return out;
}

/**
 * The Bot's service data in an advertisement (a map of service-data UUID to bytes, noble form), or
 * undefined when the advertiser is not a Bot: no service data under 0x0D00 (firmware before 6.4) nor
 * 0xFD3D (from 6.4), or another device type there (a Meter, a Curtain). Throws SwitchbotFrameError
 * when the bytes under those UUIDs are too short to read.
 */
export function botServiceData(serviceData: ReadonlyMap<string, Buffer>): ServiceData | undefined {
  for (const uuid of SWITCHBOT_SERVICE_DATA_UUIDS) {
    const bytes = serviceData.get(uuid);
    if (bytes === undefined) continue;
    const decoded = decodeServiceData(bytes);
    return decoded.deviceType === DEVICE_TYPE_BOT ? decoded : undefined;
  }
  return undefined;
}
