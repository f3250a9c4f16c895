/**
 * Test bench for the gateway: the production gateway code on noble, noble on the simulator's
 * bindings, a real aedes broker, and a real MQTT client standing in for the cloud.
 */
import type { MqttClient } from 'mqtt';
import pino, { type Logger } from 'pino';
import { afterEach } from 'vitest';
import type { AddSwitchOptions, SimRadio, SimRadioOptions, SimSwitch } from '@switchfleet/firmware-sim';
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
import type { Gateway, GatewayConfigInput } from '@switchfleet/gateway';
import { startPlainBroker } from '@switchfleet/testkit/broker';
import { watchMqtt } from '@switchfleet/testkit/mqtt';
import { eventually } from '@switchfleet/testkit/poll';
import { startSimGateway } from '../../src/sim-gateway.ts';
import { FAST_GATEWAY } from './fast-gateway.ts';
import { startProxy, type TcpProxy } from './proxy.ts';

export interface Bench {
  radio: SimRadio;
  /** The running gateway; restartGateway() replaces it. */
  readonly gateway: Gateway;
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
  const broker = await startPlainBroker();
  const brokerUrl = broker.url;
  const seed = 1234 + counter;
  const gatewayId = `gw-test-${++counter}`;

  const watcher = await watchMqtt(brokerUrl, `sf/v1/gw/${gatewayId}/#`, { clientId: `cloud-${gatewayId}` });
  const cloud = watcher.client;
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

  const uplink = await startProxy(broker.port);
  const sim = await startSimGateway({
    gatewayId,
    radio: { seed, connectLatencyMs: 2, gattLatencyMs: 1, actuationMs: 5, ...options.radio },
    switches: options.switches ?? [{}],
    mqtt: { url: uplink.url, username: gatewayId, password: 'test-secret' },
    ...(options.dataDir === undefined ? {} : { dataDir: options.dataDir }),
    config: { ...FAST_GATEWAY, availability: { offlineAfterMs: 1000 } },
    overrides: options.gateway ?? {},
    log: options.log ?? pino({ level: process.env.DBG_LOG ?? 'silent' }),
  });

  const waitFor = <T>(find: () => T | undefined, timeoutMs: number, what: string): Promise<T> =>
    eventually(find, { timeoutMs, intervalMs: 10, what });

  const bench: Bench = {
    radio: sim.radio,
    get gateway() {
      return sim.gateway;
    },
    cloud,
    gatewayId,
    reports,
    results,
    arrivals,
    brokerUrl,
    uplink,
    dataDir: sim.dataDir,
    switches: sim.switches,
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
    restartGateway: () => sim.restart(),
    async close() {
      await sim.close();
      await watcher.close();
      await broker.close();
      await uplink.close();
    },
  };
  return bench;
}

export function compact(address: string): string {
  return address.replace(/:/g, '').toLowerCase();
}
