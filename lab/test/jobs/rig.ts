/**
 * Update jobs under the production gateway: the gateway test bench (noble over the simulator, aedes,
 * a real MQTT client as the cloud) plus an in-process HTTP server that serves images with Range
 * (RFC 9110 §14), and helpers to send jobs and read their progress and results as the cloud would.
 */
import { createHash } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildSimImage, SimFirmware, type Behaviour } from '@switchfleet/firmware-sim';
import {
  decodePayload,
  encodePayload,
  firmware,
  parseTopic,
  topicFor,
  type UpdateJob,
  type UpdateProgress,
  type UpdateResult,
} from '@switchfleet/protocol';
import { compact, startBench, type Bench, type BenchOptions } from '../gateway/harness.ts';

export const HW = 'sf-sw1-r1';
export const key = firmware.generateSigningKey();
export const stranger = firmware.generateSigningKey();

export function image(version: string, opts: { sizeBytes?: number; privateKeyPem?: string } = {}): Buffer {
  return buildSimImage({
    version,
    hardwareId: HW,
    privateKeyPem: opts.privateKeyPem ?? key.privateKeyPem,
    faults: [],
    sizeBytes: opts.sizeBytes ?? 16 * 1024,
  });
}

export const sha256 = (b: Buffer) => createHash('sha256').update(b).digest('hex');

export interface ImageServer {
  url(path: string, token?: string): string;
  /** path → bytes served there. */
  files: Map<string, Buffer>;
  /** Each request: path and its Range header. */
  requests: { path: string; range: string | undefined }[];
  /** The next GET of a whole image stops after this many bytes (the connection is destroyed). */
  cutNextAfter: number | undefined;
  /** The next GET of a whole image sends this many bytes, then nothing more (the connection stays open). */
  stallNextAfter: number | undefined;
  /** When set, a request without ?token=<this> gets 401. */
  token: string | undefined;
  close(): Promise<void>;
}

