/**
 * Publishes the gateway's health every `health.intervalMs`: to the cloud (retained
 * sf/v1/gw/<id>/health, not sequenced: only the latest matters) and, when the local bridge runs,
 * to <base>/bridge/health in Zigbee2MQTT's shape with our figures beside it.
 */
import { encodePayload, type GatewayHealth } from '@switchfleet/protocol';
import type { GatewayDeps } from '../deps.ts';
import { Subscriptions } from '../events.ts';
import type { HealthMonitor } from '../health/health.ts';
import type { LocalLink } from '../local/local-link.ts';
import type { CommandRunner } from './command-runner.ts';
import type { Feature } from './feature.ts';

export interface HealthFeatureDeps
  extends Pick<GatewayDeps, 'config' | 'cloud' | 'log' | 'pool' | 'registry' | 'outbox'> {
  health: HealthMonitor;
  runner: CommandRunner;
  /** The local bridge's link, when it runs. */
  local?: LocalLink;
}

export function healthFeature(deps: HealthFeatureDeps): Feature {
  const { config, cloud, local, log } = deps;
  let timer: NodeJS.Timeout | undefined;
  const subs = new Subscriptions();

  const snapshot = (): GatewayHealth =>
    deps.health.snapshot({
      pool: deps.pool,
      maxConnections: config.ble.maxConnections,
      registry: deps.registry,
      outbox: deps.outbox,
      runner: deps.runner,
      cloudConnected: () => cloud.connected,
      ...(local ? { localConnected: () => local.connected } : {}),
    });

  const publish = () => {
    const h = snapshot();
    if (cloud.connected) {
      cloud.publishRaw('gatewayHealth', undefined, encodePayload('gatewayHealth', h)).catch((err: unknown) => {
        log.debug({ err: (err as Error).message }, 'health not sent to the cloud');
      });
    }
    local?.publish(`${config.local.baseTopic}/bridge/health`, {
      healthy: true,
      response_time: Date.parse(h.ts),
      process: { uptime_sec: h.uptimeS, memory_used_mb: h.rssMb },
      ...h,
    });
  };

  return {
    name: 'health',
    start() {
      subs.add(cloud.onUp(publish));
      if (local) subs.add(local.onUp(publish));
      timer = setInterval(publish, config.health.intervalMs);
      timer.unref();
    },
    stop() {
      clearInterval(timer);
      subs.clear();
    },
  };
}
