/**
 * A household usage model: people pressing their switches. Each switch is pressed at random, a
 * Poisson process of `perMinute` presses a minute, independent of the others; together n switches
 * make one Poisson process of rate n × perMinute, each arrival landing on a switch chosen uniformly
 * (superposition), so one timer serves the whole fleet. Seeded: the same seed and the same switches
 * press in the same order at the same offsets.
 *
 * It knows nothing of the cloud: `send` issues one command through whatever path the caller wires in
 * (the composition in scripts/ passes the cloud's command service, as the app's POST
 * /v1/devices/{id}/commands does, so every outcome is recorded per device like a person's tap).
 */
import { Rng, realClock, type Clock, type TimerHandle } from '@switchfleet/firmware-sim';
import type { CommandAction } from '@switchfleet/protocol';

export interface UsageOptions {
  /** Presses per switch per minute; 0 issues nothing. */
  perMinute: number;
  /** The switches to press, read again at every arrival (switches join as the gateway reports them). */
  devices: () => readonly string[] | Promise<readonly string[]>;
  /** Issues one command; a rejection is counted and the model goes on. */
  send: (deviceId: string, action: CommandAction) => Promise<unknown>;
  seed: number;
  /** Default toggle: what a person does at a wall switch. */
  action?: CommandAction;
  /** Default the real clock; a VirtualClock makes tests instant. */
  clock?: Pick<Clock, 'setTimeout' | 'clearTimeout'>;
  /** How long to wait before looking again when there is no switch yet. Default 1,000 ms. */
  idleMs?: number;
  /** A lookup of the switches or a send that failed (with the switch it was for). */
  onError?: (err: unknown, deviceId?: string) => void;
}

export interface UsageModel {
  /** Commands handed to `send` so far. */
  readonly issued: number;
  /** Of those, how many `send` rejected. */
  readonly refused: number;
  /** Stops issuing; resolves once the commands already handed to `send` have settled. */
  stop(): Promise<void>;
}

export class UsageError extends Error {
  readonly code = 'INVALID_USAGE_RATE';
}

export function startUsage(options: UsageOptions): UsageModel {
  const { perMinute, send } = options;
  if (!Number.isFinite(perMinute) || perMinute < 0)
    throw new UsageError(`presses per switch per minute must be a number ≥ 0, got ${perMinute}`);
  const clock = options.clock ?? realClock;
  const idleMs = options.idleMs ?? 1000;
  const action = options.action ?? 'toggle';
  const rng = new Rng(options.seed).fork('usage');
  const inFlight = new Set<Promise<unknown>>();
  let issued = 0;
  let refused = 0;
  let timer: TimerHandle | undefined;
  let stopped = perMinute === 0;

  /** Exponential gap of a Poisson process of `rate` arrivals per ms (1 − u keeps the log finite). */
  const gap = (rate: number) => -Math.log(1 - rng.next()) / rate;

  /** The switches now; a list given at once is used at once (a virtual clock then runs without gaps). */
  const lookup = (): readonly string[] | Promise<readonly string[]> => {
    const failed = (err: unknown) => {
      options.onError?.(err);
      return [] as readonly string[];
    };
    try {
      const got = options.devices();
      return Array.isArray(got) ? (got as readonly string[]) : Promise.resolve(got).catch(failed);
    } catch (err) {
      return failed(err);
    }
  };

  /**
   * One step of the process: press a switch when this step is an arrival, then wait one gap for the
   * next. A lookup of the switches that fails (the database restarting) is waited out like no switch.
   */
  const step = (arrival: boolean): void => {
    const got = lookup();
    if (Array.isArray(got)) return stepWith(arrival, got as readonly string[]);
    void (got as Promise<readonly string[]>).then((devices) => stepWith(arrival, devices));
  };

  const stepWith = (arrival: boolean, devices: readonly string[]): void => {
    if (stopped) return;
    if (arrival && devices.length > 0) {
      const deviceId = devices[rng.int(0, devices.length - 1)]!;
      issued += 1;
      // A send that throws at once is a refusal like a rejected one.
      const p = new Promise((resolve) => resolve(send(deviceId, action))).catch((err: unknown) => {
        refused += 1;
        options.onError?.(err, deviceId);
      });
      inFlight.add(p);
      void p.finally(() => inFlight.delete(p));
    }
    const waiting = devices.length === 0;
    timer = clock.setTimeout(() => step(!waiting), waiting ? idleMs : gap((devices.length * perMinute) / 60_000));
  };
  // The first press is one gap away too, so a start is not a burst.
  if (!stopped) step(false);

  return {
    get issued() {
      return issued;
    },
    get refused() {
      return refused;
    },
    async stop() {
      stopped = true;
      if (timer) clock.clearTimeout(timer);
      await Promise.allSettled([...inFlight]);
    },
  };
}
