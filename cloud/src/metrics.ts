/**
 * Prometheus metrics of one cloud process (prom-client), on a registry of its own (no global
 * default registry: two clouds in one process, as in tests, must not collide). The API adds its
 * HTTP histogram to the same registry and serves it at /metrics.
 */
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

export interface CloudMetrics {
  registry: Registry;
  ingestMessages: Counter<'kind' | 'outcome'>;
  commandsCreated: Counter<'source'>;
  commandOutcomes: Counter<'status'>;
  gatewaysConnected: Gauge;
  httpDuration: Histogram<'method' | 'route' | 'status'>;
}

export function createMetrics(options: { gatewaysConnected: () => Promise<number> }): CloudMetrics {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  return {
    registry,
    ingestMessages: new Counter({
      name: 'sf_ingest_messages_total',
      // The outcome label is the ingest's stat name (IngestStats); docs/mqtt-protocol.md "Metrics" explains each.
      help:
        'MQTT messages from gateways by kind (topic name) and outcome (applied: deviceStates, commandResults, ' +
        'updateReports, gatewayStatuses, gatewayHealth; not applied: duplicates, stale, malformed, rejected, overCap, failed)',
      labelNames: ['kind', 'outcome'],
      registers: [registry],
    }),
    commandsCreated: new Counter({
      name: 'sf_commands_created_total',
      help: 'Commands created, by source (user, delta, schedule)',
      labelNames: ['source'],
      registers: [registry],
    }),
    commandOutcomes: new Counter({
      name: 'sf_commands_total',
      help: 'Commands that reached a terminal status, by status',
      labelNames: ['status'],
      registers: [registry],
    }),
    gatewaysConnected: new Gauge({
      name: 'sf_gateways_connected',
      help: 'Gateways whose last status says online',
      registers: [registry],
      async collect() {
        this.set(await options.gatewaysConnected().catch(() => 0));
      },
    }),
    httpDuration: new Histogram({
      name: 'sf_http_request_duration_seconds',
      help: 'REST request latency by method, route pattern and status',
      labelNames: ['method', 'route', 'status'],
      buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 10],
      registers: [registry],
    }),
  };
}
