/**
 * One update job from taking to its end, in the order that keeps the switch safe and the radio the
 * household's: download (or reuse) the image → check its sha256, size, version and signature before
 * any byte goes to a switch → wait until the switch is heard → wait for a free update slot → refuse
 * a low battery → the ota feature's SMP update (MCUboot test, reset, confirm). The job's deadline
 * bounds all of it; a cancel or the deadline aborts the update, which leaves the switch bootable on
 * its old or its new image (ota/update.ts).
 */
import type { Logger } from 'pino';
import type { UpdateJob, UpdatePhase, UpdateProgress, UpdateResult } from '@switchfleet/protocol';
import type { DeviceRegistry } from '../devices/registry.ts';
import type { OtaFeature } from '../features/ota.ts';
import { checkImage } from '../ota/check.ts';
import { OtaError } from '../ota/errors.ts';
import { JobError } from './errors.ts';
import type { ImageCache } from './image-cache.ts';
import { jobPhase, jobReason } from './outcome.ts';
import type { Slots } from './slots.ts';

export interface JobRunDeps {
  registry: Pick<DeviceRegistry, 'get'>;
  ota: Pick<OtaFeature, 'update'>;
  cache: ImageCache;
  slots: Slots;
  trustedKeys: readonly string[];
  minBatteryPercent: number;
  waitPollMs: number;
  /** Updates lost on the link in a row without progress, after which the job fails `link_lost`. */
  linkLossLimit: number;
  now: () => number;
  log: Logger;
}

export type JobReport = Omit<UpdateProgress, 'v' | 'seq' | 'ts' | 'jobId' | 'traceparent'>;
export type JobEnd = Omit<UpdateResult, 'v' | 'seq' | 'ts' | 'jobId' | 'traceparent'>;

/** The phases after the upload, as steps past its last byte (a later one is progress too). */
const LATER: Record<UpdatePhase, number> = { downloading: 0, uploading: 0, testing: 1, rebooting: 2, confirming: 3 };

