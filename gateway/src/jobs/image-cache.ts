/**
 * Images downloaded for update jobs, kept on disk by sha256 in the gateway's data directory: every
 * switch a release goes to on this gateway reuses one download, and jobs for the same image at the
 * same time share the transfer in flight. A partial file survives a restart and resumes. The cache
 * keeps at most `maxBytes` of whole images, dropping the least recently used (never one in use).
 * An image is handed out only when its size and sha256 are the job's.
 */
import { createHash } from 'node:crypto';
import { mkdir, readdir, readFile, rename, rm, stat, utimes } from 'node:fs/promises';
import { join } from 'node:path';
import type { Logger } from 'pino';
import type { UpdateJob } from '@switchfleet/protocol';
import { download } from './download.ts';
import { JobError } from './errors.ts';

export interface ImageCacheOptions {
  dir: string;
  maxBytes: number;
  attempts: number;
  log: Logger;
  now?: () => number;
}

type Wanted = Pick<UpdateJob, 'sha256' | 'size' | 'url' | 'urlExpiresAt'>;

export class ImageCache {
  private readonly inFlight = new Map<string, Promise<Buffer>>();
  private readonly inUse = new Map<string, number>();
  private readonly closing = new AbortController();
  /** Transfers started (not cache hits), for health and tests. */
  downloads = 0;

  constructor(private readonly o: ImageCacheOptions) {}

  /**
   * The image, from the cache or downloaded. `signal` stops this caller's wait only: a transfer
   * other jobs share goes on.
   */
  async get(job: Wanted, signal: AbortSignal, onBytes?: (bytes: number) => void): Promise<Buffer> {
    let shared = this.inFlight.get(job.sha256);
    if (!shared) {
      shared = this.load(job, onBytes).finally(() => this.inFlight.delete(job.sha256));
      this.inFlight.set(job.sha256, shared);
    }
    return raceAbort(shared, signal);
  }

  /** Marks an image in use (not evicted) until the returned function is called. */
  hold(sha256: string): () => void {
    this.inUse.set(sha256, (this.inUse.get(sha256) ?? 0) + 1);
    return () => {
      const n = (this.inUse.get(sha256) ?? 1) - 1;
      if (n > 0) this.inUse.set(sha256, n);
      else this.inUse.delete(sha256);
    };
  }

  close(): void {
    this.closing.abort(new JobError('cancelled', 'the gateway is stopping'));
  }

  private async load(job: Wanted, onBytes?: (bytes: number) => void): Promise<Buffer> {
    await mkdir(this.o.dir, { recursive: true });
    const whole = join(this.o.dir, `${job.sha256}.img`);
    const cached = await readFile(whole).catch(() => undefined);
    if (cached && matches(cached, job)) {
      const t = new Date((this.o.now ?? Date.now)());
      await utimes(whole, t, t).catch(() => undefined);
      return cached;
    }
    if (cached) await rm(whole, { force: true });
    const part = join(this.o.dir, `${job.sha256}.part`);
    this.downloads += 1;
    await download({
      url: job.url,
      part,
      size: job.size,
      expiresAt: Date.parse(job.urlExpiresAt),
      attempts: this.o.attempts,
      signal: this.closing.signal,
      ...(onBytes ? { onBytes } : {}),
      ...(this.o.now ? { now: this.o.now } : {}),
    });
    const image = await readFile(part);
    if (!matches(image, job)) {
      // Bytes that are not the job's image are never kept, so the next try downloads afresh.
      await rm(part, { force: true });
      throw new JobError(
        'verify_failed',
        `the downloaded image has sha256 ${sha256(image)} and ${image.length} bytes, not the job's`,
      );
    }
    await rename(part, whole);
    await this.evict(job.sha256);
    return image;
  }

  private async evict(keep: string): Promise<void> {
    const files = await readdir(this.o.dir).catch(() => [] as string[]);
    const images = [];
    for (const f of files.filter((n) => n.endsWith('.img'))) {
      const s = await stat(join(this.o.dir, f)).catch(() => undefined);
      if (s) images.push({ f, sha: f.slice(0, -4), size: s.size, at: s.mtimeMs });
    }
    let total = images.reduce((n, i) => n + i.size, 0);
    for (const i of images.sort((a, b) => a.at - b.at)) {
      if (total <= this.o.maxBytes) break;
      if (i.sha === keep || this.inUse.has(i.sha)) continue;
      await rm(join(this.o.dir, i.f), { force: true });
      total -= i.size;
      this.o.log.info({ sha256: i.sha, bytes: i.size }, 'cached image evicted');
    }
  }
}

function matches(image: Buffer, job: Wanted): boolean {
  return image.length === job.size && sha256(image) === job.sha256;
}

function sha256(data: Buffer): string {
  return createHash('sha256').update(data).digest('hex');
}

function raceAbort<T>(p: Promise<T>, signal: AbortSignal): Promise<T> {
  if (signal.aborted) return Promise.reject(signal.reason);
  return new Promise((resolve, reject) => {
    const onAbort = () => reject(signal.reason);
    signal.addEventListener('abort', onAbort, { once: true });
    p.then(resolve, reject).finally(() => signal.removeEventListener('abort', onAbort));
  });
}
