/**
 * The simulator's only source of time. Every delay in the radio and the switches goes through a
 * Clock, so the same code runs against wall time (the launcher, the gateway in development) or
 * against a VirtualClock that a test or a fleet simulation drives hours ahead in seconds.
 */

/** Opaque timer handle; only the clock that made it can clear it. */
export interface TimerHandle {
  readonly clockTimer: true;
}

export interface Clock {
  /** Milliseconds since an arbitrary origin. */
  now(): number;
  /** Runs fn once after ms. ms <= 0 means "as soon as possible" (never synchronously). */
  setTimeout(fn: () => void, ms: number): TimerHandle;
  clearTimeout(handle: TimerHandle): void;
  sleep(ms: number): Promise<void>;
}

export class ClockError extends Error {
  constructor(
    readonly code: 'CLOCK_DEADLINE' | 'CLOCK_IDLE',
    message: string,
  ) {
    super(message);
    this.name = 'ClockError';
  }
}

interface RealTimer extends TimerHandle {
  timeout?: NodeJS.Timeout;
  immediate?: NodeJS.Immediate;
}

/**
 * Wall-clock time. A zero delay uses setImmediate rather than a 1 ms timer, so a radio configured
 * with zero latency costs one event-loop turn per operation (benchmarks send thousands of commands).
 */
export const realClock: Clock = {
  now: () => performance.now(),
  setTimeout(fn, ms) {
    const handle: RealTimer = { clockTimer: true };
    if (ms <= 0) handle.immediate = setImmediate(fn);
    else handle.timeout = setTimeout(fn, ms);
    return handle;
  },
  clearTimeout(handle) {
    const h = handle as RealTimer;
    if (h.timeout) clearTimeout(h.timeout);
    if (h.immediate) clearImmediate(h.immediate);
  },
  sleep: (ms) => new Promise((resolve) => realClock.setTimeout(resolve, ms)),
};

interface VirtualTimer extends TimerHandle {
  at: number;
  seq: number;
  fn: () => void;
  cancelled: boolean;
}

/** Lets promise continuations (noble's callbacks, test awaits) run before virtual time moves on. */
const settle = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

/**
 * Simulated time that moves only when driven. Timers fire in (time, insertion) order; after each
 * instant's timers the real event loop gets one turn, so promise chains started by those timers
 * can schedule their follow-ups at the same virtual instant before time advances.
 */
export class VirtualClock implements Clock {
  private t: number;
  private seq = 0;
  private readonly heap: VirtualTimer[] = [];

  constructor(startMs = 0) {
    this.t = startMs;
  }

  now(): number {
    return this.t;
  }

  /** Number of timers waiting to fire. */
  get pending(): number {
    return this.heap.filter((timer) => !timer.cancelled).length;
  }

  setTimeout(fn: () => void, ms: number): TimerHandle {
    const timer: VirtualTimer = {
      clockTimer: true,
      at: this.t + Math.max(0, ms),
      seq: this.seq++,
      fn,
      cancelled: false,
    };
    this.push(timer);
    return timer;
  }

  clearTimeout(handle: TimerHandle): void {
    (handle as VirtualTimer).cancelled = true;
  }

  sleep(ms: number): Promise<void> {
    return new Promise((resolve) => this.setTimeout(resolve, ms));
  }

  /** Moves time forward by ms, firing every timer due on the way. */
  async advance(ms: number): Promise<void> {
    const target = this.t + ms;
    await this.runWhile((at) => at <= target);
    this.t = Math.max(this.t, target);
    await settle();
  }

  /**
   * Fires timers until none is left, or until maxMs of virtual time have passed (periodic timers,
   * such as advertising while scanning, never run out). Returns the virtual time that passed.
   */
  async runUntilIdle(maxMs = Number.POSITIVE_INFINITY): Promise<number> {
    const start = this.t;
    await settle();
    await this.runWhile((at) => at <= start + maxMs);
    return this.t - start;
  }

