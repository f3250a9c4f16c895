/**
 * The cloud as the release suite plays it: an in-process aedes broker and one mqtt.js client that
 * listens to every gateway and sends commands, speaking only the protocol's topic map and payload
 * schemas (protocol/src/mqtt), exactly as the real cloud does.
 */
import { EventEmitter } from 'node:events';
import { createServer, type AddressInfo, type Server } from 'node:net';
import { Aedes } from 'aedes';
import mqtt, { type MqttClient } from 'mqtt';
import {
  decodePayload,
  commandRequest,
  encodePayload,
  parseTopic,
  TOPIC_ROOT,
  topicFor,
  type CommandAction,
  type CommandResult,
  type DeviceReport,
  type GatewayStatus,
} from '@switchfleet/protocol';
import { waitUntil } from './wait.ts';

/** What one gateway has told the cloud, in arrival order. */
export class GatewayView {
  readonly statuses: GatewayStatus[] = [];
  readonly reports: DeviceReport[] = [];
  readonly results: CommandResult[] = [];
  readonly changed = new EventEmitter();

  constructor(readonly gatewayId: string) {
    this.changed.setMaxListeners(0);
  }

  /** The latest report about a switch that satisfies the predicate, among those from index `since` on. */
  latestReport(
    address: string,
    predicate: (r: DeviceReport) => boolean = () => true,
    since = 0,
  ): DeviceReport | undefined {
    for (let i = this.reports.length - 1; i >= since; i--) {
      const r = this.reports[i]!;
      if (r.device.address === address && predicate(r)) return r;
    }
    return undefined;
  }
}

export class SuiteCloud {
  private readonly views = new Map<string, GatewayView>();
  private commandCounter = 0;

  private constructor(
    readonly url: string,
    private readonly broker: Aedes,
    private readonly server: Server,
    private readonly client: MqttClient,
  ) {
    client.on('message', (topic, payload) => this.receive(topic, payload));
  }

  static async start(): Promise<SuiteCloud> {
    const broker = await Aedes.createBroker();
    const server = createServer({ noDelay: true }, broker.handle);
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const url = `mqtt://127.0.0.1:${(server.address() as AddressInfo).port}`;
    const client = await mqtt.connectAsync(url, { protocolVersion: 4, clientId: 'suite-cloud', reconnectPeriod: 0 });
    const cloud = new SuiteCloud(url, broker, server, client);
    await client.subscribeAsync(`${TOPIC_ROOT}/#`, { qos: 1 });
    return cloud;
  }

  view(gatewayId: string): GatewayView {
    let view = this.views.get(gatewayId);
    if (!view) {
      view = new GatewayView(gatewayId);
      this.views.set(gatewayId, view);
    }
    return view;
  }

  /** Sends a command as the cloud does and waits for its one terminal result. */
  async command(gatewayId: string, address: string, action: CommandAction, ttlMs: number): Promise<CommandResult> {
    const commandId = `suite-${++this.commandCounter}`;
    const payload = encodePayload('command', commandRequest(commandId, action, ttlMs));
    await this.client.publishAsync(topicFor('command', { gatewayId, address }), payload, { qos: 1 });
    const view = this.view(gatewayId);
    // The gateway answers an expired command too, so the wait outlives the TTL by a margin.
    return waitUntil(() => view.results.find((r) => r.commandId === commandId), {
      timeoutMs: ttlMs + 5_000,
      what: `the result of "${action}" for ${address}`,
      events: view.changed,
    });
  }

  async close(): Promise<void> {
    await this.client.endAsync(true);
    await new Promise<void>((resolve) => this.broker.close(() => resolve()));
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private receive(topic: string, payload: Buffer): void {
    const parsed = parseTopic(topic);
    if (!parsed) return;
    const view = this.view(parsed.gatewayId);
    if (parsed.name === 'gatewayStatus') {
      const d = decodePayload('gatewayStatus', payload);
      if (d.ok) view.statuses.push(d.value);
    } else if (parsed.name === 'deviceState') {
      const d = decodePayload('deviceState', payload);
      if (d.ok) view.reports.push(d.value);
    } else if (parsed.name === 'commandResult') {
      const d = decodePayload('commandResult', payload);
      if (d.ok) view.results.push(d.value);
    } else {
      return;
    }
    view.changed.emit('change');
  }
}
