/**
 * Codecs for the SwitchBot Bot BLE profile (SwitchBotAPI-BLE, devicetypes/bot.md), so that real Bots
 * and our simulated switches speak the same frames. Pure functions over bytes; no I/O.
 */
import type { BotMode } from './switchbot-broadcast.ts';
import { SwitchbotFrameError } from './switchbot-errors.ts';
import { actMode } from './switchbot-info.ts';
import {
  decodeTimerTask,
  decodeTimestamp,
  encodeTimerTask,
  encodeTimestamp,
  TIMER_SLOTS,
  TIMER_TASK_BYTES,
  TIMESTAMP_BYTES,
  TimeSubcommand,
  type TimerTask,
} from './switchbot-timers.ts';

export * from './switchbot-broadcast.ts';
export * from './switchbot-errors.ts';
export * from './switchbot-info.ts';
export * from './switchbot-timers.ts';

/** Every request frame starts with this magic byte. */
export const REQUEST_MAGIC = 0x57;

/** "All communication message data length is 1-20 bytes, i.e. MTU=20" (Basic Format). */
export const MAX_FRAME_BYTES = 20;

/** Header command nibble (byte 1, bits 3:0). */
export const Command = {
  action: 0x01,
  getBasicInfo: 0x02,
  setBasicInfo: 0x03,
  getTimeInfo: 0x08,
  setTimeInfo: 0x09,
  /** "Enable command_ext in Byte: 2". */
  extended: 0x0f,
} as const;

/** command_ext of command 0x0f. */
export const ExtendedCommand = { setLongPress: 0x08 } as const;

/** Action control byte of command 0x01: push and pull back, light switch on / off, push stop, back. */
export const Action = { press: 0x00, on: 0x01, off: 0x02, pushStop: 0x03, back: 0x04 } as const;
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
  unsupportedEncryption: 0x0a,
  meshNotFound: 0x0b,
  networkFailed: 0x0c,
} as const;
export type StatusName = keyof typeof Status;

const statusNames = new Map<number, StatusName>(
  Object.entries(Status).map(([name, code]) => [code, name as StatusName]),
);

/**
 * Payload of an executed action. The document's "Running Information" byte; its example answers
 * 0x570100 with 0x01FF00, and independent clients require those three bytes.
 */
export const ACTION_RUNNING_INFO = Buffer.from([0xff, 0x00]);

export function encodeActionRequest(action: ActionName): Buffer {
  return Buffer.from([REQUEST_MAGIC, Command.action, Action[action]]);
}

export function encodeGetBasicInfoRequest(): Buffer {
  return Buffer.from([REQUEST_MAGIC, Command.getBasicInfo]);
}

/** Mode byte of "set basic info": bits 7:4 mode (0 press, 1 on/off switch), bits 3:0 inverse. */
export function encodeSetModeRequest(mode: BotMode, inverse = false): Buffer {
  // The document says the app must always send 100 (0x64) in payload byte 0.
  return Buffer.from([REQUEST_MAGIC, Command.setBasicInfo, 0x64, actMode(mode, inverse)]);
}

/** "0x0f Extended Command", "0x08 Set long press duration": the arm holds a press this many seconds. */
export function encodeSetLongPressRequest(seconds: number): Buffer {
  return Buffer.from([REQUEST_MAGIC, Command.extended, ExtendedCommand.setLongPress, seconds & 0xff]);
}

export type TimeQuery = { what: 'clock' } | { what: 'count' } | { what: 'task'; index: number };

/** "0x08 Get Device Time Management Info" with its subcommand. */
export function encodeGetTimeInfoRequest(q: TimeQuery): Buffer {
  return Buffer.from([REQUEST_MAGIC, Command.getTimeInfo, subcommand(q)]);
}

export type TimeSetting =
  | { what: 'clock'; unixSeconds: number }
  | { what: 'count'; count: number }
  | { what: 'task'; index: number; count: number; task: TimerTask };

/** "0x09 Set Device Time Management Info", in its three formats. */
export function encodeSetTimeInfoRequest(s: TimeSetting): Buffer {
  const head = Buffer.from([REQUEST_MAGIC, Command.setTimeInfo, subcommand(s)]);
  if (s.what === 'clock') return Buffer.concat([head, encodeTimestamp(s.unixSeconds)]);
  if (s.what === 'count') return Buffer.concat([head, Buffer.from([s.count])]);
  return Buffer.concat([head, Buffer.from([s.count, s.index]), encodeTimerTask(s.task)]);
}

export type Request =
  | { kind: 'action'; action: ActionName }
  | { kind: 'getBasicInfo' }
  | { kind: 'setMode'; strength: number; mode: BotMode; inverse: boolean }
  | { kind: 'getTimeInfo'; query: TimeQuery }
  | { kind: 'setTimeInfo'; setting: TimeSetting }
  | { kind: 'setLongPress'; seconds: number }
  /** Header bits 7:6 are not version 0. */
  | { kind: 'incompatibleVersion'; version: number }
  /** Header bits 5:4 ask for an encryption mode (1: the Bot's password scheme; 2, 3: others). */
  | { kind: 'encrypted'; mode: number }
  /** A known command whose payload is missing or out of range. */
  | { kind: 'malformed'; command: number; reason: string }
  | { kind: 'unknown'; command: number };

/**
 * Parses a request frame as a switch does ("BLE Communication Data Message Basic Format"); throws
 * SwitchbotFrameError on a frame that is not a request at all (no magic, or not 2..20 bytes).
 */
