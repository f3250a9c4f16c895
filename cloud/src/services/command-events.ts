/**
 * In-process notification that a command reached a terminal status. Fed by ingest (command results)
 * and the sweeper (expiry); waiters always re-read the row, so a missed event costs latency, never
 * correctness.
 */
import { EventEmitter } from 'node:events';
import type { CommandRecord } from './command-record.ts';

export class CommandEvents {
  readonly #emitter = new EventEmitter();

  constructor() {
    // One listener per waiting HTTP request; the count is bounded by the API's wait limit, not by a leak.
    this.#emitter.setMaxListeners(0);
  }

  terminal(record: CommandRecord): void {
    this.#emitter.emit(record.id, record);
  }

  /** Calls `listener` once when `commandId` turns terminal; returns the unsubscribe function. */
  onTerminal(commandId: string, listener: (record: CommandRecord) => void): () => void {
    this.#emitter.once(commandId, listener);
    return () => this.#emitter.removeListener(commandId, listener);
  }
}
