/**
 * The default SwitchBot Bot control behaviour (SwitchBotAPI-BLE, devicetypes/bot.md): the innermost
 * request handler every switch has, whatever faults are layered on top.
 */
import { switchbot } from '@switchfleet/protocol';
import type { ControlRequest, Reply, SwitchContext } from './behaviour.ts';
import { firmwareTenths } from './store.ts';
import { getTimeInfo, setTimeInfo } from './time-management.ts';

export interface ControlTiming {
  /** Motor time of one action; the response follows it. */
  actuationMs: number;
  /** Battery percent this actuation costs (after drain hooks). */
  drain(): number;
}

const answer = (status: switchbot.StatusName, delayMs = 0, payload?: Buffer): Reply => ({
  frame: switchbot.encodeResponse(status, payload),
  delayMs,
});

export function defaultControl(timing: ControlTiming) {
  return (req: ControlRequest, ctx: SwitchContext): Reply => {
    const request = req.request;
    if (!request) return answer('error');
    // Frames the switch cannot read are refused before anything else and change nothing (Basic
    // Format, byte 1: version 0 and encryption mode 0 only; this switch has no password set).
    if (request.kind === 'incompatibleVersion') return answer('versionIncompatible');
    if (request.kind === 'encrypted') return answer(request.mode === 1 ? 'unencrypted' : 'unsupportedEncryption');
    // The firmware handles one thing at a time: anything arriving while the motor runs is refused.
    if (ctx.actuating) return answer('busy');
    const store = ctx.store;
    switch (request.kind) {
      case 'action':
        return act(request.action, ctx, timing);
      case 'getBasicInfo':
        return answer('ok', 0, basicInfo(ctx));
      case 'setMode':
        return setMode(request, ctx);
      case 'setLongPress':
        // "0x0f Extended Command", "0x08 Set long press duration": status 1, no payload.
        store.holdSeconds = request.seconds;
        return answer('ok');
      case 'getTimeInfo':
        return getTimeInfo(request.query, ctx);
      case 'setTimeInfo':
        return setTimeInfo(request.setting, ctx);
      case 'malformed':
        return answer('error');
      case 'unknown':
        return answer('unsupported');
    }
  };
}

function basicInfo(ctx: SwitchContext): Buffer {
  const store = ctx.store;
  return switchbot.encodeBasicInfo({
    battery: ctx.reportedBattery(),
    firmwareTenths: firmwareTenths(store.firmwareVersion),
    mode: store.mode,
    inverse: store.inverse,
    on: store.relayOn,
    strength: store.strength,
    timers: store.timerCount,
    holdSeconds: store.holdSeconds,
  });
}

/**
 * "0x03 Set Device Basic Info". The document's example sets 0x63 and 0x10 on a Bot in press mode
 * and is answered 01 63 00: payload byte 0 repeats the strength sent (basic info then reports 99),
 * byte 1 is the act mode the Bot had.
 */
function setMode(request: Extract<switchbot.Request, { kind: 'setMode' }>, ctx: SwitchContext): Reply {
  const store = ctx.store;
  const before = switchbot.actMode(store.mode, store.inverse);
  store.strength = request.strength;
  if (store.mode !== request.mode || store.inverse !== request.inverse) {
    store.mode = request.mode;
    store.inverse = request.inverse;
    ctx.changed();
  }
  return answer('ok', 0, Buffer.from([request.strength, before]));
}

/** Service data bytes 0..1, as basic info bytes 10..11 and the switch-mode refusal carry them. */
function serviceDataHead(ctx: SwitchContext): Buffer {
  const s = ctx.store;
  const sd = { deviceType: switchbot.DEVICE_TYPE_BOT, mode: s.mode, on: s.relayOn, battery: ctx.reportedBattery() };
  return switchbot.encodeServiceData(sd).subarray(0, 2);
}

function act(action: switchbot.ActionName, ctx: SwitchContext, timing: ControlTiming): Reply {
  const store = ctx.store;
  // bot.md "0x01 Execute an Action": in Add-on (switch) mode a press is answered 0x0548C0, status
  // 0x05 followed by service data bytes 0..1, and the arm does not move.
  if (store.mode === 'switch' && action === 'press') return answer('unsupported', 0, serviceDataHead(ctx));
  // A long press holds the arm down for the set duration before it travels back.
  const motorMs = timing.actuationMs + (action === 'press' ? store.holdSeconds * 1000 : 0);
  ctx.actuateFor(motorMs);
  store.battery = Math.max(0, store.battery - timing.drain());
  if (action === 'back') {
    store.armDown = false;
  } else {
    store.pressCount += 1;
    // Push stop leaves the arm down; every other action ends with the arm back up.
    store.armDown = action === 'pushStop';
  }
  // In press mode every action is a momentary press: the relay ends where it started.
  if (store.mode === 'switch' && (action === 'on' || action === 'off')) {
    const on = (action === 'on') !== store.inverse;
    if (store.relayOn !== on) {
      store.relayOn = on;
      ctx.changed();
    }
  }
  // "If executed successfully ... the replied RESP message will be 0x01FF00".
  return answer('ok', motorMs, switchbot.ACTION_RUNNING_INFO);
}
