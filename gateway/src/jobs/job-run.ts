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
  now: () => number;
  log: Logger;
}

export type JobReport = Omit<UpdateProgress, 'v' | 'seq' | 'ts' | 'jobId' | 'traceparent'>;
export type JobEnd = Omit<UpdateResult, 'v' | 'seq' | 'ts' | 'jobId' | 'traceparent'>;

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
          const phase: UpdatePhase | undefined = jobPhase(p.phase);
          // Where the upload stands is the switch's answer to the first chunk (it may resume a
          // session it holds); a 0 before that answer would read as an upload started over.
          if (phase === 'uploading' && p.bytesSent === 0) return;
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
