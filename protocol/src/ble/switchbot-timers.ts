/**
 * Payloads of the Bot's time management (SwitchBotAPI-BLE, devicetypes/bot.md, "0x08 Get Device Time
 * Management Info" and "0x09 Set Device Time Management Info"): the device clock, the number of timer
 * tasks and the tasks themselves, one per built-in timer.
 */
import { SwitchbotFrameError } from './switchbot-errors.ts';

/** "Always set all 5 build-in timers simultaneously": subcommand 0xn3 addresses n = 0..4. */
export const TIMER_SLOTS = 5;

/** Low nibble of the subcommand byte; for `task` the high nibble is the timer index n. */
export const TimeSubcommand = { clock: 0x01, count: 0x02, task: 0x03 } as const;

/** The device clock: "The current Unix timestamp in big endian", 8 bytes. */
export const TIMESTAMP_BYTES = 8;

/** One timer task as both commands carry it, from "Repeat" to the interval (9 bytes). */
export interface TimerTask {
  /** Bit 7: 1 runs once, 0 repeats; bits 6:0 the days it is valid on. */
  repeat: number;
  hour: number;
  minute: number;
  /** 0 at HH:MM; 1 then `sum` more times every `interval`; 2 then forever every `interval`. */
  actionMode: number;
  /** What to do when time is up: 0 action (press), 1 on, 2 off. */
  job: number;
  sum: number;
  /** Hours at most 5; seconds in steps of 10. */
  interval: { hours: number; minutes: number; seconds: number };
}

export const TIMER_TASK_BYTES = 9;

export function encodeTimerTask(t: TimerTask): Buffer {
  return Buffer.from([
    t.repeat,
    t.hour,
    t.minute,
    t.actionMode,
    t.job,
    t.sum,
    t.interval.hours,
    t.interval.minutes,
    t.interval.seconds,
  ]);
}

/** Reads a task, refusing values the document's ranges exclude (so a device never stores them). */
export function decodeTimerTask(bytes: Buffer): TimerTask {
  if (bytes.length < TIMER_TASK_BYTES) throw new SwitchbotFrameError(`timer task too short: ${bytes.length} bytes`);
  const b = (i: number) => bytes[i]!;
  const task: TimerTask = {
    repeat: b(0),
    hour: b(1),
    minute: b(2),
    actionMode: b(3),
    job: b(4),
    sum: b(5),
    interval: { hours: b(6), minutes: b(7), seconds: b(8) },
  };
  const bad =
    (task.hour > 23 && 'hour') ||
    (task.minute > 59 && 'minute') ||
    (task.actionMode > 2 && 'action mode') ||
    (task.job > 2 && 'job') ||
    (task.interval.hours > 5 && 'interval hours') ||
    (task.interval.minutes > 59 && 'interval minutes') ||
    ((task.interval.seconds > 50 || task.interval.seconds % 10 !== 0) && 'interval seconds');
  if (!bad) return task;
  const hex = bytes.subarray(0, TIMER_TASK_BYTES).toString('hex');
  throw new SwitchbotFrameError(`timer task has an invalid ${bad}: ${hex}`);
}

export function encodeTimestamp(unixSeconds: number): Buffer {
  const out = Buffer.alloc(TIMESTAMP_BYTES);
  out.writeBigUInt64BE(BigInt(Math.max(0, Math.floor(unixSeconds))));
  return out;
}

export function decodeTimestamp(bytes: Buffer): number {
  if (bytes.length < TIMESTAMP_BYTES) throw new SwitchbotFrameError(`timestamp too short: ${bytes.length} bytes`);
  const value = bytes.readBigUInt64BE(0);
  if (value > BigInt(Number.MAX_SAFE_INTEGER)) throw new SwitchbotFrameError(`timestamp out of range: ${value}`);
  return Number(value);
}

/** Answer to "the Nth task" (subcommand 0xn3 of 0x08): Num, Index, then the task. */
export interface TimerAnswer {
  count: number;
  index: number;
  task: TimerTask;
}

export function encodeTimerAnswer(a: TimerAnswer): Buffer {
  return Buffer.concat([Buffer.from([a.count, a.index]), encodeTimerTask(a.task)]);
}

export function decodeTimerAnswer(payload: Buffer): TimerAnswer {
  const need = 2 + TIMER_TASK_BYTES;
  if (payload.length < need) throw new SwitchbotFrameError(`timer answer too short: ${payload.length} bytes`);
  return { count: payload[0]!, index: payload[1]!, task: decodeTimerTask(payload.subarray(2)) };
}
