/**
 * The child side of the cloud's suite adapter: reads its job as JSON on stdin (the image's path, the
 * trusted keys and, when given, the key that signs a baseline: secrets never go through argv or the
 * environment), runs the release suite, and writes the cloud's result as JSON to the job's report
 * path. Exit 0 when the suite ran (whatever its verdict), 1 when it could not run.
 */
import { readFile, writeFile } from 'node:fs/promises';
import type { Readable, Writable } from 'node:stream';
import { runReleaseSuite } from '../suite/run.ts';
import type { CaseReport, ReleaseSuiteOptions } from '../suite/types.ts';
import { suiteVersion } from './version.ts';

export interface ChildJob {
  imagePath: string;
  previousPath?: string;
  reportPath: string;
  trustedKeys: string[];
  privateKeyPem?: string;
  cases?: string[];
  seed?: number;
  concurrency?: number;
  caseTimeoutMs?: number;
}

/** The cloud's case shape: a failed case's reason is its detail. */
export function toCloudCase(c: CaseReport) {
  const detail = c.reason ?? c.detail;
  return {
    name: c.name,
    outcome: c.status,
    durationMs: c.durationMs,
    seed: c.seed,
    ...(detail === undefined ? {} : { detail }),
  };
}

export async function runChild(stdin: Readable, stderr: Writable): Promise<number> {
  try {
    let text = '';
    for await (const chunk of stdin) text += chunk;
    const job = JSON.parse(text) as ChildJob;
    const options: ReleaseSuiteOptions = {
      image: await readFile(job.imagePath),
      publicKeys: job.trustedKeys,
      ...(job.previousPath === undefined ? {} : { previousImage: await readFile(job.previousPath) }),
      ...(job.privateKeyPem === undefined ? {} : { privateKeyPem: job.privateKeyPem }),
      ...(job.cases === undefined ? {} : { cases: job.cases }),
      ...(job.seed === undefined ? {} : { seed: job.seed }),
      ...(job.concurrency === undefined ? {} : { concurrency: job.concurrency }),
      ...(job.caseTimeoutMs === undefined ? {} : { caseTimeoutMs: job.caseTimeoutMs }),
    };
    const report = await runReleaseSuite(options);
    const result = { suiteVersion: await suiteVersion(), cases: report.cases.map(toCloudCase) };
    await writeFile(job.reportPath, JSON.stringify(result));
    return 0;
  } catch (e) {
    const err = e as { code?: string; message?: string };
    stderr.write(`${err.code ? `${err.code}: ` : ''}${err.message ?? String(e)}\n`);
    return 1;
  }
}
