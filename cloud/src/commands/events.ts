/**
 * Notification that a command reached a terminal status, fed by the event bus (so by every cloud
 * instance). Waiters always re-read the row, so a missed event costs latency, never correctness; and
 * when the bus says it may have missed events, they re-read at once instead of at their timeout.
 */
import { EventEmitter } from 'node:events';
import { isTerminal, type CommandRowStatus } from './record.ts';
import type { EventBus } from '../events/bus.ts';

/** The emitter's event for a gap: a symbol, so that no command id can name it. */
const GAP = Symbol('gap');

export class CommandEvents {
  readonly #emitter = new EventEmitter();

  constructor(bus?: EventBus) {
    // One listener per waiting HTTP request; the count is bounded by the API's wait limit, not by a leak.
    this.#emitter.setMaxListeners(0);
    bus?.subscribe((event) => {
      if (event.type === 'command' && isTerminal(event.status as CommandRowStatus)) this.terminal(event.commandId);
    });
    bus?.onGap(() => this.#emitter.emit(GAP));
  }

  terminal(commandId: string): void {
    this.#emitter.emit(commandId);
  }

  /**
   * Calls `listener` whenever terminal events may have been missed (the bus's listening session was
   * lost and is back), so that a waiter reads its command again; returns the unsubscribe function.
   */
  onGap(listener: () => void): () => void {
    this.#emitter.on(GAP, listener);
    return () => this.#emitter.removeListener(GAP, listener);
  }

  /** Calls `listener` once when `commandId` turns terminal; returns the unsubscribe function. */
  onTerminal(commandId: string, listener: () => void): () => void {
    this.#emitter.once(commandId, listener);
    return () => this.#emitter.removeListener(commandId, listener);
  }
}
