/**
 * `<base>/bridge/request/<op>` handlers, answered on `<base>/bridge/response/<op>` with
 * {data, status: "ok" | "error", error?, transaction?} as Zigbee2MQTT does. A handler returns the
 * response data or throws BridgeRequestError with the message the requester sees.
 */
import type { DeviceRecord, DeviceRegistry } from '../devices/registry.ts';
import { checkFriendlyName } from './payloads.ts';

export class BridgeRequestError extends Error {
  readonly code = 'BRIDGE_REQUEST';
}

export type RequestBody = Record<string, unknown>;
export type RequestHandler = (body: RequestBody) => Promise<unknown>;

export interface RequestDeps {
  registry: DeviceRegistry;
  /** Runs an OTA update of one switch; rejects with BridgeRequestError when it cannot. */
  otaUpdate: (rec: DeviceRecord) => Promise<{ from: string | null; to: string | null }>;
  healthy: () => boolean;
  restart: () => void;
  /** Called after permit_join changed, so bridge/info can be republished. */
  joinChanged: () => void;
}

/** Largest permit_join window, as in Zigbee2MQTT. */
const MAX_JOIN_S = 254;

function device(registry: DeviceRegistry, id: unknown): DeviceRecord {
  if (typeof id !== 'string' || id.length === 0)
    throw new BridgeRequestError('"id" must name a device (friendly name or address)');
  const rec = registry.resolve(id);
  if (!rec) throw new BridgeRequestError(`device "${id.slice(0, 64)}" does not exist`);
  return rec;
}

export function bridgeRequests(deps: RequestDeps): Record<string, RequestHandler> {
  const { registry } = deps;
  return {
    permit_join: async (body) => {
      const time =
        typeof body.time === 'number'
          ? body.time
          : body.value === true
            ? MAX_JOIN_S
            : body.value === false
              ? 0
              : undefined;
      if (time === undefined || !Number.isInteger(time) || time < 0 || time > MAX_JOIN_S) {
        throw new BridgeRequestError(`"time" must be an integer from 0 to ${MAX_JOIN_S} seconds`);
      }
      registry.permitJoin(time * 1000);
      deps.joinChanged();
      return { time };
    },
    'device/remove': async (body) => {
      const rec = device(registry, body.id);
      await registry.remove(rec.address);
      return { id: body.id, block: false, force: body.force === true };
    },
    'device/rename': async (body) => {
      const to = body.to;
      const problem = checkFriendlyName(to);
      if (problem) throw new BridgeRequestError(problem);
      const rec = device(registry, body.from);
      const taken = registry.resolve(to as string);
      if (taken && taken !== rec) throw new BridgeRequestError(`friendly name "${String(to)}" is already in use`);
      const from = rec.name;
      await registry.rename(rec.address, to as string);
      return { from, to, homeassistant_rename: false };
    },
    'device/ota_update/update': async (body) => {
      const rec = device(registry, body.id);
      const { from, to } = await deps.otaUpdate(rec);
      return { id: body.id, from: { software_build_id: from }, to: { software_build_id: to } };
    },
    health_check: async () => ({ healthy: deps.healthy() }),
    restart: async () => {
      // Answer first; the restart happens after the response is out.
      setTimeout(() => deps.restart(), 50).unref();
      return {};
    },
  };
}
