/** The gateway's image cache on its own: bounded in bytes, least recently used first, by sha256. */
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { ImageCache } from '../../../gateway/src/jobs/image-cache.ts';
import { sha256, startImageServer, type ImageServer } from './rig.ts';

let http: ImageServer | undefined;
const dirs: string[] = [];
afterEach(async () => {
  await http?.close();
  http = undefined;
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

describe('the image cache', () => {
  it('keeps at most its size in bytes, dropping the least recently used image, and reuses a kept one', async () => {
    http = await startImageServer();
    const dir = mkdtempSync(join(tmpdir(), 'sf-cache-'));
    dirs.push(dir);
    const cache = new ImageCache({ dir, maxBytes: 2500, attempts: 1, idleMs: 5000, log: pino({ level: 'silent' }) });
    const images = [1, 2, 3].map((n) => Buffer.alloc(1000, n));
    const job = (img: Buffer) => {
      http!.files.set(`/${sha256(img)}`, img);
      const urlExpiresAt = new Date(Date.now() + 60_000).toISOString();
      return { sha256: sha256(img), size: img.length, url: http!.url(`/${sha256(img)}`), urlExpiresAt };
    };
    const signal = new AbortController().signal;
    const [a, b, c] = images as [Buffer, Buffer, Buffer];
    expect(await cache.get(job(a), signal)).toEqual(a);
    await new Promise((r) => setTimeout(r, 20));
    expect(await cache.get(job(b), signal)).toEqual(b);
    await new Promise((r) => setTimeout(r, 20));
    expect(await cache.get(job(a), signal)).toEqual(a);
    expect(http.requests).toHaveLength(2);
    await new Promise((r) => setTimeout(r, 20));
    expect(await cache.get(job(c), signal)).toEqual(c);
    // a was used after b, so b goes: 2000 bytes kept of the 2500 allowed.
    expect(existsSync(join(dir, `${sha256(b)}.img`))).toBe(false);
    expect(existsSync(join(dir, `${sha256(a)}.img`))).toBe(true);
    expect(existsSync(join(dir, `${sha256(c)}.img`))).toBe(true);
    expect(cache.downloads).toBe(3);
  });
});
