/**
 * The local, Zigbee2MQTT-compatible bridge (optional, LOCAL_MQTT_URL): retained device state and
 * availability, bridge/state|devices|info|event|logging, bridge requests, /set and /get, and Home
 * Assistant discovery. It runs commands through the same runner as the cloud, so it keeps working
 * while the cloud link is down. A switch's availability is published only once it was heard.
 */
import { randomUUID } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { firmware } from '@switchfleet/protocol';
import type { GatewayDeps } from '../deps.ts';
import type { DeviceRecord } from '../devices/registry.ts';
import { Subscriptions } from '../events.ts';
import { discoveryMessages, discoveryTopics, type DiscoveryContext } from '../local/homeassistant.ts';
import { bridgeDiscoveryMessages } from '../local/homeassistant-bridge.ts';
import { OFFLINE, ONLINE, type LocalLink } from '../local/local-link.ts';
import { deviceEntry, deviceState, ieeeOf, parseSet, type UpdateState } from '../local/payloads.ts';
import { BridgeRequestError, bridgeRequests, type RequestBody } from '../local/requests.ts';
import { CommandHandedBack, type CommandRunner } from './command-runner.ts';
import type { Feature } from './feature.ts';
import type { OtaFeature } from './ota.ts';

export interface LocalBridgeDeps
  extends Pick<GatewayDeps, 'config' | 'registry' | 'log' | 'pool' | 'book' | 'now' | 'requestRestart'> {
  runner: CommandRunner;
  ota: Pick<OtaFeature, 'update'>;
}

export const GATEWAY_VERSION = '0.1.0';

