/**
 * What the outbox holds, rebuilt from its records: messages waiting for a PUBACK, commands taken and
 * not done, recent results, the sequence high-water mark. Applying a record is idempotent, so a
 * snapshot replayed next to the records it summarises (a crash mid-roll) gives the same state.
 */
import type { Logger } from 'pino';
import type { CommandRequest, CommandResult } from '@switchfleet/protocol';

/** The two upward topics the outbox carries (it owns them until the broker's PUBACK). */
export type OutboxTopic = 'deviceState' | 'commandResult' | 'updateProgress' | 'updateResult';

const OUTBOX_TOPICS: readonly OutboxTopic[] = ['deviceState', 'commandResult', 'updateProgress', 'updateResult'];

export interface Pending {
  seq: number;
  name: OutboxTopic;
  address: string;
  body: string;
  at: number;
  durable: boolean;
  sent: boolean;
}

export interface Taken {
  address: string;
  cmd: CommandRequest;
}

export class OutboxState {
  readonly pending = new Map<number, Pending>();
  readonly taken = new Map<string, Taken>();
  readonly done = new Map<string, { address: string; result: CommandResult }>();
  hwm = 0;
  bytes = 0;

  constructor(
    private readonly rememberResults: number,
    private readonly now: () => number,
    private readonly log: Logger,
  ) {}

  /** Records that restate everything live, for the first frames of a new segment. */
  snapshot(): unknown[] {
    const records: unknown[] = [{ t: 'h', s: this.hwm }];
    for (const p of this.pending.values()) records.push({ t: 'o', s: p.seq, n: p.name, a: p.address, p: p.body });
    for (const [id, t] of this.taken) records.push({ t: 'c', id, a: t.address, c: t.cmd });
    for (const [id, d] of this.done) records.push({ t: 'd', id, a: d.address, p: JSON.stringify(d.result) });
    return records;
  }

  markDone(address: string, result: CommandResult): void {
    this.taken.delete(result.commandId);
    this.done.delete(result.commandId);
    this.done.set(result.commandId, { address, result });
    if (this.done.size > this.rememberResults) this.done.delete(this.done.keys().next().value!);
  }

  apply(record: unknown): void {
    const r = record as { t?: string; s?: unknown; n?: unknown; a?: unknown; p?: unknown; id?: unknown; c?: unknown };
    switch (r.t) {
      case 'h':
        if (typeof r.s === 'number') this.hwm = Math.max(this.hwm, r.s);
        return;
      case 'o': {
        if (typeof r.s !== 'number' || typeof r.p !== 'string' || typeof r.a !== 'string') return;
        if (!OUTBOX_TOPICS.includes(r.n as OutboxTopic)) return;
        this.hwm = Math.max(this.hwm, r.s);
        if (!this.pending.has(r.s)) {
          this.pending.set(r.s, {
            seq: r.s,
            name: r.n as OutboxTopic,
            address: r.a,
            body: r.p,
            at: this.now(),
            durable: true,
            sent: false,
          });
          this.bytes += r.p.length;
        }
        if (r.n === 'commandResult') this.markDone(r.a, parseResult(r.p));
        return;
      }
      case 'a':
        for (const s of Array.isArray(r.s) ? r.s : []) {
          const p = this.pending.get(s as number);
          if (!p) continue;
          this.pending.delete(p.seq);
          this.bytes -= p.body.length;
        }
        return;
      case 'c':
        if (typeof r.id === 'string' && typeof r.a === 'string' && r.c && !this.done.has(r.id))
          this.taken.set(r.id, { address: r.a, cmd: r.c as CommandRequest });
        return;
      case 'd':
        if (typeof r.id === 'string' && typeof r.a === 'string' && typeof r.p === 'string')
          this.markDone(r.a, parseResult(r.p));
        return;
      default:
        this.log.warn({ type: r.t }, 'unknown outbox record ignored');
    }
  }
}

function parseResult(body: string): CommandResult {
  // The body was validated by encodePayload before it was written, and its checksum matched.
  return JSON.parse(body) as CommandResult;
}
