/**
 * Test bench for the gateway: the production gateway code on noble, noble on the simulator's
 * bindings, a real aedes broker, and a real MQTT client standing in for the cloud.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { AddressInfo } from 'node:net';
import { Aedes } from 'aedes';
import mqtt, { type MqttClient } from 'mqtt';
import pino, { type Logger } from 'pino';
import { afterEach } from 'vitest';
import {
  createSimRadio,
  type AddSwitchOptions,
  type SimRadio,
  type SimRadioOptions,
  type SimSwitch,
} from '@switchfleet/firmware-sim';
import {
  commandRequest,
  decodePayload,
  encodePayload,
  newTraceparent,
  topicFor,
  type CommandAction,
  type CommandResult,
  type DeviceReport,
} from '@switchfleet/protocol';
import { startProxy, type TcpProxy } from './proxy.ts';
import { createGateway, loadNoble, resolveGatewayConfig, type Gateway, type GatewayConfigInput } from '../src/index.ts';

export interface Bench {
  radio: SimRadio;
  gateway: Gateway;
  cloud: MqttClient;
  gatewayId: string;
  reports: DeviceReport[];
  results: CommandResult[];
  /** Sequence numbers of reports and results in the order the cloud received them. */
  arrivals: number[];
  brokerUrl: string;
  /** The gateway's uplink to the broker; cut() takes the cloud link down. */
  uplink: TcpProxy;
  dataDir: string;
  switches: SimSwitch[];
  command(sw: SimSwitch, action: CommandAction, opts?: { commandId?: string; ttlMs?: number }): Promise<string>;
  resultFor(commandId: string, timeoutMs?: number): Promise<CommandResult>;
  reportFor(sw: SimSwitch, predicate?: (r: DeviceReport) => boolean, timeoutMs?: number): Promise<DeviceReport>;
  /** Stops the gateway and starts a new one on the same radio, broker and data directory. */
  restartGateway(): Promise<void>;
  close(): Promise<void>;
}

export interface BenchOptions {
  switches?: AddSwitchOptions[];
  radio?: SimRadioOptions;
  gateway?: GatewayConfigInput;
  /** Logger for the gateway (default silent). */
  log?: Logger;
  /** Reuse a data directory (outbox, device list) from an earlier bench; kept on close. */
  dataDir?: string;
}

let counter = 0;

/** For bench tests: starts benches through the returned rig and closes the last one after each test. */
export function useBench(): { startBench(options?: BenchOptions): Promise<Bench> } {
  let bench: Bench | undefined;
  afterEach(async () => {
    await bench?.close();
    bench = undefined;
  });
  return {
    async startBench(options) {
      bench = await startBench(options);
      return bench;
    },
  };
}

export async function startBench(options: BenchOptions = {}): Promise<Bench> {
  const broker = await Aedes.createBroker();
  const server: Server = createServer(broker.handle);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const brokerUrl = `mqtt://127.0.0.1:${(server.address() as AddressInfo).port}`;

  const radio = createSimRadio({
    seed: 1234 + counter,
    connectLatencyMs: 2,
    gattLatencyMs: 1,
    actuationMs: 5,
    ...options.radio,
  });
  const switches = (options.switches ?? [{}]).map((s) => radio.addSwitch(s));
  const gatewayId = `gw-test-${++counter}`;

  const cloud = await mqtt.connectAsync(brokerUrl, { protocolVersion: 4, clientId: `cloud-${gatewayId}` });
  const reports: DeviceReport[] = [];
  const results: CommandResult[] = [];
  const arrivals: number[] = [];
  cloud.on('message', (topic, payload) => {
    if (topic.endsWith('/state')) {
      const d = decodePayload('deviceState', payload);
      if (d.ok) reports.push(d.value);
      if (d.ok) arrivals.push(d.value.seq);
    } else if (topic.endsWith('/result')) {
      const d = decodePayload('commandResult', payload);
      if (d.ok) results.push(d.value);
      if (d.ok) arrivals.push(d.value.seq);
    }
  });
  await cloud.subscribeAsync(`sf/v1/gw/${gatewayId}/#`, { qos: 1 });

  const uplink = await startProxy((server.address() as AddressInfo).port);
  const dataDir = options.dataDir ?? mkdtempSync(join(tmpdir(), 'sf-gw-'));
  const config = resolveGatewayConfig(
    {
      gatewayId,
      dataDir,
      mqtt: { url: uplink.url, username: gatewayId, password: 'test-secret' },
      ble: {
        connectMs: 1000,
        discoverMs: 1000,
        readMs: 500,
        writeMs: 500,
        responseMs: 500,
        idleMs: 200,
        interviewRetryMs: 200,
      },
      availability: { offlineAfterMs: 1000 },
      commands: { retryBaseMs: 20, retryMaxMs: 100 },
      logLevel: 'silent',
    },
    options.gateway ?? {},
  );
  const noble = await loadNoble(radio.bindings);
  const log = options.log ?? pino({ level: process.env.DBG_LOG ?? 'silent' });
  const gateway = createGateway({ config, noble, log });
  await gateway.start();

  const waitFor = async <T>(find: () => T | undefined, timeoutMs: number, what: string): Promise<T> => {
    const until = Date.now() + timeoutMs;
    for (;;) {
      const found = find();
      if (found !== undefined) return found;
      if (Date.now() > until) throw new Error(`timed out waiting for ${what}`);
      await new Promise((r) => setTimeout(r, 10));
    }
  };

  const bench: Bench = {
    radio,
    gateway,
    cloud,
    gatewayId,
    reports,
    results,
    arrivals,
    brokerUrl,
    uplink,
    dataDir,
    switches,
    async command(sw, action, opts = {}) {
      const commandId = opts.commandId ?? `cmd-${Math.random().toString(36).slice(2)}`;
      const payload = encodePayload(
        'command',
        commandRequest(commandId, action, opts.ttlMs ?? 5000, { traceparent: newTraceparent() }),
      );
      await cloud.publishAsync(topicFor('command', { gatewayId, address: compact(sw.address) }), payload, { qos: 1 });
      return commandId;
    },
    resultFor: (commandId, timeoutMs = 10_000) =>
      waitFor(() => results.find((r) => r.commandId === commandId), timeoutMs, `result of ${commandId}`),
    reportFor: (sw, predicate = () => true, timeoutMs = 10_000) =>
      waitFor(
        () => [...reports].reverse().find((r) => r.device.address === compact(sw.address) && predicate(r)),
        timeoutMs,
        `report of ${sw.address}`,
      ),
    async restartGateway() {
      await bench.gateway.stop();
      bench.gateway = createGateway({ config, noble, log });
      await bench.gateway.start();
    },
    async close() {
      await bench.gateway.stop();
      radio.close();
      await cloud.endAsync(true);
      await new Promise<void>((resolve) => broker.close(() => resolve()));
      await uplink.close();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      if (!options.dataDir) rmSync(dataDir, { recursive: true, force: true });
    },
  };
  return bench;
}

export function compact(address: string): string {
  return address.replace(/:/g, '').toLowerCase();
}