export function localBridge(deps: LocalBridgeDeps, link: LocalLink): Feature {
  const { config, registry, log, runner, pool } = deps;
  const base = config.local.baseTopic;
  const ha: DiscoveryContext = {
    prefix: config.local.discoveryPrefix,
    base,
    gatewayId: config.gatewayId,
    version: GATEWAY_VERSION,
  };
  const updates = new Map<string, UpdateState>();
  /** The mode each switch's discovery and device entry were last published for. */
  const publishedMode = new Map<string, DeviceRecord['mode']>();
  const subs = new Subscriptions();
  let joinTimer: NodeJS.Timeout | undefined;

  const publishState = (rec: DeviceRecord) =>
    link.publish(`${base}/${rec.name}`, deviceState(rec, updates.get(rec.address)), true);
  const publishAvailability = (rec: DeviceRecord) =>
    link.publish(`${base}/${rec.name}/availability`, rec.online ? ONLINE : OFFLINE, true);
  const publishDevices = () => link.publish(`${base}/bridge/devices`, registry.all().map(deviceEntry), true);
  const publishInfo = () => {
    const end = registry.permitJoinEnd;
    link.publish(
      `${base}/bridge/info`,
      {
        version: GATEWAY_VERSION,
        commit: null,
        coordinator: { type: 'Bluetooth LE (HCI)', ieee_address: null, meta: { gateway_id: config.gatewayId } },
        log_level: config.logLevel,
        permit_join: end !== undefined,
        permit_join_end: end ?? null,
        restart_required: false,
        config: {
          mqtt: { base_topic: base },
          homeassistant: { enabled: config.local.homeassistant, discovery_topic: ha.prefix },
        },
      },
      true,
    );
  };
  const event = (type: string, data: Record<string, unknown>) => link.publish(`${base}/bridge/event`, { type, data });
  const logError = (message: string, context: Record<string, unknown> = {}) => {
    log.warn(context, message);
    link.publish(`${base}/bridge/logging`, { level: 'error', message });
  };
  const publishDiscovery = (rec: DeviceRecord) => {
    publishedMode.set(rec.address, rec.mode);
    if (!config.local.homeassistant) return;
    for (const m of discoveryMessages(ha, rec)) {
      if (m.payload) link.publish(m.topic, m.payload, true);
      else link.clear(m.topic);
    }
  };
  const publishBridgeDiscovery = () => {
    if (!config.local.homeassistant) return;
    for (const m of bridgeDiscoveryMessages(ha)) link.publish(m.topic, m.payload ?? '', true);
  };
  const republishAll = () => {
    // Switches named in an earlier run but not heard yet: no availability until they are heard.
    for (const address of deps.book.known()) {
      if (!registry.get(address)) link.clear(`${base}/${deps.book.nameOf(address)}/availability`);
    }
    publishInfo();
    publishDevices();
    publishBridgeDiscovery();
    for (const rec of registry.all()) {
      publishState(rec);
      publishAvailability(rec);
      publishDiscovery(rec);
    }
  };

  type SetCommand = ReturnType<typeof parseSet> & { kind: 'command' };
  const runLocal = async (rec: DeviceRecord, action: SetCommand, arrived: number) => {
    // bot.md: a Bot in switch mode refuses a plain press; say so rather than relay its refusal.
    if (action.action === 'press' && rec.mode === 'switch') {
      return logError(`${rec.name}: press is not offered in switch mode; send state ON, OFF or TOGGLE`);
    }
    const commandId = `local-${randomUUID()}`;
    try {
      const deadline = arrived + config.local.commandTtlMs;
      const outcome = await runner.run({ commandId, action: action.action, deadline }, rec.address);
      log.info(
        { commandId, address: rec.address, action: action.action, status: outcome.status, reason: outcome.reason },
        'local command done',
      );
      if (outcome.status !== 'succeeded')
        logError(`${rec.name}: ${action.action} ${outcome.status} (${outcome.reason}): ${outcome.detail ?? ''}`, {
          commandId,
        });
      else publishState(registry.get(rec.address) ?? rec);
    } catch (err) {
      if (!(err instanceof CommandHandedBack))
        logError(`${rec.name}: ${action.action} failed: ${(err as Error).message}`, { commandId });
    }
  };

  const refresh = async (rec: DeviceRecord) => {
    try {
      const info = await pool.withConnection(rec.address, 'read', (c) => c.session.basicInfo());
      registry.update(
        rec.address,
        { ...(info.on === undefined ? {} : { on: info.on }), battery: info.battery },
        'state',
      );
      publishState(registry.get(rec.address) ?? rec);
    } catch (err) {
      logError(`${rec.name}: get failed: ${(err as Error).message}`, { address: rec.address });
    }
  };

  const otaUpdate = async (rec: DeviceRecord) => {
    const source = config.ota.imageFile;
    if (!source)
      throw new BridgeRequestError(
        'firmware image source is missing: set ota.imageFile (a signed image) in the gateway config',
      );
    if (updates.get(rec.address)?.state === 'updating')
      throw new BridgeRequestError(`an update of ${rec.name} is already in progress`);
    let image: Buffer;
    try {
      image = await readFile(source);
    } catch (err) {
      throw new BridgeRequestError(`firmware image ${source} unreadable: ${(err as Error).message}`);
    }
    let latest: string | null = null;
    try {
      latest = firmware.parseImage(image).version;
    } catch (err) {
      throw new BridgeRequestError(`firmware image ${source} is not an image: ${(err as Error).message}`);
    }
    const installed = rec.firmwareVersion ?? null;
    const set = (u: UpdateState) => {
      updates.set(rec.address, u);
      publishState(registry.get(rec.address) ?? rec);
    };
    set({ state: 'updating', installed_version: installed, latest_version: latest, progress: 0 });
    try {
      const result = await deps.ota.update(rec.address, image, {
        onProgress: (p) =>
          set({
            state: 'updating',
            installed_version: installed,
            latest_version: latest,
            progress: p.percent,
            ...(p.etaMs === null ? {} : { remaining: Math.round(p.etaMs / 1000) }),
          }),
      });
      if (result.status !== 'succeeded')
        throw new BridgeRequestError(`update of ${rec.name} failed (${result.reason}): ${result.detail ?? ''}`);
      return { from: result.fromVersion, to: result.runningVersion };
    } finally {
      updates.delete(rec.address);
      publishState(registry.get(rec.address) ?? rec);
    }
  };

  const handlers = bridgeRequests({
    registry,
    otaUpdate,
    healthy: () => true,
    restart: deps.requestRestart,
    joinChanged: () => {
      publishInfo();
      clearTimeout(joinTimer);
      const end = registry.permitJoinEnd;
      if (end !== undefined) joinTimer = setTimeout(publishInfo, end - deps.now() + 10).unref();
    },
  });

  const onRequest = async (op: string, payload: Buffer) => {
    const respond = (body: Record<string, unknown>) => link.publish(`${base}/bridge/response/${op}`, body);
    let request: RequestBody = {};
    let transaction: unknown;
    try {
      if (payload.length > config.local.maxPayloadBytes)
        throw new BridgeRequestError(`payload of ${payload.length} bytes exceeds ${config.local.maxPayloadBytes}`);
      request = parseRequest(payload);
      transaction = request.transaction;
      const handler = Object.hasOwn(handlers, op) ? handlers[op] : undefined;
      if (!handler) throw new BridgeRequestError(`unknown operation "${op.slice(0, 64)}"`);
      const data = await handler(request);
      respond({ data, status: 'ok', ...(transaction === undefined ? {} : { transaction }) });
    } catch (err) {
      const message = err instanceof BridgeRequestError ? err.message : `internal error: ${(err as Error).message}`;
      log.warn({ op, err: message }, 'bridge request refused');
      respond({ data: {}, status: 'error', error: message, ...(transaction === undefined ? {} : { transaction }) });
    }
  };

  const onMessage = (topic: string, payload: Buffer) => {
    if (topic === `${ha.prefix}/status`) {
      if (payload.toString().trim() !== 'online') return;
      publishBridgeDiscovery();
      for (const rec of registry.all()) publishDiscovery(rec);
      return;
    }
    if (!topic.startsWith(`${base}/`)) return;
    const rest = topic.slice(base.length + 1);
    if (rest.startsWith('bridge/request/')) return void onRequest(rest.slice('bridge/request/'.length), payload);
    // <name>/set, <name>/get, and Zigbee2MQTT's <name>/set/<attribute> and <name>/get/<attribute>.
    const [name, verb, attribute, ...more] = rest.split('/');
    if (!name || (verb !== 'set' && verb !== 'get') || more.length > 0) return;
    if (payload.length > config.local.maxPayloadBytes)
      return logError(`${name}/${verb}: payload of ${payload.length} bytes exceeds ${config.local.maxPayloadBytes}`);
    const arrived = deps.now();
    const rec = registry.resolve(name);
    if (rec) return serveDevice(rec, verb, attribute, payload, arrived);
    // Known from an earlier run but not heard since this start: the bridge said online, so the
    // request waits for the switch (within the command lifetime) rather than being refused.
    const heard = registry.whenHeard(name, config.local.commandTtlMs);
    if (!heard) return logError(`${verb} for unknown device "${name.slice(0, 64)}"`);
    void heard.then((r) => {
      if (r) serveDevice(r, verb, attribute, payload, arrived);
      else logError(`${verb} for ${name}: not heard since the gateway started`);
    });
  };

  const serveDevice = (
    rec: DeviceRecord,
    verb: 'set' | 'get',
    attribute: string | undefined,
    payload: Buffer,
    arrived: number,
  ) => {
    if (verb === 'get') return void refresh(rec);
    const set = parseSet(payload, attribute);
    const where = attribute === undefined ? 'set' : `set/${attribute}`;
    if (set.kind === 'invalid') return logError(`${rec.name}/${where}: ${set.reason}`);
    // The command's lifetime counts from its arrival, also while the switch was not heard yet.
    void runLocal(rec, set, arrived);
  };

  return {
    name: 'local-bridge',
    start() {
      subs.add(link.onUp(republishAll));
      subs.add(link.onMessage(onMessage));
      for (const off of [
        registry.onChange((rec, change) => {
          publishState(rec);
          // A mode heard for the first time or changed changes what the switch offers.
          if (change !== 'identity' && publishedMode.get(rec.address) !== rec.mode) {
            publishDevices();
            publishDiscovery(rec);
          }
          if (change === 'availability') publishAvailability(rec);
          if (change === 'identity') {
            publishDevices();
            publishDiscovery(rec);
            if (rec.interviewed)
              event('device_interview', {
                friendly_name: rec.name,
                ieee_address: ieeeOf(rec.address),
                status: 'successful',
                supported: true,
              });
          }
        }),
        registry.onAdded((rec) => {
          event('device_joined', { friendly_name: rec.name, ieee_address: ieeeOf(rec.address) });
          publishDevices();
          publishDiscovery(rec);
        }),
        registry.onRenamed((rec, old) => {
          link.clear(`${base}/${old}`);
          link.clear(`${base}/${old}/availability`);
          publishAvailability(rec);
        }),
        registry.onRemoved((rec) => {
          link.clear(`${base}/${rec.name}`);
          link.clear(`${base}/${rec.name}/availability`);
          for (const t of discoveryTopics(ha, rec.address)) link.clear(t);
          publishedMode.delete(rec.address);
          event('device_leave', { friendly_name: rec.name, ieee_address: ieeeOf(rec.address) });
          publishDevices();
        }),
      ])
        subs.add(off);
      link.start();
    },
    async stop() {
      clearTimeout(joinTimer);
      subs.clear();
      await link.stop();
    },
  };
}

/** A request body: a JSON object, or a bare string taken as the id (as Zigbee2MQTT accepts). */
function parseRequest(payload: Buffer): RequestBody {
  const text = payload.toString('utf8').trim();
  if (text === '') return {};
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    if (text.startsWith('{') || text.startsWith('[')) throw new BridgeRequestError('payload is not valid JSON');
    return { id: text };
  }
  if (typeof value === 'string') return { id: value };
  if (typeof value === 'boolean') return { value };
  if (!value || typeof value !== 'object' || Array.isArray(value))
    throw new BridgeRequestError('payload must be a JSON object');
  return value as RequestBody;
}
