/**
 * The release test suite as the cloud sees it: a port the process that composes the cloud plugs an
 * adapter into (the lab's, which runs the suite in a child process). The cloud never imports the lab.
 */

export type CaseOutcome = 'passed' | 'failed';

export interface SuiteCaseResult {
  name: string;
  outcome: CaseOutcome;
  durationMs: number;
  /** The case's seed, so a run can be replayed. */
  seed: number;
  /** Why it failed, or what it measured when it passed. */
  detail?: string;
}

export interface SuiteRunResult {
  /** Which suite produced this (its own version): a report is only as good as the suite that made it. */
  suiteVersion: string;
  cases: SuiteCaseResult[];
}

export interface SuiteRunOptions {
  /** The hardware model the image is for: switches of that model are simulated. */
  hardwareId: string;
  /** Public keys (SPKI PEM) the fleet trusts now: what a switch would verify the image with. */
  trustedKeys: string[];
  /**
   * The newest passed release for this hardware, for the update cases to start from; absent for the
   * first release of a model (the adapter then needs another way to a baseline, or those cases fail).
   */
  previous?: Buffer;
  /** Aborted when the cloud stops; the run must end promptly. */
  signal: AbortSignal;
  /** The whole run's limit; past it the adapter gives up and rejects. */
  timeoutMs: number;
}

export interface ReleaseSuitePort {
  /** Resolves with the suite's result, pass or fail; rejects only when the suite could not run or finish. */
  run(image: Buffer, options: SuiteRunOptions): Promise<SuiteRunResult>;
}
