/**
 * runReleaseSuite: puts a signed image on simulated switches and runs it through the production
 * gateway, case by case, several at once (each case has its own radio, gateway and switches; they
 * share only the in-process broker), and returns the report. It throws only for unusable inputs
 * (SuiteError); everything the image does wrong is a failed case.
 */
import { performance } from 'node:perf_hooks';
import { randomSeed, Rng } from '@switchfleet/firmware-sim';
import { CaseScope, type SuiteCase, type SuiteSettings } from './case.ts';
import { SUITE_CASES } from './cases/index.ts';
import { SuiteCloud } from './cloud.ts';
import { describeInputs, prepareInputs, type SuiteInputs } from './inputs.ts';
import { SuiteError, type CaseReport, type ReleaseSuiteOptions, type SuiteReport } from './types.ts';

export const SUITE_DEFAULTS = {
  concurrency: 4,
  caseTimeoutMs: 30_000,
  linkWindowMs: 15 * 60_000,
  latencyBoundMs: 500,
} as const;

export function caseNames(): string[] {
  return SUITE_CASES.map((c) => c.name);
}

/** The cases a selection names: exact names, or a group before ':' ("power-loss"). */
export function selectCases(names: readonly string[] | undefined): SuiteCase[] {
  if (names === undefined) return [...SUITE_CASES];
  const picked = new Set<SuiteCase>();
  for (const name of names) {
    const matches = SUITE_CASES.filter((c) => c.name === name || c.name.split(':')[0] === name);
    if (matches.length === 0)
      throw new SuiteError('UNKNOWN_CASE', `no case "${name}"; cases: ${caseNames().join(', ')}`);
    for (const c of matches) picked.add(c);
  }
  return SUITE_CASES.filter((c) => picked.has(c));
}

export async function runReleaseSuite(options: ReleaseSuiteOptions): Promise<SuiteReport> {
  const started = performance.now();
  const inputs = prepareInputs(options);
  const cases = selectCases(options.cases);
  const seed = (options.seed ?? randomSeed()) >>> 0;
  const settings: SuiteSettings = {
    linkWindowMs: options.linkWindowMs ?? SUITE_DEFAULTS.linkWindowMs,
    latencyBoundMs: options.latencyBoundMs ?? SUITE_DEFAULTS.latencyBoundMs,
  };
  const timeoutMs = options.caseTimeoutMs ?? SUITE_DEFAULTS.caseTimeoutMs;
  const rng = new Rng(seed);

  const cloud = await SuiteCloud.start();
  const results: CaseReport[] = new Array(cases.length);
  try {
    let next = 0;
    const worker = async () => {
      for (let i = next++; i < cases.length; i = next++) {
        const c = cases[i]!;
        const report = await runCase(c, i, rng.fork(c.name).seed, { cloud, inputs, settings, timeoutMs });
        results[i] = report;
        options.onCase?.(report);
      }
    };
    const workers = Math.max(1, Math.min(options.concurrency ?? SUITE_DEFAULTS.concurrency, cases.length));
    await Promise.all(Array.from({ length: workers }, worker));
  } finally {
    await cloud.close();
  }
  const passed = results.filter((r) => r.status === 'passed').length;
  return {
    ...describeInputs(inputs),
    seed,
    cases: results,
    passed,
    failed: results.length - passed,
    durationMs: Math.round(performance.now() - started),
  };
}

interface RunDeps {
  cloud: SuiteCloud;
  inputs: SuiteInputs;
  settings: SuiteSettings;
  timeoutMs: number;
}

async function runCase(c: SuiteCase, index: number, seed: number, deps: RunDeps): Promise<CaseReport> {
  const started = performance.now();
  const scope = new CaseScope(deps.cloud, `case-${index + 1}`);
  let timer: NodeJS.Timeout | undefined;
  let failure: string | undefined;
  try {
    if (c.needsPrevious && !deps.inputs.previous) throw new Error(deps.inputs.previousMissing ?? 'no previous release');
    const run = c.run(scope.context(c.name, seed, deps.inputs, deps.settings));
    // A case abandoned at its timeout must not surface later as an unhandled rejection.
    run.catch(() => undefined);
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(
        () => reject(new Error(`the case did not finish within ${deps.timeoutMs} ms`)),
        deps.timeoutMs,
      );
    });
    await Promise.race([run, timeout]);
  } catch (err) {
    failure = (err as Error).message || String(err);
  } finally {
    clearTimeout(timer);
    await scope.close();
  }
  const report: CaseReport = {
    name: c.name,
    status: failure === undefined ? 'passed' : 'failed',
    durationMs: Math.round(performance.now() - started),
    seed,
  };
  if (failure !== undefined) report.reason = failure;
  else if (scope.detail !== undefined) report.detail = scope.detail;
  return report;
}
