/**
 * What a switch keeps across reboots and power cycles (its flash): identity, configuration,
 * relay state and counters. The seam for later firmware-slot and OTA persistence: anything that
 * must survive a reboot lives here, everything else in the switch is volatile.
 */
import { switchbot } from '@switchfleet/protocol';

export interface SwitchStore {
  name: string;
  model: string;
  hardwareId: string;
  serial: string;
  firmwareVersion: string;
  mode: switchbot.BotMode;
  /** SwitchBot "inverse" setting: on and off swap. */
  inverse: boolean;
  /** The relay as the firmware drives it. */
  relayOn: boolean;
  /** Percent, fractional: drains a little per actuation and is rounded when reported. */
  battery: number;
  /** Bumped on every state change (relay, mode); broadcast mod 256 in service data byte 3. */
  changeCounter: number;
  /** Actuations (press, on, off, push stop) since manufacture. */
  pressCount: number;
  /** Press strength, basic info byte 2; set by byte 0 of "set basic info" (bot.md 0x03 example). */
  strength: number;
  /** Long press duration in seconds ("0x0f 0x08 Set long press duration"); basic info byte 9. */
  holdSeconds: number;
  /** The arm stays down after "push stop" (action 0x03) until "back" (0x04) or another action. */
  armDown: boolean;
  /** Timer tasks the switch says it has (basic info byte 7, "0x08" subcommand 0x02). */
  timerCount: number;
  /** The five built-in timers, as last set ("0x09" subcommand 0xn3); null where never set. */
  timers: (switchbot.TimerTask | null)[];
  /** Device clock: Unix ms = clock.now() + this. Set by "0x09" subcommand 0x01. */
  clockOffsetMs: number;
  /** Room for later features (firmware slots, OTA progress) without changing this type. */
  extra: Record<string, unknown>;
}

export const SWITCH_DEFAULTS = {
  name: 'WoHand',
  model: 'SF-SW1',
  hardwareId: 'sf-sw1-r1',
  firmwareVersion: '1.0.0',
  mode: 'switch',
  inverse: false,
  relayOn: false,
  battery: 100,
  /** The document's example basic info answers 0x64. */
  strength: 100,
} as const;

export function createStore(address: string, init: Partial<SwitchStore> = {}): SwitchStore {
  return {
    name: init.name ?? SWITCH_DEFAULTS.name,
    model: init.model ?? SWITCH_DEFAULTS.model,
    hardwareId: init.hardwareId ?? SWITCH_DEFAULTS.hardwareId,
    serial: init.serial ?? `SF${address.replace(/:/g, '').toUpperCase()}`,
    firmwareVersion: init.firmwareVersion ?? SWITCH_DEFAULTS.firmwareVersion,
    mode: init.mode ?? SWITCH_DEFAULTS.mode,
    inverse: init.inverse ?? SWITCH_DEFAULTS.inverse,
    relayOn: init.relayOn ?? SWITCH_DEFAULTS.relayOn,
    battery: init.battery ?? SWITCH_DEFAULTS.battery,
    changeCounter: init.changeCounter ?? 0,
    pressCount: init.pressCount ?? 0,
    strength: init.strength ?? SWITCH_DEFAULTS.strength,
    holdSeconds: init.holdSeconds ?? 0,
    armDown: init.armDown ?? false,
    timerCount: init.timerCount ?? 0,
    timers: init.timers ?? Array.from({ length: switchbot.TIMER_SLOTS }, () => null),
    clockOffsetMs: init.clockOffsetMs ?? 0,
    extra: init.extra ?? {},
  };
}

/** "4.4" or "1.0.0" → tenths as the basic-info byte carries them (44, 10). */
export function firmwareTenths(version: string): number {
  const [major = '0', minor = '0'] = version.split('.');
  const tenths = (Number.parseInt(major, 10) || 0) * 10 + (Number.parseInt(minor, 10) || 0);
  return Math.max(0, Math.min(255, tenths));
}
