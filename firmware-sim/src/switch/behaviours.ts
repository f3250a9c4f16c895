/**
 * Ready-made faults for the hardware lab. Each is a few hooks; combine them freely:
 *   radio.addSwitch({ behaviours: [slow(500), dropsNotifications(0.5), busyFor(300)] })
 */
import { switchbot } from '@switchfleet/protocol';
import type { Rng } from '../rng.ts';
import type { Behaviour } from './behaviour.ts';

/** Answers every control request ms later than it otherwise would. */
export function slow(ms: number): Behaviour {
  return {
    name: `slow(${ms})`,
    request: (_req, _ctx, next) => {
      const reply = next();
      return { ...reply, delayMs: reply.delayMs + ms };
    },
  };
}

/**
 * After each accepted action the motor keeps running for ms more (the arm travelling back), and
 * every request meanwhile is answered with status busy (0x03).
 */
export function busyFor(ms: number): Behaviour {
  return {
    name: `busyFor(${ms})`,
    request: (req, ctx, next) => {
      const reply = next();
      const status = reply.frame?.[0];
      if (req.request?.kind === 'action' && status === switchbot.Status.ok) ctx.actuateFor(reply.delayMs + ms);
      return reply;
    },
  };
}

/** Each notification is lost with this probability (from the seeded stream). */
export function dropsNotifications(probability: number): Behaviour {
  return {
    name: `dropsNotifications(${probability})`,
    notification: (data, ctx) => (ctx.rng.chance(probability) ? null : data),
  };
}

/** Acts on requests but never notifies a response. */
export function noNotifications(): Behaviour {
  return { name: 'noNotifications()', notification: () => null };
}

export interface DiesOptions {
  /** Control requests answered before the firmware hangs. Default 0: it hangs on the first one. */
  afterRequests?: number;
  /** Hangs this long after being added to the radio instead (or as well, whichever comes first). */
  afterMs?: number;
}

/**
 * The firmware hangs: no ATT answer (not even the write response of the request that killed it),
 * no notification, no advertising. The link layer keeps the link up, so the central waits forever.
 */
export function dies(options: DiesOptions = {}): Behaviour {
  const { afterMs } = options;
  const afterRequests = options.afterRequests ?? (afterMs === undefined ? 0 : Number.POSITIVE_INFINITY);
  let seen = 0;
  return {
    name: 'dies()',
    attach: (ctx) => {
      if (afterMs !== undefined) ctx.clock.setTimeout(() => ctx.hang(), afterMs);
    },
    request: (_req, ctx, next) => {
      seen += 1;
      if (seen > afterRequests) {
        ctx.hang();
        return { frame: null, delayMs: 0 };
      }
      return next();
    },
  };
}

/** Relay wired backwards: the firmware reports on while the load is off, and vice versa. */
export function invertedRelay(): Behaviour {
  return { name: 'invertedRelay()', physicalRelay: (on) => !on };
}

/** The battery gauge is stuck at value percent, whatever the real charge. */
export function wrongBattery(value: number): Behaviour {
  return { name: `wrongBattery(${value})`, reportedBattery: () => value };
}

/** Below threshold percent of real charge, actions are refused with status lowBattery (0x06). */
export function lowBattery(threshold: number): Behaviour {
  return {
    name: `lowBattery(${threshold})`,
    request: (req, ctx, next) => {
      if (req.request?.kind === 'action' && ctx.store.battery < threshold) {
        return { frame: switchbot.encodeResponse('lowBattery'), delayMs: 0 };
      }
      return next();
    },
  };
}

/** Ends every link ms after it opens (default reason 0x13, remote user terminated). */
export function dropsLinkAfter(ms: number, reason = 0x13): Behaviour {
  return {
    name: `dropsLinkAfter(${ms})`,
    linkOpened: (ctx) => {
      const link = ctx.connection;
      ctx.clock.setTimeout(() => {
        if (ctx.connection === link) ctx.disconnect(reason);
      }, ms);
    },
  };
}

/** Ignores connection attempts (the central's connect stays pending until cancelled). */
export function refusesConnections(): Behaviour {
  return { name: 'refusesConnections()', acceptConnection: () => false };
}

/** Each actuation costs this many battery percent instead of the default. */
export function drainsBattery(percentPerActuation: number): Behaviour {
  return { name: `drainsBattery(${percentPerActuation})`, drain: () => percentPerActuation };
}

/**
 * After the first `after` actuations of this boot, `percent` of on/off actions leave the relay where
 * it was while the answer still says done (bot.md "0x01 Execute an Action": 0x01FF00). The relay's
 * position is what the firmware reports (basic info and advertisement state bit), so a gateway that
 * reads the state back can see the miss; the answer alone cannot. Draws come from the switch's own
 * stream forked for this fault, so each switch misses on its own, repeatable, actuations.
 */
export function flakyRelay(percent: number, after = 0): Behaviour {
  let actuations = 0;
  let rng: Rng | undefined;
  return {
    name: `flakyRelay(${percent}, ${after})`,
    request: (req, ctx, next) => {
      const action = req.request?.kind === 'action' ? req.request.action : undefined;
      if (action !== 'on' && action !== 'off') return next();
      const before = { on: ctx.store.relayOn, changes: ctx.store.changeCounter };
      const reply = next();
      if (reply.frame?.[0] !== switchbot.Status.ok) return reply;
      actuations += 1;
      rng ??= ctx.rng.fork('flaky-relay');
      const misses = rng.next() * 100 < percent;
      if (actuations > after && misses) {
        ctx.store.relayOn = before.on;
        ctx.store.changeCounter = before.changes;
      }
      return reply;
    },
  };
}
