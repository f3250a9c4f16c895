/**
 * `rollout status --watch`: follows a staged rollout on the operators' event stream (GET /v1/admin/events,
 * `rollout` events) until it ends. Each event of the rollout makes the watch read it again (the event
 * carries the whole rollout's counts, the bar needs its stage's), so the bar never shows a count the
 * cloud did not report. One bar per stage: on a terminal the bar of the running stage is redrawn and
 * left on its own line when the next stage begins; through a pipe, plain lines (progress.ts).
 */
import { CliExit, ExitCode, type CliIo } from '../io.ts';
import type { AdminClient } from './client.ts';
import { ProgressView } from './progress.ts';
import { follow } from './watch.ts';

type Counts = Record<string, number>;
export interface Rollout {
  id: string;
  releaseId: string;
  state: string;
  reason: string | null;
  detail: string | null;
  currentStage: number;
  stages: { index: number; state: string; counts: Counts & { total: number } }[];
  counts: Counts;
  gateways?: { gatewayId: string; counts: Counts }[];
  report: { plannedMakespanSeconds: number; lowerBoundSeconds: number; actualMakespanSeconds: number | null };
}

const ENDED = new Set(['completed', 'cancelled', 'halted', 'rolled_back']);

export const hasEnded = (r: Pick<Rollout, 'state'>) => ENDED.has(r.state);

export const getRollout = async (client: AdminClient, id: string) =>
  (await client.call('GET', `/rollouts/${encodeURIComponent(id)}`)) as Rollout;

/** A rollout's moves: its state and each stage's as notes, the running stage's switches as a bar. */
export class RolloutView {
  #state = '';
  #stages = new Map<number, string>();
  #barOf: number | null = null;

  constructor(private readonly progress: ProgressView) {}

  show(r: Rollout): void {
    if (r.state !== this.#state) {
      this.#state = r.state;
      this.progress.note(`rollout ${r.id}: ${r.state}${r.reason ? ` (${r.reason})` : ''}`);
    }
    for (const s of r.stages) {
      if (this.#stages.get(s.index) === s.state) continue;
      this.#stages.set(s.index, s.state);
      if (s.state !== 'pending') this.progress.note(`stage ${s.index}: ${s.state}`);
    }
    const stage = r.stages.find((s) => s.index === r.currentStage);
    if (!stage) return;
    // The bar of the stage before stays on its own line, as it ended.
    if (this.#barOf !== null && this.#barOf !== stage.index) this.progress.close();
    this.#barOf = stage.index;
    const c = stage.counts;
    const bad = (c.failed ?? 0) + (c.reverted ?? 0) + (c.timeout ?? 0);
    this.progress.show({
      label: `stage ${stage.index}`,
      done: c.succeeded ?? 0,
      total: c.total,
      suffix: `updating ${c.updating ?? 0}, waiting ${c.waiting ?? 0}, failed ${bad}`,
    });
  }

  close(): void {
    this.progress.close();
  }
}

/** Follows rollout `id` to its end; 0 once completed, a CliExit with the reason when it ended otherwise. */
export async function watchRollout(
  client: AdminClient,
  id: string,
  io: CliIo,
  print: (r: Rollout) => void,
): Promise<number> {
  const view = new RolloutView(new ProgressView(io.out, io.terminal));
  // Reads run one after another, so what is shown never goes back to an older answer.
  let reads = Promise.resolve();
  const reread = () => {
    reads = reads.then(async () => view.show(await getRollout(client, id))).catch(() => {});
  };
  let ended: Rollout;
  try {
    ended = await follow<Rollout>(client, {
      read: () => getRollout(client, id),
      show: (r) => view.show(r),
      ended: hasEnded,
      event(e) {
        if (e.event !== 'rollout') return false;
        const move = JSON.parse(e.data) as { rolloutId: string; state: string };
        if (move.rolloutId !== id) return false;
        if (hasEnded(move)) return true;
        reread();
        return false;
      },
      reconnected: () => io.err('switchfleet: the event stream ended; reading the rollout again and reconnecting'),
    });
    await reads;
    view.show(ended);
  } finally {
    view.close();
  }
  print(ended);
  return rolloutOutcome(ended);
}

/** 0 for a rollout that completed or still runs; a CliExit with its reason for one that ended otherwise. */
export function rolloutOutcome(r: Rollout): number {
  if (!hasEnded(r) || r.state === 'completed') return ExitCode.ok;
  const detail = r.detail ? ` (${r.detail})` : '';
  throw new CliExit(`rollout ${r.id} ${r.state}: ${r.reason ?? 'no reason given'}${detail}`, ExitCode.failed);
}
