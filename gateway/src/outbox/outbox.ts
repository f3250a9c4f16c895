/**
 * The durable outbox: every upward report and command result is written to disk (segment-log.ts)
 * before it is sent, sent in sequence order when the cloud link is up, and forgotten only after the
 * broker's PUBACK (MQTT 3.1.1 §4.3.2: the sender owns a QoS 1 message until then). Sequence numbers
 * come from the same log, so they strictly increase across restarts and a crash never reuses one.
 *
 * It is also the command inbox: a command is "taken" (and only then acknowledged to the broker) once
 * its record is on disk, and it is "done" once its result is. After a crash, taken-but-not-done
 * commands are handed back to the runner and done ones are answered from here, never run again.
 *
 * Records (applied idempotently, so replaying a snapshot next to the records it summarises is safe):
 *   {t:'h', s}                  highest sequence number handed out
 *   {t:'o', s, n, a?, p}        a message waiting for its PUBACK (p is the encoded JSON body)
 *   {t:'a', s:[…]}              messages acknowledged (or dropped by the size bound)
 *   {t:'c', id, a, c}           a command taken
 *   {t:'d', id, a, p}           a command's result, kept to answer redeliveries
 */
import { TypedEvents, type Off } from '../events.ts';
import type { Logger } from 'pino';
import { encodePayload, type CommandRequest, type CommandResult, type PayloadOf } from '@switchfleet/protocol';
import { SegmentLog, type ReplayStats } from './segment-log.ts';
import { OutboxState, type OutboxTopic, type Pending, type Taken } from './state.ts';

export type { OutboxTopic } from './state.ts';

export interface OutboxSink {
  readonly connected: boolean;
  publishRaw(name: OutboxTopic, address: string, body: Buffer): Promise<void>;
  onUp(listener: () => void): void;
}

export interface OutboxOptions {
  dir: string;
  /** Upper bound of bytes waiting for delivery; past it the oldest unsent state reports go first. */
  maxBytes: number;
  /** Segment size that triggers a roll (compaction), unless live data is larger. */
  segmentBytes: number;
  /** Messages handed to MQTT at once without a PUBACK yet. */
  window: number;
  /** Command results remembered for answering redeliveries. */
  rememberResults: number;
  fsync: boolean;
  log: Logger;
  now?: () => number;
}

export interface OutboxStats {
  /** Messages waiting for their PUBACK. */
  records: number;
  bytes: number;
  oldestAgeMs: number;
  inFlight: number;
  delivered: number;
  /** State reports dropped by the size bound since start. */
  dropped: number;
  commandsTaken: number;
  replay: ReplayStats;
}

export class Outbox {
  /** Durable, unsent sequence numbers in ascending order. */
  private queue: number[] = [];
  private readonly events: TypedEvents<{ stored: [seq: number] }>;
  private readonly state: OutboxState;
  private inFlight = 0;
  private delivered = 0;
  private dropped = 0;
  private acks: number[] = [];
  private rolling = false;
  private closed = false;
  private sink: OutboxSink | undefined;
  private log!: SegmentLog;
  private replay!: ReplayStats;
  /** The first sequence number this run hands out. */
  firstSeq = 0;

  private constructor(private readonly options: OutboxOptions) {
    this.events = new TypedEvents('outbox', options.log);
    this.state = new OutboxState(options.rememberResults, () => this.now(), options.log);
  }

  static async open(options: OutboxOptions): Promise<Outbox> {
    const box = new Outbox(options);
    const { log, stats } = await SegmentLog.open({ dir: options.dir, fsync: options.fsync, log: options.log }, (r) =>
      box.state.apply(r),
    );
    box.log = log;
    box.replay = stats;
    if (box.state.hwm === 0) {
      // A brand-new outbox starts above anything an earlier install of this gateway id can have
      // used (microseconds of wall time); from here on the counter lives in the log.
      box.state.hwm = (options.now ?? Date.now)() * 1000;
      await log.append({ t: 'h', s: box.state.hwm });
    }
    box.firstSeq = box.state.hwm + 1;
    for (const p of box.state.pending.values()) box.queue.push(p.seq);
    box.queue.sort((a, b) => a - b);
    options.log.info(
      { pending: box.state.pending.size, taken: box.state.taken.size, nextSeq: box.state.hwm + 1, ...stats },
      'outbox opened',
    );
    return box;
  }

  /** The sequence number the next message will carry. */
  get nextSeq(): number {
    return this.state.hwm + 1;
  }

  /**
   * Builds a message with the next sequence number and stores it. `stored` settles once it is on disk;
   * it is sent after that, in order.
   */
  put<T extends OutboxTopic>(
    name: T,
    address: string,
    build: (seq: number) => PayloadOf<T>,
  ): { value: PayloadOf<T>; stored: Promise<void> } {
    if (this.closed) throw new Error('outbox is closed');
    const seq = ++this.state.hwm;
    const value = build(seq);
    const body = encodePayload(name, value).toString('utf8');
    this.makeRoom(body.length);
    const p: Pending = { seq, name, address, body, at: this.now(), durable: false, sent: false };
    this.state.pending.set(seq, p);
    this.state.bytes += body.length;
    if (name === 'commandResult') this.state.markDone(address, value as CommandResult);
    const stored = this.log.append({ t: 'o', s: seq, n: name, a: address, p: body }).then(() => {
      p.durable = true;
      if (this.state.pending.has(seq)) this.queue.push(seq);
      this.events.emit('stored', seq);
      this.pump();
    });
    return { value, stored };
  }

