/**
 * The cloud's ReleaseSuitePort, implemented by running the release suite (runReleaseSuite, what
 * `switchfleet firmware test` runs) in a child process: the suite's simulated radios, gateways and
 * broker then load another event loop than the cloud's API. The image (and the previous release)
 * go in a private temporary directory; the job, keys included, on the child's stdin; the result
 * comes back as a JSON file. Past the timeout, or when the cloud aborts, the child is killed.
 *
 * The update cases need a previous release. The cloud hands the newest passed one of the model; for
 * a model's first release the suite builds a baseline, which needs a trusted signing key
 * (`privateKeyPem`, e.g. the demo key `npm start` makes). Without either those cases fail, so a
 * first release passes only where a trusted key can sign its baseline.
 */
import { spawn } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { ReleaseSuitePort, SuiteRunOptions, SuiteRunResult } from '@switchfleet/cloud';
import type { ChildJob } from './child.ts';

/** The child from the lab's sources (under tsx); a built cloud hands its own bundled child instead. */
const SOURCE_CHILD = () => fileURLToPath(new URL('../../bin/release-suite-child.js', import.meta.url));
/** What of the child's stderr a failure quotes: its last lines, not an unbounded log. */
const STDERR_KEPT = 2000;

export interface LabReleaseSuiteOptions {
  /**
   * The script `node` runs as the child: default the lab's bin/release-suite-child.js (sources under
   * tsx); the built cloud passes its bundled dist/cloud/release-suite-child.mjs, which needs no loader.
   */
  childScript?: string;
  /** Ed25519 PKCS#8 PEM that signs the baseline for a model's first release; its public half must be trusted. */
  privateKeyPem?: string;
  /** Only these cases (names or groups); default every case. */
  cases?: string[];
  /** Fixes the suite's random choices; default a new seed per run (each case's seed is in the report). */
  seed?: number;
  concurrency?: number;
  caseTimeoutMs?: number;
}

export class SuiteProcessError extends Error {
  constructor(
    readonly code: 'SUITE_CRASHED' | 'SUITE_TIMEOUT' | 'SUITE_ABORTED' | 'SUITE_BAD_REPORT',
    message: string,
  ) {
    super(message);
    this.name = 'SuiteProcessError';
  }
}

export class LabReleaseSuite implements ReleaseSuitePort {
  constructor(private readonly options: LabReleaseSuiteOptions = {}) {}

  async run(image: Buffer, run: SuiteRunOptions): Promise<SuiteRunResult> {
    const dir = await mkdtemp(join(tmpdir(), 'switchfleet-suite-'));
    try {
      const { childScript = SOURCE_CHILD(), ...suiteOptions } = this.options;
      const job: ChildJob = {
        imagePath: join(dir, 'image.bin'),
        reportPath: join(dir, 'report.json'),
        trustedKeys: run.trustedKeys,
        ...suiteOptions,
      };
      await writeFile(job.imagePath, image, { mode: 0o600 });
      if (run.previous) {
        job.previousPath = join(dir, 'previous.bin');
        await writeFile(job.previousPath, run.previous, { mode: 0o600 });
      }
      await runChild(childScript, job, run.signal, run.timeoutMs);
      let result: SuiteRunResult;
      try {
        result = JSON.parse(await readFile(job.reportPath, 'utf8')) as SuiteRunResult;
      } catch (e) {
        throw new SuiteProcessError('SUITE_BAD_REPORT', `the suite left no readable report: ${(e as Error).message}`);
      }
      return result;
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  }
}

function runChild(script: string, job: ChildJob, signal: AbortSignal, timeoutMs: number): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal.aborted) {
      reject(new SuiteProcessError('SUITE_ABORTED', `the run was stopped: ${String(signal.reason)}`));
      return;
    }
    const child = spawn(process.execPath, [script], { stdio: ['pipe', 'ignore', 'pipe'] });
    let stderr = '';
    let ended: SuiteProcessError | undefined;
    const stop = (error: SuiteProcessError) => {
      ended ??= error;
      child.kill('SIGKILL');
    };
    const timer = setTimeout(
      () => stop(new SuiteProcessError('SUITE_TIMEOUT', `the suite did not finish within ${timeoutMs} ms`)),
      timeoutMs,
    );
    const onAbort = () => stop(new SuiteProcessError('SUITE_ABORTED', `the run was stopped: ${String(signal.reason)}`));
    signal.addEventListener('abort', onAbort, { once: true });
    child.stderr.setEncoding('utf8');
    child.stderr.on('data', (chunk: string) => {
      stderr = (stderr + chunk).slice(-STDERR_KEPT);
    });
    child.on('error', (e) => stop(new SuiteProcessError('SUITE_CRASHED', `the suite could not start: ${e.message}`)));
    child.on('close', (code, sig) => {
      clearTimeout(timer);
      signal.removeEventListener('abort', onAbort);
      if (ended) reject(ended);
      else if (code === 0) resolve();
      else {
        const how = sig ? `was killed by ${sig}` : `exited with code ${code}`;
        reject(new SuiteProcessError('SUITE_CRASHED', `the suite process ${how}: ${stderr.trim() || '(no output)'}`));
      }
    });
    // The job carries the baseline's signing key: over a pipe, never argv (ps) or a file.
    child.stdin.on('error', () => undefined);
    child.stdin.end(JSON.stringify(job));
  });
}
