/**
 * Downloads an image over HTTP(S) into a partial file, resuming a cut transfer with a Range request
 * (RFC 9110 §14.2) from the bytes already on disk. A 206 must start where asked (§14.4 Content-Range);
 * a 200 is the whole representation, so the partial file starts over. 401/403 and an expired URL are
 * refused at once (retrying cannot fix credentials), 416 means the server holds fewer bytes than we
 * have (§15.5.17), and 5xx, 429 or a cut connection are tried again up to `attempts` times.
 */
import { open, rm, stat } from 'node:fs/promises';
import { JobError } from './errors.ts';

export interface DownloadOptions {
  url: string;
  /** The partial file; its bytes are kept across attempts and runs. */
  part: string;
  size: number;
  /** Epoch ms after which the URL is no longer valid. */
  expiresAt: number;
  attempts: number;
  signal: AbortSignal;
  onBytes?: (bytes: number) => void;
  now?: () => number;
  /** Milliseconds before the first retry; doubled each time. */
  retryBaseMs?: number;
}

export async function download(o: DownloadOptions): Promise<void> {
  const now = o.now ?? Date.now;
  let last = 'no attempt made';
  for (let attempt = 1; attempt <= o.attempts; attempt++) {
    if (attempt > 1) await pause((o.retryBaseMs ?? 200) * 2 ** (attempt - 2), o.signal);
    if (o.signal.aborted) throw aborted(o.signal);
    if (now() > o.expiresAt) throw new JobError('url_expired', 'the download URL expired before the image was whole');
    let have = await sizeOf(o.part);
    if (have > o.size) {
      await rm(o.part, { force: true });
      have = 0;
    }
    if (have === o.size) return;
    let res: Response;
    try {
      res = await fetch(o.url, { headers: have > 0 ? { range: `bytes=${have}-` } : {}, signal: o.signal });
    } catch (err) {
      if (o.signal.aborted) throw aborted(o.signal);
      last = `request failed: ${(err as Error).message}`;
      continue;
    }
    if (res.status === 401 || res.status === 403) {
      await res.body?.cancel();
      const expired = now() > o.expiresAt;
      throw new JobError(expired ? 'url_expired' : 'download_refused', `the image server answered HTTP ${res.status}`);
    }
    if (res.status === 416) {
      await res.body?.cancel();
      await rm(o.part, { force: true });
      throw new JobError('download_refused', `HTTP 416: the server has no bytes from ${have} on`);
    }
    if (res.status >= 500 || res.status === 429) {
      await res.body?.cancel();
      last = `HTTP ${res.status}`;
      continue;
    }
    if (res.status !== 200 && res.status !== 206) {
      await res.body?.cancel();
      throw new JobError('download_refused', `the image server answered HTTP ${res.status}`);
    }
    const from = res.status === 206 ? rangeStart(res.headers.get('content-range')) : 0;
    if (res.status === 206 && from !== have) {
      await res.body?.cancel();
      await rm(o.part, { force: true });
      last = `the server sent bytes from ${from}, not ${have}`;
      continue;
    }
    try {
      await write(res, o, from);
    } catch (err) {
      if (err instanceof JobError) throw err;
      if (o.signal.aborted) throw aborted(o.signal);
      last = `transfer cut: ${(err as Error).message}`;
      continue;
    }
    if ((await sizeOf(o.part)) === o.size) return;
    last = 'the server ended the body early';
  }
  throw new JobError('download_failed', `download failed after ${o.attempts} attempts: ${last}`);
}

async function write(res: Response, o: DownloadOptions, from: number): Promise<void> {
  const file = await open(o.part, from === 0 ? 'w' : 'a');
  let at = from;
  try {
    const reader = res.body?.getReader();
    if (!reader) return;
    for (;;) {
      const { done, value } = await reader.read();
      if (done) return;
      if (at + value.length > o.size) {
        await reader.cancel();
        throw new JobError('verify_failed', `the server sent more than the job's ${o.size} bytes`);
      }
      await file.write(value);
      at += value.length;
      o.onBytes?.(at);
    }
  } finally {
    await file.close();
  }
}

/** The first byte position of a `Content-Range: bytes first-last/complete` header, or -1. */
function rangeStart(header: string | null): number {
  const m = /^bytes (\d+)-\d+\/(\d+|\*)$/.exec(header?.trim() ?? '');
  return m ? Number(m[1]) : -1;
}

async function sizeOf(path: string): Promise<number> {
  try {
    return (await stat(path)).size;
  } catch {
    return 0;
  }
}

function aborted(signal: AbortSignal): Error {
  return signal.reason instanceof Error ? signal.reason : new JobError('cancelled', 'the download was aborted');
}

function pause(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(done, ms);
    function done() {
      clearTimeout(timer);
      signal.removeEventListener('abort', done);
      resolve();
    }
    signal.addEventListener('abort', done, { once: true });
  });
}
