/**
 * Behaviours: how a switch reacts, as small composable hooks, so a test builds a faulty switch in a
 * line (`behaviours: [slow(500), dropsNotifications(0.5)]`). Hooks of earlier behaviours wrap
 * later ones; the default SwitchBot control behaviour is always innermost.
 */
import type { switchbot } from '@switchfleet/protocol';
import type { Clock } from '../clock.ts';
import type { Advertisement, GattService } from '../radio/device.ts';
import type { Rng } from '../rng.ts';
import type { SwitchStore } from './store.ts';

/** What a behaviour may see and do on its switch. */
export interface SwitchContext {
  /** Persistent state; mutate it to change what the switch is. */
  readonly store: SwitchStore;
  readonly clock: Clock;
  /** The switch's own random stream for behaviours (seeded from the radio). */
  readonly rng: Rng;
  /** True while the motor moves; requests meanwhile answer busy. */
  readonly actuating: boolean;
  /** Keeps the motor busy for ms from now (extends, never shortens). */
  actuateFor(ms: number): void;
  /** Battery reading as the firmware reports it (after reportedBattery hooks), rounded. */
  reportedBattery(): number;
  /** Sends a notification through the notification hooks; false when dropped or not deliverable. */
  notify(serviceUuid: string, charUuid: string, data: Buffer): boolean;
  /** The firmware hangs: no GATT answers, no advertising, until a reboot or power cycle. */
  hang(): void;
  /** Bumps the change counter after a state change. */
  changed(): void;
  /** Sequence number of the current link (1, 2, …), or 0 while no central is connected. */
  readonly connection: number;
  /** The switch ends its current link with an HCI reason. */
  disconnect(reason: number): void;
  /** Bumped by every reboot, power loss and hang: a timer scheduled before one compares it to skip. */
  readonly epoch: number;
  /** The firmware restarts (a software reset): links drop, boot hooks run again. */
  reboot(): void;
  /** Power is lost (a cut during an update, say): silent until someone powers the switch on. */
  powerOff(): void;
}

export interface ControlRequest {
  frame: Buffer;
  /** The decoded request, or null when the frame is not a SwitchBot request. */
  request: switchbot.Request | null;
}

export interface Reply {
  /** Response frame to notify, or null to stay silent. */
  frame: Buffer | null;
  /** From receiving the request to sending the response. */
  delayMs: number;
}

/** A GATT service a behaviour adds to the switch (e.g. SMP for firmware updates, later). */
export interface GattModule {
  readonly service: GattService;
  read?(charUuid: string, ctx: SwitchContext): Buffer | undefined;
  /** Returns false to refuse the write with an ATT error. */
  write?(charUuid: string, data: Buffer, ctx: SwitchContext, withoutResponse: boolean): boolean;
}

export interface Behaviour {
  readonly name: string;
  /** Once, when the switch is added to a radio (schedule faults here). */
  attach?(ctx: SwitchContext): void;
  /** The firmware starts: after attach, and after every power-on and reboot (a bootloader runs here). */
  boot?(ctx: SwitchContext): void;
  /** A control request; call next() for the inner behaviours' reply. */
  request?(req: ControlRequest, ctx: SwitchContext, next: () => Reply): Reply;
  /** A notification about to be sent; null drops it. */
  notification?(data: Buffer, ctx: SwitchContext): Buffer | null;
  /** An advertisement about to go on air; null stays silent this event. */
  advertisement?(ad: Advertisement, ctx: SwitchContext): Advertisement | null;
  /** A central connected (ctx.connection identifies this link). */
  linkOpened?(ctx: SwitchContext): void;
  /** Whether an incoming connection is accepted now (false keeps the central waiting). */
  acceptConnection?(ctx: SwitchContext): boolean;
  /** Battery percent the firmware reports, given the previous hooks' value. */
  reportedBattery?(percent: number, ctx: SwitchContext): number;
  /** The physical relay output for the firmware's relay state (wiring faults). */
  physicalRelay?(on: boolean, ctx: SwitchContext): boolean;
  /** Battery percent one actuation costs. */
  drain?(percent: number, ctx: SwitchContext): number;
  /** Extra GATT services. Read when a central connects. */
  gatt?(ctx: SwitchContext): GattModule[];
}

/** Runs value hooks in order, each seeing the previous one's result; null short-circuits. */
export function pipe<T>(
  behaviours: readonly Behaviour[],
  pick: (b: Behaviour) => ((value: T, ctx: SwitchContext) => T | null) | undefined,
  value: T,
  ctx: SwitchContext,
): T | null {
  let current: T | null = value;
  for (const b of behaviours) {
    const hook = pick(b);
    if (!hook || current === null) continue;
    current = hook.call(b, current, ctx);
  }
  return current;
}

/** Builds the request chain: behaviours[0] is outermost, `inner` answers last. */
export function chainRequests(
  behaviours: readonly Behaviour[],
  inner: (req: ControlRequest, ctx: SwitchContext) => Reply,
) {
  return (req: ControlRequest, ctx: SwitchContext): Reply => {
    const at = (i: number): Reply => {
      for (let j = i; j < behaviours.length; j++) {
        const b = behaviours[j]!;
        if (b.request) return b.request(req, ctx, () => at(j + 1));
      }
      return inner(req, ctx);
    };
    return at(0);
  };
}
