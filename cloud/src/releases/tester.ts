/**
 * Runs the release suite on queued releases, one run at a time on this instance. The suite itself
 * runs off this process's event loop (the adapter behind the port starts a child process); here the
 * cloud only waits, keeps the lease alive and records the result. Whatever keeps the suite from
 * reporting (a crash, a rejection, a timeout, a malformed result) is `failed` with that reason: a
 * release passes only on a result in which every case passed.
 */
import type { Logger } from 'pino';
import { runEvery } from '../periodic.ts';
import type { ClaimedRun, ReleaseTestQueue, RunOutcome } from './queue.ts';
import type { SigningKeyService } from './keys.ts';
import type { ReleaseSuitePort, SuiteCaseResult, SuiteRunResult } from './suite-port.ts';

export interface TesterTiming {
  /** Limit of one suite run; default 10 minutes. */
  timeoutMs?: number;
  /** Lease on a claimed run, renewed every third of it; default 30 s. */
  leaseMs?: number;
  /** How often the queue is looked at for work another instance queued; default 5 s. */
  pollMs?: number;
}

interface RunInputs {
  image: Buffer;
  previous: Buffer | undefined;
  trustedKeys: string[];
}

export const TESTER_DEFAULTS = { timeoutMs: 10 * 60_000, leaseMs: 30_000, pollMs: 5_000 } as const;

export class ReleaseTester {
  readonly #timing: Required<TesterTiming>;
  #stopped = false;
  readonly #stopping = new AbortController();
  #draining: Promise<void> | undefined;

  constructor(
    private readonly deps: {
      queue: ReleaseTestQueue;
      keys: SigningKeyService;
      suite: ReleaseSuitePort;
      /** This instance's name on the leases it takes; unique among running instances. */
      owner: string;
      logger: Logger;
    },
    timing: TesterTiming = {},
  ) {
    this.#timing = { ...TESTER_DEFAULTS, ...timing };
  }

  /** Polls the queue; returns the stop function, which aborts a run under way and hands it back. */
  start(): () => Promise<void> {
    const stopPolling = runEvery(this.#timing.pollMs, () => this.drain(), this.deps.logger, 'release test poll');
    this.kick();
    return async () => {
      stopPolling();
      this.#stopped = true;
      this.#stopping.abort(new Error('the cloud is stopping'));
      await this.#draining?.catch(() => undefined);
    };
  }

  /** Looks at the queue now (a release was just queued on this instance). */
  kick(): void {
    this.drain().catch((e: unknown) => this.deps.logger.error({ err: e }, 'release test run failed'));
  }

  /** Runs queued releases until none is left, one at a time; a call while that goes on joins it. */
  drain(): Promise<void> {
    if (this.#stopped) return Promise.resolve();
    this.#draining ??= this.loop().finally(() => {
      this.#draining = undefined;
    });
    return this.#draining;
  }

