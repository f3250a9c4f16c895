/**
 * An append-only log in segment files, the disk half of the durable outbox.
 *
 * Each record is framed as [u32 LE body length][u32 LE CRC-32 of body][body: UTF-8 JSON]. Appends
 * made in the same event-loop turn are written together and made durable with one fdatasync (group
 * commit), so a burst costs one flush on an SD card instead of one per record. A crash can leave the
 * last record of the newest segment torn; replay detects it by its length or checksum, drops it and
 * truncates the file there, so the next append starts on a clean boundary.
 *
 * The log never rewrites a record in place. It is compacted by rolling: a new segment opens with a
 * snapshot of the live state (written and synced first), then older segments are deleted. A crash
 * between the two leaves old and new segments side by side; replaying both gives the same state
 * because applying records is idempotent (see outbox.ts).
 */
import { open, readdir, readFile, rm, truncate, mkdir, type FileHandle } from 'node:fs/promises';
import { join } from 'node:path';
import { crc32 } from 'node:zlib';
import type { Logger } from 'pino';

const HEADER = 8;
/** A record larger than this is certainly a torn or corrupt length field. */
const MAX_RECORD = 1 << 20;
const NAME = /^seg-(\d{12})\.log$/;

export class OutboxError extends Error {
  constructor(
    readonly code: 'OUTBOX_CLOSED' | 'OUTBOX_IO' | 'OUTBOX_RECORD_TOO_LARGE' | 'OUTBOX_LOCKED',
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

export interface SegmentLogOptions {
  dir: string;
  /** fdatasync after every group of appends. Off only where the disk does not matter (benchmarks). */
  fsync: boolean;
  log: Logger;
}

export interface ReplayStats {
  segments: number;
  records: number;
  /** Records dropped for a bad length or checksum (a torn tail after a crash, or corruption). */
  dropped: number;
}

export function encodeRecord(record: unknown): Buffer {
  const body = Buffer.from(JSON.stringify(record), 'utf8');
  if (body.length > MAX_RECORD)
    throw new OutboxError('OUTBOX_RECORD_TOO_LARGE', `record of ${body.length} bytes exceeds ${MAX_RECORD}`);
  const frame = Buffer.allocUnsafe(HEADER + body.length);
  frame.writeUInt32LE(body.length, 0);
  frame.writeUInt32LE(crc32(body), 4);
  body.copy(frame, HEADER);
  return frame;
}

/** Decodes the frames of one segment; stops at the first bad frame and returns where it starts. */
export function decodeSegment(data: Buffer): { records: unknown[]; goodBytes: number; bad: boolean } {
  const records: unknown[] = [];
  let at = 0;
  while (at < data.length) {
    if (data.length - at < HEADER) return { records, goodBytes: at, bad: true };
    const length = data.readUInt32LE(at);
    const sum = data.readUInt32LE(at + 4);
    if (length > MAX_RECORD || at + HEADER + length > data.length) return { records, goodBytes: at, bad: true };
    const body = data.subarray(at + HEADER, at + HEADER + length);
    if (crc32(body) !== sum) return { records, goodBytes: at, bad: true };
    try {
      records.push(JSON.parse(body.toString('utf8')));
    } catch {
      return { records, goodBytes: at, bad: true };
    }
    at += HEADER + length;
  }
  return { records, goodBytes: at, bad: false };
}

const LOCK = 'LOCK';

/**
 * One writer per outbox: two processes appending to the same segment would interleave frames. The
 * lock file names its holder's pid; a lock left by a process that no longer runs (kill -9) is taken over.
 */
async function lock(dir: string): Promise<void> {
  const path = join(dir, LOCK);
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      const fh = await open(path, 'wx');
      await fh.writeFile(String(process.pid));
      await fh.close();
      return;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      const holder = Number((await readFile(path, 'utf8').catch(() => '')).trim());
      if (Number.isInteger(holder) && holder > 0 && alive(holder)) {
        throw new OutboxError('OUTBOX_LOCKED', `outbox ${dir} is in use by process ${holder}`);
      }
      await rm(path, { force: true });
    }
  }
  throw new OutboxError('OUTBOX_LOCKED', `outbox ${dir} could not be locked`);
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

export class SegmentLog {
  private handle: FileHandle | undefined;
  private segment = 0;
  private segmentBytes = 0;
  private batch: Buffer[] = [];
  private waiters: { resolve: () => void; reject: (err: Error) => void }[] = [];
  private scheduled = false;
  /** Every file operation runs on this chain, so writes, rolls and close never interleave. */
  private chain: Promise<void> = Promise.resolve();
  private closed = false;

  private constructor(private readonly options: SegmentLogOptions) {}

