/**
 * The local broker side of the bridge tests: a real broker (aedes in-process, or a mosquitto
 * process), a proxy in front of it for the gateway (to take the local link down), and a real
 * mqtt.js client that watches everything like `mosquitto_sub -v -t 'switchfleet/#'` would.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, connect, type AddressInfo, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Aedes } from 'aedes';
import mqtt, { type MqttClient } from 'mqtt';
import { afterEach } from 'vitest';
import { startBench, type Bench, type BenchOptions } from './harness.ts';
import { startProxy, type TcpProxy } from './proxy.ts';

export interface Message {
  topic: string;
  text: string;
  retain: boolean;
}

export interface LocalBroker {
  /** URL for the gateway, through a proxy that can be cut. */
  url: string;
  /** The broker itself, for watchers. */
  directUrl: string;
  link: TcpProxy;
  watcher: MqttClient;
  messages: Message[];
  /** Last payload seen per topic ('' means a retained message was cleared). */
  last: Map<string, string>;
  json<T = Record<string, unknown>>(topic: string): T | undefined;
  waitFor(topic: string, predicate?: (text: string) => boolean, timeoutMs?: number): Promise<string>;
  request(
    op: string,
    body: unknown,
    timeoutMs?: number,
  ): Promise<{ status: string; data: unknown; error?: string; transaction?: unknown }>;
  close(): Promise<void>;
}

let transactions = 0;

/**
 * A loopback port free now, below Linux's ephemeral range (32768–60999): other tests bind port 0, served
 * from that range, so none can take it before mosquitto binds it.
 */
async function freePort(): Promise<number> {
  for (;;) {
    const port = 20_000 + Math.floor(Math.random() * 12_000);
    const s = createServer();
    const free = await new Promise<boolean>((resolve) => {
      s.once('error', () => resolve(false));
      s.listen(port, '127.0.0.1', () => resolve(true));
    });
    if (free) {
      await new Promise<void>((r) => s.close(() => r()));
      return port;
    }
  }
}

async function waitForPort(port: number, timeoutMs: number): Promise<void> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const ok = await new Promise<boolean>((resolve) => {
      const sock = connect(port, '127.0.0.1', () => {
        sock.destroy();
        resolve(true);
      });
      sock.on('error', () => resolve(false));
    });
    if (ok) return;
    if (Date.now() > until) throw new Error(`nothing listens on ${port}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** Starts the broker: aedes in this process, or a real mosquitto on a free loopback port. */
export async function startLocalBroker(kind: 'aedes' | 'mosquitto' = 'aedes'): Promise<LocalBroker> {
  let port: number;
  let shutdown: () => Promise<void>;
  if (kind === 'aedes') {
    const broker = await Aedes.createBroker();
    const server: Server = createServer(broker.handle);
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    port = (server.address() as AddressInfo).port;
    shutdown = async () => {
      await new Promise<void>((r) => broker.close(() => r()));
      await new Promise<void>((r) => server.close(() => r()));
    };
  } else {
    port = await freePort();
    const dir = mkdtempSync(join(tmpdir(), 'sf-mosquitto-'));
    writeFileSync(join(dir, 'mosquitto.conf'), `listener ${port} 127.0.0.1\nallow_anonymous true\npersistence false\n`);
    const proc = spawn('mosquitto', ['-c', join(dir, 'mosquitto.conf')], { stdio: 'ignore' });
    await waitForPort(port, 5000);
    shutdown = async () => {
      const exited = new Promise((r) => proc.once('exit', r));
      proc.kill('SIGTERM');
      await exited;
      rmSync(dir, { recursive: true, force: true });
    };
  }
  const directUrl = `mqtt://127.0.0.1:${port}`;
  const link = await startProxy(port);
  const watcher = await mqtt.connectAsync(directUrl, { protocolVersion: 4, clientId: `watcher-${port}-${Date.now()}` });
  const messages: Message[] = [];
  const last = new Map<string, string>();
  watcher.on('message', (topic, payload, packet) => {
    const text = payload.toString();
    messages.push({ topic, text, retain: packet.retain });
    last.set(topic, text);
  });
  await watcher.subscribeAsync(['switchfleet/#', 'homeassistant/#'], { qos: 1 });

  const waitFor = async (topic: string, predicate: (text: string) => boolean = () => true, timeoutMs = 10_000) => {
    const until = Date.now() + timeoutMs;
    for (;;) {
      const text = last.get(topic);
      if (text !== undefined && predicate(text)) return text;
      if (Date.now() > until) throw new Error(`timed out waiting for ${topic} (last: ${text})`);
      await new Promise((r) => setTimeout(r, 10));
    }
  };

  return {
    url: link.url,
    directUrl,
    link,
    watcher,
    messages,
    last,
    json: <T>(topic: string) => {
      const text = last.get(topic);
      return text ? (JSON.parse(text) as T) : undefined;
    },
    waitFor,
    async request(op, body, timeoutMs = 10_000) {
      const transaction = `t-${++transactions}`;
      const withTransaction = typeof body === 'object' && body !== null && !Array.isArray(body);
      const payload = withTransaction
        ? JSON.stringify({ ...body, transaction })
        : typeof body === 'string'
          ? body
          : JSON.stringify(body);
      const from = messages.length;
      await watcher.publishAsync(`switchfleet/bridge/request/${op}`, payload, { qos: 1 });
      const topic = `switchfleet/bridge/response/${op}`;
      // Without a transaction (or when the gateway could not read it) the next response counts.
      const matches = (m: Message) =>
        m.topic === topic &&
        (!withTransaction ||
          [transaction, undefined].includes((JSON.parse(m.text) as { transaction?: string }).transaction));
      const until = Date.now() + timeoutMs;
      for (;;) {
        const found = messages.slice(from).find(matches);
        if (found)
          return JSON.parse(found.text) as { status: string; data: unknown; error?: string; transaction?: unknown };
        if (Date.now() > until) throw new Error(`no response to ${op}`);
        await new Promise((r) => setTimeout(r, 10));
      }
    },
    async close() {
      await watcher.endAsync(true);
      await link.close();
      await shutdown();
    },
  };
}

export interface BridgeRig {
  startLocalBroker(kind?: 'aedes' | 'mosquitto'): Promise<LocalBroker>;
  startBench(options?: BenchOptions): Promise<Bench>;
}

/**
 * For bridge tests: starts the local broker and the bench through the returned rig and closes both
 * after each test (the bench first, so the gateway leaves the broker before the broker goes away).
 */
export function useBridgeRig(): BridgeRig {
  let bench: Bench | undefined;
  let local: LocalBroker | undefined;
  afterEach(async () => {
    await bench?.close();
    await local?.close();
    bench = undefined;
    local = undefined;
  });
  return {
    async startLocalBroker(kind) {
      local = await startLocalBroker(kind);
      return local;
    },
    async startBench(options) {
      bench = await startBench(options);
      return bench;
    },
  };
}