export async function startImageServer(): Promise<ImageServer> {
  const srv: ImageServer = {
    files: new Map(),
    requests: [],
    cutNextAfter: undefined,
    stallNextAfter: undefined,
    token: undefined,
    url: (path, token) =>
      `http://127.0.0.1:${(server.address() as AddressInfo).port}${path}${token ? `?token=${token}` : ''}`,
    close: () =>
      new Promise((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
  const server: Server = createServer((req, res) => {
    const u = new URL(req.url ?? '/', 'http://x');
    srv.requests.push({ path: u.pathname, range: req.headers.range });
    if (srv.token !== undefined && u.searchParams.get('token') !== srv.token) return void res.writeHead(401).end();
    const body = srv.files.get(u.pathname);
    if (!body) return void res.writeHead(404).end();
    const m = /^bytes=(\d+)-$/.exec(req.headers.range ?? '');
    if (m) {
      const from = Number(m[1]);
      if (from >= body.length) return void res.writeHead(416, { 'content-range': `bytes */${body.length}` }).end();
      res.writeHead(206, {
        'content-range': `bytes ${from}-${body.length - 1}/${body.length}`,
        'content-length': body.length - from,
      });
      return void res.end(body.subarray(from));
    }
    res.writeHead(200, { 'content-length': body.length, 'accept-ranges': 'bytes' });
    const stall = srv.stallNextAfter;
    if (stall !== undefined) {
      srv.stallNextAfter = undefined;
      return void res.write(body.subarray(0, stall));
    }
    const cut = srv.cutNextAfter;
    if (cut === undefined) return void res.end(body);
    srv.cutNextAfter = undefined;
    // Long enough for the client to read what was sent before the connection drops.
    res.write(body.subarray(0, cut), () => setTimeout(() => res.destroy(), 300));
  });
  server.keepAliveTimeout = 1;
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return srv;
}

export interface JobRig {
  bench: Bench;
  http: ImageServer;
  firmwares: SimFirmware[];
  progress: UpdateProgress[];
  results: UpdateResult[];
  /** Serves the image and sends a job for switch i (or a compact address); returns the job. */
  send(i: number | string, img: Buffer, extra?: Partial<UpdateJob>): Promise<UpdateJob>;
  cancel(i: number, jobId: string): Promise<void>;
  resultOf(jobId: string, timeoutMs?: number): Promise<UpdateResult>;
  waitFor(what: string, check: () => boolean, timeoutMs?: number): Promise<void>;
  close(): Promise<void>;
}

let jobs = 0;

export async function startJobRig(
  opts: {
    switches?: number;
    linkBytesPerSecond?: number;
    gateway?: BenchOptions['gateway'];
    battery?: number;
    /** Faults of switch i, around its firmware. */
    faults?: (fw: SimFirmware, i: number) => Behaviour[];
    swapMs?: number;
  } = {},
): Promise<JobRig> {
  const dir = mkdtempSync(join(tmpdir(), 'sf-jobs-'));
  writeFileSync(join(dir, 'release.pub.pem'), key.publicKeyPem);
  const http = await startImageServer();
  const firmwares = Array.from(
    { length: opts.switches ?? 1 },
    () =>
      new SimFirmware({
        image: image('1.0.0'),
        trustedKeys: [key.publicKeyPem],
        resetDelayMs: 20,
        watchdogMs: 50,
        swapMs: opts.swapMs ?? 0,
      }),
  );
  const bench = await startBench({
    radio: {
      mtu: 247,
      supervisionTimeoutMs: 100,
      ...(opts.linkBytesPerSecond ? { linkBytesPerSecond: opts.linkBytesPerSecond } : {}),
    },
    switches: firmwares.map((fw, i) => ({
      hardwareId: HW,
      advertisingIntervalMs: 20,
      behaviours: [...(opts.faults?.(fw, i) ?? []), fw],
      ...(opts.battery === undefined ? {} : { battery: opts.battery }),
    })),
    gateway: {
      ota: { trustedKeyFiles: [join(dir, 'release.pub.pem')] },
      ...opts.gateway,
      updates: { waitPollMs: 50, ...opts.gateway?.updates },
    },
  });
  const progress: UpdateProgress[] = [];
  const results: UpdateResult[] = [];
  bench.cloud.on('message', (topic, payload) => {
    const name = parseTopic(topic)?.name;
    if (name === 'updateProgress') {
      const d = decodePayload(name, payload);
      if (d.ok) progress.push(d.value);
    } else if (name === 'updateResult') {
      const d = decodePayload(name, payload);
      if (d.ok) results.push(d.value);
    }
  });
  const waitFor = async (what: string, check: () => boolean, timeoutMs = 30_000) => {
    const until = Date.now() + timeoutMs;
    while (!check()) {
      if (Date.now() > until) throw new Error(`timed out waiting for ${what}`);
      await new Promise((r) => setTimeout(r, 10));
    }
  };
  const address = (i: number | string) => (typeof i === 'string' ? i : compact(bench.switches[i]!.address));
  // Jobs sent before the gateway subscribed would be lost (a new session holds nothing yet).
  await waitFor('the gateway link', () => bench.gateway.deps.cloud.connected);
  const rig: JobRig = {
    bench,
    http,
    firmwares,
    progress,
    results,
    async send(i, img, extra = {}) {
      const path = `/images/${sha256(img)}`;
      http.files.set(path, img);
      const now = Date.now();
      const job: UpdateJob = {
        v: 1,
        jobId: `job-${++jobs}`,
        deviceId: `dev-${i}`,
        releaseId: 'rel-1',
        version: '1.1.0',
        sha256: sha256(img),
        size: img.length,
        url: http.url(path, http.token),
        urlExpiresAt: new Date(now + 60_000).toISOString(),
        issuedAt: new Date(now).toISOString(),
        deadline: new Date(now + 60_000).toISOString(),
        ...extra,
      };
      const topic = topicFor('updateJob', { gatewayId: bench.gatewayId, address: address(i) });
      await bench.cloud.publishAsync(topic, encodePayload('updateJob', job), { qos: 1 });
      return job;
    },
    async cancel(i, jobId) {
      const topic = topicFor('updateCancel', { gatewayId: bench.gatewayId, address: address(i) });
      const body = encodePayload('updateCancel', { v: 1, jobId, issuedAt: new Date().toISOString() });
      await bench.cloud.publishAsync(topic, body, { qos: 1 });
    },
    async resultOf(jobId, timeoutMs = 30_000) {
      await waitFor(`the result of ${jobId}`, () => results.some((r) => r.jobId === jobId), timeoutMs);
      return results.find((r) => r.jobId === jobId)!;
    },
    waitFor,
    async close() {
      await bench.close();
      await http.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
  return rig;
}
