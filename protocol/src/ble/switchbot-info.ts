/**
 * The Bot's basic info (SwitchBotAPI-BLE, devicetypes/bot.md, "0x02 Get Device Basic Info") and the
 * act mode byte it shares with "0x03 Set Device Basic Info".
 */
import { DEVICE_TYPE_BOT, encodeServiceData, type BotMode } from './switchbot-broadcast.ts';
import { SwitchbotFrameError } from './switchbot-errors.ts';

/** Bits 7:4 mode (0 one-state press, 1 two-state switch), bits 3:0 inverse. */
export function actMode(mode: BotMode, inverse: boolean): number {
  return (mode === 'switch' ? 0x10 : 0x00) | (inverse ? 0x01 : 0x00);
}

/**
 * Basic info (answer to 0x02): byte 0 battery %, 1 firmware version in tenths, 2 press strength,
 * 7 timer count, 8 act mode, 9 hold (long press) seconds, 10..11 service data bytes 0..1. The
 * document's example answer is 01 64 2C 64 0000 00A1 00 00 00 48 00.
 */
export interface BasicInfo {
  battery: number;
  firmwareTenths: number;
  mode: BotMode;
  inverse: boolean;
  /** Bytes 10..11 repeat service data bytes 0..1, so the relay state rides along (bit 6 of byte 11). */
  on?: boolean;
  strength?: number;
  timers?: number;
  holdSeconds?: number;
}

export function encodeBasicInfo(info: BasicInfo): Buffer {
  const p = Buffer.alloc(12);
  p[0] = info.battery;
  p[1] = info.firmwareTenths & 0xff;
  p[2] = info.strength ?? 0x64;
  p[7] = info.timers ?? 0;
  p[8] = actMode(info.mode, info.inverse);
  p[9] = info.holdSeconds ?? 0;
  const { mode, battery } = info;
  const sd = encodeServiceData({ deviceType: DEVICE_TYPE_BOT, mode, on: info.on !== false, battery });
  sd.copy(p, 10, 0, 2);
  return p;
}

export function decodeBasicInfo(payload: Buffer): BasicInfo {
  if (payload.length < 9) throw new SwitchbotFrameError(`basic info too short: ${payload.length} bytes`);
  const act = payload[8]!;
  const info: BasicInfo = {
    battery: payload[0]!,
    firmwareTenths: payload[1]!,
    mode: act >> 4 === 1 ? 'switch' : 'press',
    inverse: (act & 0x0f) === 1,
    strength: payload[2]!,
    timers: payload[7]!,
  };
  if (payload.length >= 10) info.holdSeconds = payload[9]!;
  if (payload.length >= 12) info.on = (payload[11]! & 0x40) === 0;
  return info;
}
