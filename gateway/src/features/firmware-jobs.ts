/**
 * Firmware update jobs from the cloud (docs/mqtt-protocol.md, updateJob): each job id is taken once,
 * kept on disk until it ends, and ends in exactly one updateResult; its progress goes up as it
 * moves. Both travel through the durable outbox like every other upward message, so a gateway
 * offline mid-update reports when it is back. A redelivered job that is still going is not started
 * again; one that ended is answered with its stored result. A job taken before a restart runs again
 * after it, and its upload resumes from the offset the switch holds. At most `maxConcurrent`
 * updates run at once (jobs/slots.ts), so the household's commands keep the radio.
 */
import { join } from 'node:path';
import { encodePayload, type UpdateJob, type UpdateProgress, type UpdateResult } from '@switchfleet/protocol';
import type { GatewayDeps } from '../deps.ts';
import { JobError } from '../jobs/errors.ts';
import { ImageCache } from '../jobs/image-cache.ts';
import { type JobEnd, type JobReport, runJob } from '../jobs/job-run.ts';
import { JobStore } from '../jobs/job-store.ts';
import { Slots } from '../jobs/slots.ts';
import type { Feature } from './feature.ts';
import type { OtaFeature } from './ota.ts';

export interface FirmwareJobsDeps
  extends Pick<GatewayDeps, 'cloud' | 'outbox' | 'log' | 'registry' | 'now' | 'config'> {
  ota: Pick<OtaFeature, 'update'>;
  trustedKeys: readonly string[];
}

export interface FirmwareJobs extends Feature {
  /** Image transfers started (cache misses) since start. */
  readonly downloads: number;
}

/** Progress while uploading goes up at most this often; every change of state or phase goes at once. */
const PROGRESS_EVERY_MS = 1000;
/** Finished jobs remembered to answer redeliveries. */
const REMEMBER_DONE = 500;

class Stopping extends Error {}

export function firmwareJobs(deps: FirmwareJobsDeps): FirmwareJobs {
  const { cloud, outbox, log, config } = deps;
  const dir = config.dataDir;
  const cache = new ImageCache({
    dir: join(dir, 'images'),
    maxBytes: config.updates.cacheBytes,
    attempts: config.updates.downloadAttempts,
    idleMs: config.updates.downloadIdleMs,
    log,
  });
  const slots = new Slots(config.updates.maxConcurrent);
  const running = new Map<string, { abort: AbortController; done: Promise<void> }>();
  let store: JobStore | undefined;
  let stopping = false;

  const finish = async (address: string, job: Pick<UpdateJob, 'jobId' | 'traceparent'>, end: JobEnd) => {
    const result = outbox.put('updateResult', address, (seq) => {
      const r: UpdateResult = { v: 1, seq, ts: new Date().toISOString(), jobId: job.jobId, ...end };
      if (job.traceparent) r.traceparent = job.traceparent;
      return r;
    }).value;
    await store?.finish(address, result);
    log.info({ jobId: job.jobId, address, status: end.status, reason: end.reason }, 'update job done');
  };

  const start = (address: string, job: UpdateJob) => {
    const abort = new AbortController();
    let last: { key: string; at: number } | undefined;
    const report = (p: JobReport) => {
      const key = `${p.state}/${p.phase ?? p.waitReason ?? ''}`;
      const t = deps.now();
      if (last?.key === key && t - last.at < PROGRESS_EVERY_MS) return;
      last = { key, at: t };
      outbox.put('updateProgress', address, (seq) => {
        const m: UpdateProgress = { v: 1, seq, ts: new Date(t).toISOString(), jobId: job.jobId, ...p };
        if (job.traceparent) m.traceparent = job.traceparent;
        return m;
      });
    };
    const jobDeps = {
      registry: deps.registry,
      ota: deps.ota,
      cache,
      slots,
      trustedKeys: deps.trustedKeys,
      minBatteryPercent: config.updates.minBatteryPercent,
      waitPollMs: config.updates.waitPollMs,
      linkLossLimit: config.updates.linkLossLimit,
      now: deps.now,
      log,
    };
    const done = runJob(jobDeps, job, address, abort.signal, report)
      .then((end) => finish(address, job, end))
      .catch((err: unknown) => {
        if (err instanceof Stopping) return;
        log.error({ jobId: job.jobId, err }, 'update job failed inside the gateway');
        return finish(address, job, {
          status: 'failed',
          reason: 'gateway_error',
          detail: (err as Error).message.slice(0, 512),
        });
      })
      .finally(() => running.delete(job.jobId));
    running.set(job.jobId, { abort, done });
  };

  /** Answers a redelivery of a finished job with its stored result (same seq, which the cloud dedupes). */
  const answerAgain = (address: string, result: UpdateResult) => {
    if (!cloud.connected) return;
    cloud.publishRaw('updateResult', address, encodePayload('updateResult', result)).catch((err: unknown) => {
      log.debug({ jobId: result.jobId, err: (err as Error).message }, 'repeated update result not sent');
    });
  };

  return {
    name: 'firmware-jobs',
    get downloads() {
      return cache.downloads;
    },
    async start() {
      store = await JobStore.open(join(dir, 'jobs', 'jobs.json'), REMEMBER_DONE);
      const taken = store;
      cloud.onUpdate({
        async job(job, address) {
          const done = taken.doneJob(job.jobId);
          if (done) return answerAgain(done.address, done.result);
          if (running.has(job.jobId) || taken.isOpen(job.jobId)) return;
          await taken.take(address, job);
          if (!stopping) start(address, job);
        },
        async cancel(cancel) {
          const done = taken.doneJob(cancel.jobId);
          if (done) return answerAgain(done.address, done.result);
          running.get(cancel.jobId)?.abort.abort(new JobError('cancelled', 'the job was cancelled'));
        },
        async invalid(jobId, address, reason) {
          if (taken.doneJob(jobId) || taken.isOpen(jobId)) return;
          await finish(address, { jobId }, { status: 'failed', reason: 'invalid_job', detail: reason.slice(0, 512) });
        },
      });
      // Jobs taken before a restart run again; their uploads resume from the switch's offset.
      for (const { address, job } of taken.openJobs()) if (!running.has(job.jobId)) start(address, job);
    },
    async stop() {
      stopping = true;
      // Jobs first, so none reads the cache's abort as its own cancel: they stay open for the next start.
      for (const { abort } of running.values()) abort.abort(new Stopping('the gateway is stopping'));
      cache.close();
      await Promise.allSettled([...running.values()].map((r) => r.done));
    },
  };
}