  /** Records a command as taken; resolves once that is on disk (then it may be acknowledged). */
  async takeCommand(address: string, cmd: CommandRequest): Promise<void> {
    if (this.state.taken.has(cmd.commandId) || this.state.done.has(cmd.commandId)) return;
    this.state.taken.set(cmd.commandId, { address, cmd });
    await this.log.append({ t: 'c', id: cmd.commandId, a: address, c: cmd });
  }

  /** True while the message with this sequence number waits for its PUBACK. */
  holds(seq: number): boolean {
    return this.state.pending.has(seq);
  }

  /** Commands taken in an earlier run (or this one) that have no result yet. */
  takenCommands(): Taken[] {
    return [...this.state.taken.values()];
  }

  resultOf(commandId: string): { address: string; result: CommandResult } | undefined {
    return this.state.done.get(commandId);
  }

  /** Called with each sequence number once its message is on disk. */
  onStored(listener: (seq: number) => void): Off {
    return this.events.on('stored', listener);
  }

  attach(sink: OutboxSink): void {
    this.sink = sink;
    sink.onUp(() => this.pump());
    this.pump();
  }

  stats(): OutboxStats {
    const oldest = this.state.pending.values().next().value as Pending | undefined;
    return {
      records: this.state.pending.size,
      bytes: this.state.bytes,
      oldestAgeMs: oldest ? Math.max(0, this.now() - oldest.at) : 0,
      inFlight: this.inFlight,
      delivered: this.delivered,
      dropped: this.dropped,
      commandsTaken: this.state.taken.size,
      replay: this.replay,
    };
  }

  /** Waits until every message is acknowledged, or the time is up; true when empty. */
  async drain(timeoutMs: number): Promise<boolean> {
    const until = this.now() + timeoutMs;
    while (this.state.pending.size > 0 && this.now() < until) {
      this.pump();
      await new Promise((r) => setTimeout(r, 20));
    }
    return this.state.pending.size === 0;
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.flushAcks();
    await this.log.close();
  }

  private pump(): void {
    const sink = this.sink;
    if (!sink || this.closed) return;
    while (sink.connected && this.inFlight < this.options.window && this.queue.length > 0) {
      const seq = this.queue.shift()!;
      const p = this.state.pending.get(seq);
      if (!p || p.sent) continue;
      p.sent = true;
      this.inFlight += 1;
      sink
        .publishRaw(p.name, p.address, Buffer.from(p.body))
        .then(
          () => this.acked(p),
          (err: unknown) => {
            // Not acknowledged: it stays ours and goes again, in order, on the next connection.
            p.sent = false;
            if (this.state.pending.has(p.seq)) this.requeue(p.seq);
            this.options.log.debug({ seq: p.seq, err: (err as Error).message }, 'outbox publish not acknowledged');
          },
        )
        .finally(() => {
          this.inFlight -= 1;
          this.pump();
        });
    }
  }

  private acked(p: Pending): void {
    if (!this.state.pending.delete(p.seq)) return;
    this.state.bytes -= p.body.length;
    this.delivered += 1;
    this.acks.push(p.seq);
    if (this.acks.length === 1) setImmediate(() => this.flushAcks());
  }

  private flushAcks(): void {
    if (this.acks.length === 0) return;
    const s = this.acks;
    this.acks = [];
    // Not awaited: an ack lost in a crash only means that message is sent once more (same seq).
    this.log.append({ t: 'a', s }).catch(() => undefined);
    this.maybeRoll();
  }

  private maybeRoll(): void {
    if (this.rolling || this.closed) return;
    const live = this.state.bytes + 256 * (this.state.taken.size + this.state.done.size);
    if (this.log.currentSegmentBytes < Math.max(this.options.segmentBytes, 2 * live)) return;
    this.rolling = true;
    void this.log
      .roll(() => this.state.snapshot())
      .catch((err: unknown) => this.options.log.error({ err }, 'outbox roll failed'))
      .finally(() => {
        this.rolling = false;
      });
  }

  /**
   * Keeps the bound: the oldest unsent progress and state reports go first (a newer one supersedes
   * them), terminal results last.
   */
  private makeRoom(incoming: number): void {
    const victims: number[] = [];
    for (const kind of ['updateProgress', 'deviceState', 'commandResult', 'updateResult'] as const) {
      for (const p of this.state.pending.values()) {
        if (this.state.bytes + incoming <= this.options.maxBytes) break;
        if (p.sent || p.name !== kind) continue;
        this.state.pending.delete(p.seq);
        this.state.bytes -= p.body.length;
        victims.push(p.seq);
        if (kind === 'commandResult' || kind === 'updateResult')
          this.options.log.error({ seq: p.seq, kind }, 'outbox full: a terminal result was dropped');
      }
    }
    if (victims.length === 0) return;
    this.dropped += victims.length;
    this.queue = this.queue.filter((s) => this.state.pending.has(s));
    this.options.log.warn(
      { dropped: victims.length, maxBytes: this.options.maxBytes },
      'outbox full: oldest reports dropped',
    );
    this.log.append({ t: 'a', s: victims }).catch(() => undefined);
  }

  private requeue(seq: number): void {
    let lo = 0;
    let hi = this.queue.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (this.queue[mid]! < seq) lo = mid + 1;
      else hi = mid;
    }
    this.queue.splice(lo, 0, seq);
  }

  private now(): number {
    return (this.options.now ?? Date.now)();
  }
}
