/**
 * A small typed event helper for the gateway's infrastructure (links, registry, outbox, central).
 * Modelled on Zigbee2MQTT's event bus: each listener runs in isolation, so one that throws (or
 * whose promise rejects) is logged and neither the other listeners nor the emitter's caller see it;
 * and a feature's listeners are held together so stopping the feature removes every one of them.
 */
import type { Logger } from 'pino';

/** Removes the listener it was returned for; calling it twice is harmless. */
export type Off = () => void;

type Listener<A extends unknown[]> = (...args: A) => unknown;

/** Where a failing listener is reported; a pino logger fits. */
export type ListenerErrorLog = Pick<Logger, 'error'>;

export class TypedEvents<M extends { [K in keyof M]: unknown[] }> {
  private readonly listeners = new Map<keyof M, Set<Listener<never>>>();

  /** `source` names the emitter in the log line of a failing listener. */
  constructor(
    private readonly source: string,
    private readonly log: ListenerErrorLog | undefined,
  ) {}

  on<K extends keyof M>(event: K, listener: Listener<M[K]>): Off {
    let set = this.listeners.get(event);
    if (!set) {
      set = new Set();
      this.listeners.set(event, set);
    }
    // Wrapped so the same function added twice is two listeners, each removed by its own Off.
    const entry: Listener<M[K]> = (...args) => listener(...args);
    set.add(entry as Listener<never>);
    return () => {
      set.delete(entry as Listener<never>);
    };
  }

  /** Calls every listener of `event` added before this call; a failing one is logged, the rest run. */
  emit<K extends keyof M>(event: K, ...args: M[K]): void {
    const set = this.listeners.get(event);
    if (!set) return;
    for (const listener of [...set]) {
      try {
        const result = (listener as Listener<M[K]>)(...args);
        if (result instanceof Promise) result.catch((err: unknown) => this.failed(event, err));
      } catch (err) {
        this.failed(event, err);
      }
    }
  }

  count(event: keyof M): number {
    return this.listeners.get(event)?.size ?? 0;
  }

  private failed(event: keyof M, err: unknown): void {
    const message = err instanceof Error ? err.message : String(err);
    this.log?.error({ source: this.source, event: String(event), err: message }, 'event listener failed');
  }
}

/** The listeners one feature added; `clear()` (called from the feature's stop) removes them all. */
export class Subscriptions {
  private offs: Off[] = [];

  add(off: Off): void {
    this.offs.push(off);
  }

  clear(): void {
    const offs = this.offs;
    this.offs = [];
    for (const off of offs) off();
  }
}