  /** Replays every segment in order into `apply`, repairs a torn tail, and opens for appending. */
  static async open(
    options: SegmentLogOptions,
    apply: (record: unknown) => void,
  ): Promise<{ log: SegmentLog; stats: ReplayStats }> {
    await mkdir(options.dir, { recursive: true });
    await lock(options.dir);
    const log = new SegmentLog(options);
    const numbers = (await readdir(options.dir))
      .map((f) => NAME.exec(f)?.[1])
      .filter((n): n is string => n !== undefined)
      .map(Number)
      .sort((a, b) => a - b);
    const stats: ReplayStats = { segments: numbers.length, records: 0, dropped: 0 };
    for (const [i, n] of numbers.entries()) {
      const path = log.pathOf(n);
      const data = await readFile(path);
      const { records, goodBytes, bad } = decodeSegment(data);
      for (const r of records) apply(r);
      stats.records += records.length;
      if (bad) {
        stats.dropped += 1;
        const last = i === numbers.length - 1;
        options.log.warn(
          { segment: path, at: goodBytes, size: data.length, last },
          last ? 'torn record at the end of the outbox dropped' : 'corrupt outbox record: rest of segment skipped',
        );
        // Only the newest segment is appended to; cutting it at the last good frame keeps later
        // appends readable. Older segments are left for inspection until the next roll removes them.
        if (last) await truncate(path, goodBytes);
      }
      if (i === numbers.length - 1) {
        log.segment = n;
        log.segmentBytes = bad ? goodBytes : data.length;
      }
    }
    if (numbers.length === 0) log.segment = 1;
    log.handle = await open(log.pathOf(log.segment), 'a');
    if (numbers.length === 0) await log.syncDir();
    return { log, stats };
  }

  /** Bytes in the segment being appended to (what a roll would reclaim is older than that). */
  get currentSegmentBytes(): number {
    return this.segmentBytes;
  }

  /** Resolves once the record is on disk (after fdatasync when fsync is on). */
  append(record: unknown): Promise<void> {
    if (this.closed) return Promise.reject(new OutboxError('OUTBOX_CLOSED', 'outbox is closed'));
    const frame = encodeRecord(record);
    this.batch.push(frame);
    this.segmentBytes += frame.length;
    const done = new Promise<void>((resolve, reject) => this.waiters.push({ resolve, reject }));
    if (!this.scheduled) {
      this.scheduled = true;
      setImmediate(() => {
        this.scheduled = false;
        this.enqueue(() => this.writeBatch());
      });
    }
    return done;
  }

  /**
   * Starts a new segment holding `snapshot()` (taken when the roll runs, after every earlier append
   * is written), syncs it, then deletes the older segments.
   */
  roll(snapshot: () => unknown[]): Promise<void> {
    return this.enqueue(async () => {
      await this.writeBatch();
      const old = this.segment;
      const next = old + 1;
      const frames = Buffer.concat(snapshot().map(encodeRecord));
      const handle = await open(this.pathOf(next), 'w');
      try {
        await handle.write(frames);
        await handle.datasync();
      } catch (err) {
        await handle.close();
        throw err;
      }
      await this.syncDir();
      await this.handle?.close();
      this.handle = handle;
      this.segment = next;
      this.segmentBytes = frames.length;
      for (const f of await readdir(this.options.dir)) {
        const n = NAME.exec(f)?.[1];
        if (n !== undefined && Number(n) < next) await rm(join(this.options.dir, f), { force: true });
      }
      await this.syncDir();
    });
  }

  async close(): Promise<void> {
    if (this.closed) return;
    await this.enqueue(() => this.writeBatch());
    this.closed = true;
    await this.chain;
    await this.handle?.close();
    this.handle = undefined;
    await rm(join(this.options.dir, LOCK), { force: true });
  }

  private enqueue(op: () => Promise<void>): Promise<void> {
    const run = this.chain.then(op);
    this.chain = run.catch((err: unknown) => this.options.log.error({ err }, 'outbox write failed'));
    return run;
  }

  private async writeBatch(): Promise<void> {
    if (this.batch.length === 0) return;
    const frames = Buffer.concat(this.batch);
    const waiters = this.waiters;
    this.batch = [];
    this.waiters = [];
    try {
      if (!this.handle) throw new OutboxError('OUTBOX_CLOSED', 'outbox is closed');
      await this.handle.write(frames);
      if (this.options.fsync) await this.handle.datasync();
      for (const w of waiters) w.resolve();
    } catch (err) {
      const e = new OutboxError('OUTBOX_IO', `outbox write failed: ${(err as Error).message}`, { cause: err });
      for (const w of waiters) w.reject(e);
    }
  }

  /** A new or removed file is durable only once its directory entry is (fsync(2), NOTES). */
  private async syncDir(): Promise<void> {
    if (!this.options.fsync) return;
    const dir = await open(this.options.dir, 'r');
    try {
      await dir.sync();
    } finally {
      await dir.close();
    }
  }

  private pathOf(n: number): string {
    return join(this.options.dir, `seg-${String(n).padStart(12, '0')}.log`);
  }
}