export function decodeRequest(frame: Buffer): Request {
  if (frame.length < 2 || frame.length > MAX_FRAME_BYTES || frame[0] !== REQUEST_MAGIC) {
    const head = frame.subarray(0, 24).toString('hex');
    throw new SwitchbotFrameError(`not a request frame (${frame.length} bytes): ${head}`);
  }
  const header = frame[1]!;
  const version = header >> 6;
  const encryption = (header >> 4) & 0x03;
  const command = header & 0x0f;
  if (version !== 0) return { kind: 'incompatibleVersion', version };
  if (encryption !== 0) return { kind: 'encrypted', mode: encryption };
  const payload = frame.subarray(2);
  try {
    return decodeCommand(command, payload);
  } catch (err) {
    if (!(err instanceof SwitchbotFrameError)) throw err;
    return { kind: 'malformed', command, reason: err.message };
  }
}

function decodeCommand(command: number, payload: Buffer): Request {
  switch (command) {
    case Command.action: {
      // Byte 0 is the action; later pairs (interval, action) form an action list, not simulated.
      const code = payload.length > 0 ? payload[0]! : Action.press;
      const action = (Object.keys(Action) as ActionName[]).find((k) => Action[k] === code);
      return action ? { kind: 'action', action } : { kind: 'unknown', command };
    }
    case Command.getBasicInfo:
      return { kind: 'getBasicInfo' };
    case Command.setBasicInfo: {
      need(payload, 2, 'set basic info');
      const modeByte = payload[1]!;
      const mode = modeByte >> 4 === 1 ? 'switch' : 'press';
      return { kind: 'setMode', strength: payload[0]!, mode, inverse: (modeByte & 0x0f) === 1 };
    }
    case Command.getTimeInfo:
      need(payload, 1, 'get time management info');
      return { kind: 'getTimeInfo', query: timeQuery(payload[0]!) };
    case Command.setTimeInfo:
      return { kind: 'setTimeInfo', setting: timeSetting(payload) };
    case Command.extended:
      if (payload[0] === ExtendedCommand.setLongPress) {
        need(payload, 2, 'set long press duration');
        return { kind: 'setLongPress', seconds: payload[1]! };
      }
      return { kind: 'unknown', command };
    default:
      return { kind: 'unknown', command };
  }
}

function need(payload: Buffer, bytes: number, what: string): void {
  if (payload.length >= bytes) return;
  throw new SwitchbotFrameError(`${what} needs ${bytes} payload bytes, got ${payload.length}`);
}

function subcommand(q: TimeQuery | TimeSetting): number {
  if (q.what === 'task') return ((q.index & 0x0f) << 4) | TimeSubcommand.task;
  return q.what === 'clock' ? TimeSubcommand.clock : TimeSubcommand.count;
}

function taskIndex(sub: number): number {
  const index = sub >> 4;
  if (index >= TIMER_SLOTS) throw new SwitchbotFrameError(`timer ${index} does not exist (0..${TIMER_SLOTS - 1})`);
  return index;
}

function timeQuery(sub: number): TimeQuery {
  if (sub === TimeSubcommand.clock) return { what: 'clock' };
  if (sub === TimeSubcommand.count) return { what: 'count' };
  if ((sub & 0x0f) === TimeSubcommand.task) return { what: 'task', index: taskIndex(sub) };
  throw new SwitchbotFrameError(`unknown time management subcommand 0x${sub.toString(16)}`);
}

function timeSetting(payload: Buffer): TimeSetting {
  need(payload, 1, 'set time management info');
  const sub = payload[0]!;
  const rest = payload.subarray(1);
  if (sub === TimeSubcommand.clock) {
    need(rest, TIMESTAMP_BYTES, 'set device time');
    return { what: 'clock', unixSeconds: decodeTimestamp(rest) };
  }
  const count = (n: number) => {
    if (n > TIMER_SLOTS) throw new SwitchbotFrameError(`${n} timer tasks, the Bot has ${TIMER_SLOTS}`);
    return n;
  };
  if (sub === TimeSubcommand.count) {
    need(rest, 1, 'set number of timer tasks');
    return { what: 'count', count: count(rest[0]!) };
  }
  if ((sub & 0x0f) === TimeSubcommand.task) {
    // Num, Index (reserved: the subcommand's n says which timer), then the task.
    need(rest, 2 + TIMER_TASK_BYTES, 'set timer task');
    return { what: 'task', index: taskIndex(sub), count: count(rest[0]!), task: decodeTimerTask(rest.subarray(2)) };
  }
  throw new SwitchbotFrameError(`unknown time management subcommand 0x${sub.toString(16)}`);
}

export interface Response {
  status: StatusName | 'unknown';
  statusCode: number;
  payload: Buffer;
}

export function encodeResponse(status: StatusName, payload: Buffer = Buffer.alloc(0)): Buffer {
  return Buffer.concat([Buffer.from([Status[status]]), payload]);
}

/**
 * Any answer: the status byte and what follows. Action answers come as three bytes from real Bots
 * (0x01FF00) and as the bare status byte from older simulated firmware; both read the same here.
 */
export function decodeResponse(frame: Buffer): Response {
  if (frame.length < 1) throw new SwitchbotFrameError('empty response frame');
  const statusCode = frame[0]!;
  return { status: statusNames.get(statusCode) ?? 'unknown', statusCode, payload: frame.subarray(1) };
}
