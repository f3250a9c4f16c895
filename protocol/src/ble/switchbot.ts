/**
 * Codecs for the SwitchBot Bot BLE profile (SwitchBotAPI-BLE, devicetypes/bot.md), so that real Bots
 * and our simulated switches speak the same frames. Pure functions over bytes; no I/O.
 */

/** Every request frame starts with this magic byte. */
export const REQUEST_MAGIC = 0x57;

/** Header command nibble (byte 1, bits 3:0), version 0 and no encryption. */
export const Command = {
  action: 0x01,
  getBasicInfo: 0x02,
  setBasicInfo: 0x03,
} as const;

/** Action control byte of command 0x01. */
export const Action = { press: 0x00, on: 0x01, off: 0x02 } as const;
export type ActionName = keyof typeof Action;

/** Response status byte (byte 0 of every response). */
export const Status = {
  ok: 0x01,
  error: 0x02,
  busy: 0x03,
  versionIncompatible: 0x04,
  unsupported: 0x05,
  lowBattery: 0x06,
  encrypted: 0x07,
  unencrypted: 0x08,
  passwordError: 0x09,
} as const;
export type StatusName = keyof typeof Status;

const statusNames = new Map<number, StatusName>(
  Object.entries(Status).map(([name, code]) => [code, name as StatusName]),
);

export class SwitchbotFrameError extends Error {
  readonly code = 'SWITCHBOT_FRAME';
}

export function encodeActionRequest(action: ActionName): Buffer {
  return Buffer.from([REQUEST_MAGIC, Command.action, Action[action]]);
}

export function encodeGetBasicInfoRequest(): Buffer {
  return Buffer.from([REQUEST_MAGIC, Command.getBasicInfo]);
}

/** Mode byte of "set basic info": bits 7:4 mode (0 press, 1 on/off switch), bits 3:0 inverse. */
export function encodeSetModeRequest(mode: BotMode, inverse = false): Buffer {
  const modeBits = mode === 'switch' ? 0x10 : 0x00;
  // The document says the app must always send 100 (0x64) in payload byte 0.
  return Buffer.from([REQUEST_MAGIC, Command.setBasicInfo, 0x64, modeBits | (inverse ? 0x01 : 0x00)]);
}

export type BotMode = 'press' | 'switch';

export type Request =
  | { kind: 'action'; action: ActionName }
  | { kind: 'getBasicInfo' }
  | { kind: 'setMode'; mode: BotMode; inverse: boolean }
  | { kind: 'unknown'; command: number };

/** Parses a request frame as a switch does; throws SwitchbotFrameError on a frame that is not ours. */
export function decodeRequest(frame: Buffer): Request {
  if (frame.length < 2 || frame[0] !== REQUEST_MAGIC) {
    throw new SwitchbotFrameError(`not a request frame: ${frame.toString('hex')}`);
  }
  const command = frame[1]! & 0x0f;
  if (command === Command.action) {
    const code = frame.length > 2 ? frame[2]! : Action.press;
    const action = (Object.keys(Action) as ActionName[]).find((k) => Action[k] === code);
    return action ? { kind: 'action', action } : { kind: 'unknown', command };
  }
  if (command === Command.getBasicInfo) return { kind: 'getBasicInfo' };
  if (command === Command.setBasicInfo && frame.length >= 4) {
    const modeByte = frame[3]!;
    return { kind: 'setMode', mode: modeByte >> 4 === 1 ? 'switch' : 'press', inverse: (modeByte & 0x0f) === 1 };
  }
  return { kind: 'unknown', command };
}

export interface Response {
  status: StatusName | 'unknown';
  statusCode: number;
  payload: Buffer;
}

export function encodeResponse(status: StatusName, payload: Buffer = Buffer.alloc(0)): Buffer {
  return Buffer.concat([Buffer.from([Status[status]]), payload]);
}

export function decodeResponse(frame: Buffer): Response {
  if (frame.length < 1) throw new SwitchbotFrameError('empty response frame');
  const statusCode = frame[0]!;
  return { status: statusNames.get(statusCode) ?? 'unknown', statusCode, payload: frame.subarray(1) };
}

/**
 * Basic info (response to 0x02): byte 0 battery %, byte 1 firmware version in tenths, byte 8 act mode.
 * The document's example answer is 01 64 2C 64 0000 00A1 00 00 00 48 00.
 */
export interface BasicInfo {
  battery: number;
  firmwareTenths: number;
  mode: BotMode;
  inverse: boolean;
  /** Bytes 10..11 repeat service data bytes 0..1, so the relay state rides along (bit 6 of byte 11). */
  on?: boolean;
}

export function encodeBasicInfo(info: BasicInfo): Buffer {
  const p = Buffer.alloc(12);
  p[0] = info.battery;
  p[1] = info.firmwareTenths & 0xff;
  p[2] = 0x64; // press strength
  p[8] = (info.mode === 'switch' ? 0x10 : 0x00) | (info.inverse ? 0x01 : 0x00);
  p[10] = DEVICE_TYPE_BOT;
  p[11] = (info.mode === 'switch' ? 0x80 : 0) | (info.on === false ? 0x40 : 0);
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
  };
  if (payload.length >= 12) info.on = (payload[11]! & 0x40) === 0;
  return info;
}

/** Device type 'H' (WoHand), byte 0 bits 6:0 of the service data. */
export const DEVICE_TYPE_BOT = 0x48;

/**
 * Broadcast service data. Bytes 0..2 are the documented Bot fields; byte 3 is ours: a change
 * counter (mod 256) that firmware bumps on every state change, so a gateway listening passively can
 * tell a new state from a repeated advertisement. Real Bots send three bytes and no counter.
 */
export interface ServiceData {
  deviceType: number;
  mode: BotMode;
  /** Byte 1 bit 6: 0 means on, 1 means off. */
  on: boolean;
  battery: number;
  changeCounter?: number;
}

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
