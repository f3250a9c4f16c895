/**
 * The Bot's time management (SwitchBotAPI-BLE, devicetypes/bot.md, "0x08 Get Device Time Management
 * Info" and "0x09 Set Device Time Management Info"): the device clock, the number of timer tasks
 * and five built-in timers, kept in the store. The timers are stored and read back; the simulated
 * switch does not run them.
 */
import { switchbot } from '@switchfleet/protocol';
import type { Reply, SwitchContext } from './behaviour.ts';

const ok = (payload?: Buffer): Reply => ({ frame: switchbot.encodeResponse('ok', payload), delayMs: 0 });

/** What a timer that was never set reads as. */
const EMPTY_TASK: switchbot.TimerTask = {
  repeat: 0,
  hour: 0,
  minute: 0,
  actionMode: 0,
  job: 0,
  sum: 0,
  interval: { hours: 0, minutes: 0, seconds: 0 },
};

/**
 * The document says a successful 0x08 answers status 0, but its example (0x570802 answered 0x0103)
 * and every other command use 0x01 OK; the switch answers 0x01.
 */
export function getTimeInfo(query: switchbot.TimeQuery, ctx: SwitchContext): Reply {
  const store = ctx.store;
  switch (query.what) {
    case 'clock':
      return ok(switchbot.encodeTimestamp((ctx.clock.now() + store.clockOffsetMs) / 1000));
    case 'count':
      return ok(Buffer.from([store.timerCount]));
    case 'task': {
      const task = store.timers[query.index] ?? EMPTY_TASK;
      return ok(switchbot.encodeTimerAnswer({ count: store.timerCount, index: query.index, task }));
    }
  }
}

/** Every format of 0x09 answers status 1 with no payload ("payload will be 0"). */
export function setTimeInfo(setting: switchbot.TimeSetting, ctx: SwitchContext): Reply {
  const store = ctx.store;
  switch (setting.what) {
    case 'clock':
      store.clockOffsetMs = setting.unixSeconds * 1000 - ctx.clock.now();
      break;
    case 'count':
      store.timerCount = setting.count;
      break;
    case 'task':
      store.timers[setting.index] = structuredClone(setting.task);
      store.timerCount = setting.count;
      break;
  }
  return ok();
}
