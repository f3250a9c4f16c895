/**
 * `--watch` of an update job: follows the operators' event stream (GET /v1/admin/events) for the
 * job's events and shows its phases and bytes until it ends. The stream is opened before the job is
 * read, so a change is either in that answer or comes after it as an event. The stream sends no
 * event ids to resume from: when it ends (the cloud may have missed events, a restart) the job is
 * read again and the stream reopened. `follow` does this for anything the stream tells of (a
 * rollout's status too).
 */
import { setTimeout as delay } from 'node:timers/promises';
import type { AdminClient } from './client.ts';
import { formatBytes, type ProgressView, RateMeter } from './progress.ts';
import { type SseEvent, sseEvents } from './sse.ts';

export interface UpdateJob {
  id: string;
  deviceId: string;
  releaseId: string;
  targetVersion: string;
  state: string;
  phase: string | null;
  waitingReason: string | null;
  reason: string | null;
  detail: string | null;
  bytes: number | null;
  totalBytes: number | null;
  rate: number | null;
  createdAt: string;
  endedAt: string | null;
  version: string | null;
}

/** What an `update` event of the stream carries. */
type JobMove = Pick<UpdateJob, 'state' | 'phase' | 'bytes' | 'totalBytes' | 'reason'> & {
  jobId: string;
  waitingReason?: string | null;
};

const ACTIVE = new Set(['queued', 'waiting', 'running']);

export const isActive = (job: Pick<UpdateJob, 'state'>) => ACTIVE.has(job.state);

export const getJob = async (client: AdminClient, id: string) =>
  (await client.call('GET', `/updates/${encodeURIComponent(id)}`)) as UpdateJob;

/** A job's moves as notes (state and phase, each once, in order) and its bytes as a progress line. */
export class JobView {
  #step = '';
  /** The bytes when the current step began. */
  #from: number | null = null;
  #rate = new RateMeter();

  constructor(
    private readonly progress: ProgressView,
    private readonly now: () => number = Date.now,
  ) {}

  show(move: JobMove): void {
    const wait = move.state === 'waiting' && move.waitingReason ? ` (${move.waitingReason})` : '';
    const step = `${move.state}${move.phase ? `: ${move.phase}` : ''}${wait}`;
    if (step !== this.#step && isActive(move)) {
      this.#step = step;
      this.#from = move.bytes;
      // Each phase moves its own bytes (download to the gateway, upload to the switch): its own rate.
      this.#rate = new RateMeter();
      this.progress.note(step);
    }
    if (move.phase === null || move.bytes === null || !isActive(move)) return;
    const rate = this.#rate.add(move.bytes, this.now());
    // A phase that moves no bytes (testing, rebooting) keeps the count the upload left: no bar for it.
    if (move.bytes === this.#from) return;
    this.progress.show({
      label: move.phase,
      done: move.bytes,
      total: move.totalBytes,
      format: formatBytes,
      ...(rate === null ? {} : { suffix: `${formatBytes(Math.round(rate))}/s` }),
    });
  }

  close(): void {
    this.progress.close();
  }
}

/** What `follow` follows on the operators' stream: an update job, a rollout. */
export interface Followed<T> {
  /** Reads it as it is now; called once the stream is open, so no change falls between the two. */
  read(): Promise<T>;
  show(state: T): void;
  ended(state: T): boolean;
  /** Takes one event of the stream; true when it says what is followed has ended (it is read once more). */
  event(e: SseEvent): boolean;
  /** Told each time the stream ended under the watch and is opened again. */
  reconnected(): void;
}

/** Follows something on GET /v1/admin/events until it ends; returns it as read once ended. */
export async function follow<T>(client: AdminClient, followed: Followed<T>, pauseMs = 1_000): Promise<T> {
  for (;;) {
    const abort = new AbortController();
    try {
      const body = await client.events('/events', abort.signal);
      const state = await followed.read();
      followed.show(state);
      if (followed.ended(state)) return state;
      if (await endOf(body, followed)) return await followed.read();
    } finally {
      abort.abort();
    }
    followed.reconnected();
    await delay(pauseMs);
  }
}

/** Reads the stream until what is followed ends (true) or the stream does, or breaks (false). */
async function endOf(body: AsyncIterable<Uint8Array>, followed: Followed<unknown>): Promise<boolean> {
  try {
    for await (const e of sseEvents(body)) if (followed.event(e)) return true;
  } catch {
    // The connection broke mid-stream (a reset, a proxy's timeout): like its end, the state is read again.
  }
  return false;
}

/** Shows job `id`'s moves until it ends; returns the job as read once ended. */
export function followJob(client: AdminClient, id: string, view: JobView, reconnected: () => void): Promise<UpdateJob> {
  return follow(client, {
    read: () => getJob(client, id),
    show: (job) => view.show({ ...job, jobId: job.id }),
    ended: (job) => !isActive(job),
    event(e) {
      if (e.event !== 'update') return false;
      const move = JSON.parse(e.data) as JobMove;
      if (move.jobId !== id) return false;
      view.show(move);
      return !isActive(move);
    },
    reconnected,
  });
}
