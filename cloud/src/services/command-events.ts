/**
 * Notification that a command reached a terminal status, fed by the event bus (so by every cloud
 * instance). Waiters always re-read the row, so a missed event costs latency, never correctness.
 */
import { EventEmitter } from 'node:events';
import { isTerminal, type CommandRowStatus } from './command-record.ts';
import type { EventBus } from './event-bus.ts';

export class CommandEvents {
  readonly #emitter = new EventEmitter();

  constructor(bus?: EventBus) {
    // One listener per waiting HTTP request; the count is bounded by the API's wait limit, not by a leak.
    this.#emitter.setMaxListeners(0);
    bus?.subscribe((event) => {
      if (event.type === 'command' && isTerminal(event.status as CommandRowStatus)) this.terminal(event.commandId);
    });
  }

  terminal(commandId: string): void {
    this.#emitter.emit(commandId);
  }

  /** Calls `listener` once when `commandId` turns terminal; returns the unsubscribe function. */
  onTerminal(commandId: string, listener: () => void): () => void {
    this.#emitter.once(commandId, listener);
    return () => this.#emitter.removeListener(commandId, listener);
  }
}