  private async loop(): Promise<void> {
    while (!this.#stopped) {
      const run = await this.deps.queue.claim(this.deps.owner, this.#timing.leaseMs);
      if (!run) return;
      if (this.#stopped) {
        await this.deps.queue.giveBack(run.releaseId, this.deps.owner);
        return;
      }
      await this.runOne(run);
    }
  }

  private async runOne(run: ClaimedRun): Promise<void> {
    const { queue, owner, logger } = this.deps;
    const log = logger.child({ releaseId: run.releaseId, version: run.version, attempt: run.attempt });
    // Outside the verdict: a database that cannot hand over the inputs is not the image's fault. The
    // error ends this drain; the lease runs out and the release is claimed again.
    const inputs = await this.inputs(run);
    const abort = new AbortController();
    const onStop = () => abort.abort(this.#stopping.signal.reason);
    this.#stopping.signal.addEventListener('abort', onStop, { once: true });
    const heartbeat = setInterval(() => {
      queue.heartbeat(run.releaseId, owner, this.#timing.leaseMs).then(
        (held) => {
          if (!held) abort.abort(new Error('the lease on this run was lost to another instance'));
        },
        (e: unknown) => log.warn({ err: e }, 'release test lease renewal failed'),
      );
    }, this.#timing.leaseMs / 3);
    heartbeat.unref();
    log.info('release test run started');
    let outcome: RunOutcome;
    try {
      const result = await this.suite(run, inputs, abort.signal);
      outcome = judge(result);
    } catch (e) {
      outcome = {
        outcome: 'failed',
        reason: `the suite did not complete: ${(e as Error).message}`,
        suiteVersion: 'unknown',
        cases: [],
      };
    } finally {
      clearInterval(heartbeat);
      this.#stopping.signal.removeEventListener('abort', onStop);
    }
    if (abort.signal.aborted) {
      // Cut short by a stop or a lost lease: not the image's fault, so no verdict; it runs again.
      if (this.#stopping.signal.aborted) await queue.giveBack(run.releaseId, owner);
      log.warn({ reason: String(abort.signal.reason) }, 'release test run cut short; it will run again');
      return;
    }
    const recorded = await queue.finish(run, owner, outcome);
    if (recorded) log.info({ outcome: outcome.outcome, reason: outcome.reason }, 'release test run finished');
    else log.warn('release test result dropped: the lease was lost to another instance');
  }

  private async inputs(run: ClaimedRun): Promise<RunInputs> {
    const { queue, keys } = this.deps;
    const [image, previous, trusted] = await Promise.all([
      queue.image(run.sha256),
      queue.previous(run),
      keys.trusted(),
    ]);
    return { image, previous, trustedKeys: trusted.map((k) => k.publicKeyPem) };
  }

  /** The suite's run, bounded by the timeout even if the adapter ignores it. */
  private async suite(run: ClaimedRun, inputs: RunInputs, signal: AbortSignal): Promise<SuiteRunResult> {
    const { image, previous, trustedKeys } = inputs;
    const timeoutMs = this.#timing.timeoutMs;
    // The cloud's own bound, should the adapter not keep to the limit it is given: at the limit the
    // run is told to stop and the cloud stops waiting for it.
    const overdue = new AbortController();
    const timer = setTimeout(
      () => overdue.abort(new Error(`the suite did not finish within ${timeoutMs} ms`)),
      timeoutMs,
    );
    const runSignal = AbortSignal.any([signal, overdue.signal]);
    const ended = new Promise<never>((_, reject) => {
      const stop = () => reject(runSignal.reason);
      if (runSignal.aborted) stop();
      runSignal.addEventListener('abort', stop, { once: true });
    });
    const running = this.deps.suite.run(image, {
      hardwareId: run.hardwareId,
      trustedKeys,
      ...(previous ? { previous } : {}),
      signal: runSignal,
      timeoutMs,
    });
    // Abandoned at the timeout or a stop, it must not surface later as an unhandled rejection.
    running.catch(() => undefined);
    try {
      return await Promise.race([running, ended]);
    } finally {
      clearTimeout(timer);
    }
  }
}

/** Passed only when the result is well formed, names at least one case, and every case passed. */
export function judge(result: SuiteRunResult): RunOutcome {
  const wellFormed =
    result !== null &&
    typeof result === 'object' &&
    typeof result.suiteVersion === 'string' &&
    Array.isArray(result.cases) &&
    result.cases.every(isCase);
  if (!wellFormed) {
    return { outcome: 'failed', reason: 'the suite returned a malformed result', suiteVersion: 'unknown', cases: [] };
  }
  const cases = result.cases.map(({ name, outcome, durationMs, seed, detail }) => ({
    name,
    outcome,
    durationMs,
    seed,
    ...(detail === undefined ? {} : { detail }),
  }));
  const failed = cases.filter((c) => c.outcome !== 'passed');
  if (cases.length === 0) {
    return { outcome: 'failed', reason: 'the suite ran no case', suiteVersion: result.suiteVersion, cases };
  }
  if (failed.length === 0) return { outcome: 'passed', reason: null, suiteVersion: result.suiteVersion, cases };
  const reason = failed.map((c) => (c.detail ? `${c.name}: ${c.detail}` : c.name)).join('; ');
  return { outcome: 'failed', reason: `failed: ${reason}`, suiteVersion: result.suiteVersion, cases };
}

function isCase(c: unknown): c is SuiteCaseResult {
  const x = c as SuiteCaseResult;
  return (
    typeof x === 'object' &&
    x !== null &&
    typeof x.name === 'string' &&
    (x.outcome === 'passed' || x.outcome === 'failed') &&
    typeof x.durationMs === 'number' &&
    typeof x.seed === 'number' &&
    (x.detail === undefined || typeof x.detail === 'string')
  );
}