  /**
   * Drives time until the promise settles and returns its outcome. Throws ClockError
   * CLOCK_DEADLINE when maxMs of virtual time pass first, or CLOCK_IDLE when nothing is scheduled
   * that could still settle it: both mean "this never answered", without a wall-clock race.
   */
  async until<T>(promise: Promise<T>, maxMs = 3_600_000): Promise<T> {
    let settled = false;
    const watched = promise.finally(() => {
      settled = true;
    });
    watched.catch(() => undefined);
    const deadline = this.t + maxMs;
    await settle();
    while (!settled) {
      const next = this.peek();
      if (!next)
        throw new ClockError(
          'CLOCK_IDLE',
          `nothing scheduled at ${this.t} ms and the awaited operation is still pending`,
        );
      if (next.at > deadline) {
        this.t = deadline;
        throw new ClockError('CLOCK_DEADLINE', `still pending after ${maxMs} ms of virtual time`);
      }
      await this.runInstant();
    }
    return watched;
  }

  private async runWhile(due: (at: number) => boolean): Promise<void> {
    for (let next = this.peek(); next && due(next.at); next = this.peek()) await this.runInstant();
  }

  /** Fires every timer due at the earliest pending instant, then lets the event loop turn. */
  private async runInstant(): Promise<void> {
    const first = this.peek();
    if (!first) return;
    this.t = Math.max(this.t, first.at);
    for (let next = this.peek(); next && next.at <= this.t; next = this.peek()) {
      this.pop();
      next.fn();
    }
    await settle();
  }

  private peek(): VirtualTimer | undefined {
    while (this.heap.length > 0 && this.heap[0]!.cancelled) this.pop();
    return this.heap[0];
  }

  private push(timer: VirtualTimer): void {
    const h = this.heap;
    h.push(timer);
    let i = h.length - 1;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (!before(h[i]!, h[parent]!)) break;
      [h[i], h[parent]] = [h[parent]!, h[i]!];
      i = parent;
    }
  }

  private pop(): VirtualTimer | undefined {
    const h = this.heap;
    const top = h[0];
    const last = h.pop();
    if (h.length > 0 && last) {
      h[0] = last;
      let i = 0;
      for (;;) {
        const l = 2 * i + 1;
        const r = l + 1;
        let m = i;
        if (l < h.length && before(h[l]!, h[m]!)) m = l;
        if (r < h.length && before(h[r]!, h[m]!)) m = r;
        if (m === i) break;
        [h[i], h[m]] = [h[m]!, h[i]!];
        i = m;
      }
    }
    return top;
  }
}

function before(a: VirtualTimer, b: VirtualTimer): boolean {
  return a.at < b.at || (a.at === b.at && a.seq < b.seq);
}

/**
 * A view of a clock that remembers its live timers, so a radio can cancel everything it scheduled
 * (advertising, pending GATT answers, behaviour timers) when it is closed.
 */
export class TimerScope implements Clock {
  private readonly live = new Set<TimerHandle>();
  private closed = false;

  constructor(private readonly clock: Clock) {}

  now(): number {
    return this.clock.now();
  }

  setTimeout(fn: () => void, ms: number): TimerHandle {
    if (this.closed) return { clockTimer: true };
    const handle = this.clock.setTimeout(() => {
      this.live.delete(handle);
      fn();
    }, ms);
    this.live.add(handle);
    return handle;
  }

  clearTimeout(handle: TimerHandle): void {
    if (this.live.delete(handle)) this.clock.clearTimeout(handle);
  }

  sleep(ms: number): Promise<void> {
    return new Promise((resolve) => this.setTimeout(resolve, ms));
  }

  /** Cancels every live timer and refuses new ones. */
  close(): void {
    this.closed = true;
    for (const handle of this.live) this.clock.clearTimeout(handle);
    this.live.clear();
  }
}