export async function runJob(
  deps: JobRunDeps,
  job: UpdateJob,
  address: string,
  signal: AbortSignal,
  report: (p: JobReport) => void,
): Promise<JobEnd> {
  const late = new AbortController();
  const timer = setTimeout(
    () => late.abort(new JobError('timeout', `not done by the job's deadline ${job.deadline}`)),
    Math.max(0, Date.parse(job.deadline) - deps.now()),
  );
  const both = AbortSignal.any([signal, late.signal]);
  let release: (() => void) | undefined;
  const unhold = deps.cache.hold(job.sha256);
  try {
    report({ state: 'running', phase: 'downloading', bytes: 0, totalBytes: job.size });
    const image = await deps.cache.get(job, both, (bytes) =>
      report({ state: 'running', phase: 'downloading', bytes, totalBytes: job.size }),
    );
    check(image, job, deps.trustedKeys);
    // Progress is the furthest the switch has acknowledged (or a later phase): SMP uploads resume
    // from the switch's offset (smp_group_1 image upload `off`), so a loss after progress costs
    // little, and only losses that moved nothing count toward giving up.
    const lost = { inRow: 0, best: -1, reached: -1 };
    for (;;) {
      await heard(deps, address, both, report);
      if (!deps.slots.free) report({ state: 'queued' });
      release = await deps.slots.acquire(both);
      const battery = deps.registry.get(address)?.battery;
      if (battery !== undefined && battery < deps.minBatteryPercent) {
        throw new JobError('low_battery', `the switch reports ${battery} % battery, below ${deps.minBatteryPercent} %`);
      }
      const result = await deps.ota.update(address, image, {
        signal: both,
        ...(job.allowDowngrade ? { allowDowngrade: true } : {}),
        onProgress: (p) => {
          // The slot guards the radio's transfer: once the image is marked for test the switch resets,
          // and while MCUboot swaps and boots it the link is down, so the next switch's upload may run.
          if (p.phase === 'rebooting') release?.();
          const phase: UpdatePhase | undefined = jobPhase(p.phase);
          // Where the upload stands is the switch's answer to the first chunk (it may resume a
          // session it holds); a 0 before that answer would read as an upload started over.
          if (phase === 'uploading' && p.bytesSent === 0) return;
          if (phase)
            lost.reached = Math.max(lost.reached, phase === 'uploading' ? p.bytesSent : p.totalBytes + LATER[phase]);
          if (phase === 'uploading')
            report({
              state: 'running',
              phase,
              bytes: p.bytesSent,
              totalBytes: p.totalBytes,
              bytesPerSecond: p.bytesPerSecond,
            });
          else if (phase) report({ state: 'running', phase });
        },
      });
      if (result.status === 'succeeded') {
        return {
          status: 'succeeded',
          bytesUploaded: result.bytesUploaded,
          ...(result.runningVersion ? { version: result.runningVersion } : {}),
        };
      }
      const stopped: unknown = result.reason === 'ABORTED' && both.aborted ? both.reason : undefined;
      // Stopping the gateway is no end of the job: it runs again after the next start.
      if (stopped !== undefined && !(stopped instanceof JobError)) throw stopped;
      // Lost on the way (out of range, link failing): wait to hear it again, the upload resumes there.
      if (result.reason === 'UNREACHABLE') {
        lost.inRow = lost.reached > lost.best ? 0 : lost.inRow + 1;
        lost.best = Math.max(lost.best, lost.reached);
        if (lost.inRow >= deps.linkLossLimit) {
          const detail = `lost ${lost.inRow} times in a row without upload progress: ${result.detail ?? ''}`;
          return {
            status: 'failed',
            reason: 'link_lost',
            bytesUploaded: result.bytesUploaded,
            detail: detail.slice(0, 512),
          };
        }
        release();
        release = undefined;
        continue;
      }
      return {
        status: 'failed',
        reason: stopped instanceof JobError ? stopped.code : jobReason(result.reason),
        bytesUploaded: result.bytesUploaded,
        ...(stopped instanceof Error || result.detail
          ? { detail: (stopped instanceof Error ? stopped.message : result.detail!).slice(0, 512) }
          : {}),
        ...(result.runningVersion ? { version: result.runningVersion } : {}),
      };
    }
  } catch (err) {
    if (err instanceof JobError) return { status: 'failed', reason: err.code, detail: err.message.slice(0, 512) };
    if (err instanceof OtaError)
      return { status: 'failed', reason: jobReason(err.code), detail: err.message.slice(0, 512) };
    throw err;
  } finally {
    clearTimeout(timer);
    release?.();
    unhold();
  }
}

/**
 * The gateway's own check of the downloaded image (the ota feature repeats it): nothing reaches the
 * switch before it passes, and the image must be the version the job names.
 */
function check(image: Buffer, job: UpdateJob, trustedKeys: readonly string[]): void {
  const parsed = checkImage(image, { trustedKeys });
  if (parsed.version !== job.version) {
    throw new JobError('verify_failed', `the image is version ${parsed.version}, the job names ${job.version}`);
  }
}

/** Resolves once the switch is heard; reports waiting (once) while it is not. */
async function heard(deps: JobRunDeps, address: string, signal: AbortSignal, report: (p: JobReport) => void) {
  let said = false;
  while (!deps.registry.get(address)?.online) {
    if (!said) report({ state: 'waiting', waitReason: 'switch_not_heard' });
    said = true;
    await new Promise<void>((resolve, reject) => {
      const t = setTimeout(() => {
        signal.removeEventListener('abort', onAbort);
        resolve();
      }, deps.waitPollMs);
      const onAbort = () => {
        clearTimeout(t);
        reject(signal.reason);
      };
      signal.addEventListener('abort', onAbort, { once: true });
    });
  }
}
