/**
 * The default SwitchBot Bot control behaviour (SwitchBotAPI-BLE, devicetypes/bot.md): the innermost
 * request handler every switch has, whatever faults are layered on top.
 */
import { switchbot } from '@switchfleet/protocol';
import type { ControlRequest, Reply, SwitchContext } from './behaviour.ts';
import { firmwareTenths } from './store.ts';

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
    // The firmware handles one thing at a time: anything arriving while the motor runs is refused.
    if (ctx.actuating) return answer('busy');
    const store = ctx.store;
    switch (request.kind) {
      case 'action':
        return act(request.action, ctx, timing);
      case 'getBasicInfo':
        return answer(
          'ok',
          0,
          switchbot.encodeBasicInfo({
            battery: ctx.reportedBattery(),
            firmwareTenths: firmwareTenths(store.firmwareVersion),
            mode: store.mode,
            inverse: store.inverse,
            on: store.relayOn,
          }),
        );
      case 'setMode':
        if (store.mode !== request.mode || store.inverse !== request.inverse) {
          store.mode = request.mode;
          store.inverse = request.inverse;
          ctx.changed();
        }
        return answer('ok');
      case 'unknown':
        return answer('unsupported');
    }
  };
}

function act(action: switchbot.ActionName, ctx: SwitchContext, timing: ControlTiming): Reply {
  const store = ctx.store;
  // bot.md: in on/off (switch) mode a plain press is not supported.
  if (store.mode === 'switch' && action === 'press') return answer('unsupported');
  ctx.actuateFor(timing.actuationMs);
  store.pressCount += 1;
  store.battery = Math.max(0, store.battery - timing.drain());
  // In press mode every action is a momentary press: the relay ends where it started.
  if (store.mode === 'switch') {
    const on = (action === 'on') !== store.inverse;
    if (store.relayOn !== on) {
      store.relayOn = on;
      ctx.changed();
    }
  }
  return answer('ok', timing.actuationMs);
}
