/**
 * A real mqtt.js client speaking the gateway side of the topic map, for tests and demos that need a
 * gateway without BLE: it announces itself, publishes device reports and command results, and
 * collects the commands and update jobs the cloud sends it.
 */
import {
  decodePayload,
  encodePayload,
  gatewayDownFilter,
  gatewayDownFilters,
  parseTopic,
  topicFor,
  type CommandRequest,
  type CommandResult,
  type DeviceIdentity,
  type DeviceReport,
  type UpdateJob,
} from '@switchfleet/protocol';
import mqtt, { type MqttClient } from 'mqtt';

export interface MqttGatewayOptions {
  url: string;
  gatewayId: string;
  secret: string;
  /** Client id sent in CONNECT; the embedded broker requires it to equal the gateway id. */
  clientId?: string;
}

export interface ReceivedCommand {
  address: string;
  request: CommandRequest;
}

export class MqttGateway {
  #seq = 0;
  readonly commands: ReceivedCommand[] = [];
  /** The job ids of the update cancels received (after subscribeDown), in order. */
  readonly cancels: string[] = [];
  readonly #waiters = new Set<() => void>();
  readonly #jobListeners = new Set<(job: UpdateJob) => void>();

  private constructor(
    readonly gatewayId: string,
    readonly client: MqttClient,
  ) {
    client.on('message', (topic, payload) => {
      const parsed = parseTopic(topic);
      if (parsed?.name === 'updateJob') {
        const job = decodePayload('updateJob', payload);
        if (job.ok) for (const listener of this.#jobListeners) listener(job.value);
        return;
      }
      if (parsed?.name === 'updateCancel') {
        const cancel = decodePayload('updateCancel', payload);
        if (cancel.ok) this.cancels.push(cancel.value.jobId);
        return;
      }
      if (parsed?.name !== 'command' || !parsed.address) return;
      const decoded = decodePayload('command', payload);
      if (!decoded.ok) return;
      this.commands.push({ address: parsed.address, request: decoded.value });
      for (const wake of this.#waiters) wake();
    });
  }

  /** Connects (MQTT 3.1.1, as aedes requires) with the status topic as last will. Rejects when refused. */
  static async connect(options: MqttGatewayOptions): Promise<MqttGateway> {
    const statusTopic = topicFor('gatewayStatus', { gatewayId: options.gatewayId });
    const client = await mqtt.connectAsync(options.url, {
      protocolVersion: 4,
      clientId: options.clientId ?? options.gatewayId,
      username: options.gatewayId,
      password: options.secret,
      clean: true,
      reconnectPeriod: 0,
      connectTimeout: 5_000,
      will: {
        topic: statusTopic,
        payload: encodePayload('gatewayStatus', { v: 1, online: false, ts: new Date().toISOString() }),
        qos: 1,
        retain: true,
      },
    });
    return new MqttGateway(options.gatewayId, client);
  }

  async subscribeCommands(): Promise<void> {
    await this.client.subscribeAsync(gatewayDownFilter(this.gatewayId), { qos: 1 });
  }

  /** Every down topic of this gateway: commands, update jobs and their cancels. */
  async subscribeDown(): Promise<void> {
    await this.client.subscribeAsync(gatewayDownFilters(this.gatewayId), { qos: 1 });
  }

  /** Calls `listener` with each well-formed update job that arrives (after subscribeDown). */
  onUpdateJob(listener: (job: UpdateJob) => void): void {
    this.#jobListeners.add(listener);
  }

  /** Publishes the gateway's status, with its software version when given. */
  async announce(online = true, version?: string): Promise<void> {
    const status = { v: 1 as const, online, ts: new Date().toISOString() };
    await this.client.publishAsync(
      topicFor('gatewayStatus', { gatewayId: this.gatewayId }),
      encodePayload('gatewayStatus', version === undefined ? status : { ...status, version }),
      { qos: 1, retain: true },
    );
  }

  async report(
    device: DeviceIdentity,
    fields: Partial<Pick<DeviceReport, 'online' | 'state' | 'battery' | 'rssi'>> = {},
  ): Promise<number> {
    const seq = ++this.#seq;
    const report: DeviceReport = { v: 1, seq, ts: new Date().toISOString(), device, online: fields.online ?? true };
    if (fields.state) report.state = fields.state;
    if (fields.battery !== undefined) report.battery = fields.battery;
    if (fields.rssi !== undefined) report.rssi = fields.rssi;
    await this.publish(
      topicFor('deviceState', { gatewayId: this.gatewayId, address: device.address }),
      encodePayload('deviceState', report),
    );
    return seq;
  }

  async result(
    address: string,
    commandId: string,
    outcome: Pick<CommandResult, 'status'> & Partial<Pick<CommandResult, 'reason' | 'detail' | 'state'>>,
  ): Promise<void> {
    const result: CommandResult = { v: 1, seq: ++this.#seq, ts: new Date().toISOString(), commandId, ...outcome };
    await this.publish(
      topicFor('commandResult', { gatewayId: this.gatewayId, address }),
      encodePayload('commandResult', result),
    );
  }

  /** Publishes bytes as they are, for malformed-payload and ACL cases. */
  async publish(topic: string, payload: Buffer | string): Promise<void> {
    await this.client.publishAsync(topic, payload, { qos: 1 });
  }

  /** Resolves with the next command that satisfies `match` (already received ones count). */
  nextCommand(match: (c: ReceivedCommand) => boolean = () => true, timeoutMs = 10_000): Promise<ReceivedCommand> {
    return new Promise((resolve, reject) => {
      const check = () => {
        const found = this.commands.find(match);
        if (!found) return false;
        this.#waiters.delete(wake);
        clearTimeout(timer);
        resolve(found);
        return true;
      };
      const wake = () => void check();
      const timer = setTimeout(() => {
        this.#waiters.delete(wake);
        reject(new Error(`no matching command for ${this.gatewayId} within ${timeoutMs} ms`));
      }, timeoutMs);
      this.#waiters.add(wake);
      check();
    });
  }

  /** Disconnects without DISCONNECT, as a crash would, so the broker publishes the last will. */
  async drop(): Promise<void> {
    this.client.stream.destroy();
    await this.client.endAsync(true);
  }

  /** Clean disconnect; a client the broker already dropped is ended without waiting for in-flight acks. */
  async close(): Promise<void> {
    await this.client.endAsync(!this.client.connected);
  }
}
