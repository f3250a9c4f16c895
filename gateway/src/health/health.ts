/**
 * What the gateway knows about its own health: uptime, radio slots, queues, outbox backlog and the
 * last errors. Published periodically by the health feature to the cloud and the local bridge.
 */
import type { GatewayHealth } from '@switchfleet/protocol';
import type { ConnectionPool } from '../ble/connections.ts';
import type { DeviceRegistry } from '../devices/registry.ts';
import type { Outbox } from '../outbox/outbox.ts';
import type { CommandRunner } from '../features/command-runner.ts';

const KEEP_ERRORS = 10;

export interface HealthSources {
  pool: ConnectionPool;
  maxConnections: number;
  registry: DeviceRegistry;
  outbox: Outbox;
  runner: CommandRunner;
  cloudConnected: () => boolean;
  localConnected?: () => boolean;
}

export class HealthMonitor {
  private readonly errors: { ts: string; message: string }[] = [];
  private readonly startedAt: number;

  constructor(private readonly now: () => number = Date.now) {
    this.startedAt = now();
  }

  /** Remembers an error for the next health reports (the log line is the caller's). */
  error(message: string): void {
    this.errors.push({ ts: new Date(this.now()).toISOString(), message: message.slice(0, 256) });
    if (this.errors.length > KEEP_ERRORS) this.errors.shift();
  }

  get lastErrors(): readonly { ts: string; message: string }[] {
    return this.errors;
  }

  snapshot(s: HealthSources): GatewayHealth {
    const box = s.outbox.stats();
    const devices = s.registry.all();
    const links: GatewayHealth['links'] = { cloud: s.cloudConnected() };
    if (s.localConnected) links.local = s.localConnected();
    return {
      v: 1,
      ts: new Date(this.now()).toISOString(),
      uptimeS: Math.max(0, Math.floor((this.now() - this.startedAt) / 1000)),
      connections: { inUse: s.pool.inUse, max: s.maxConnections, peak: s.pool.peak, waiting: s.pool.queued },
      commands: { running: s.runner.running, taken: box.commandsTaken },
      outbox: {
        records: box.records,
        bytes: box.bytes,
        oldestAgeMs: Math.round(box.oldestAgeMs),
        dropped: box.dropped,
        delivered: box.delivered,
      },
      devices: { known: devices.length, online: devices.filter((d) => d.online).length },
      links,
      rssMb: Math.round((process.memoryUsage.rss() / 1048576) * 10) / 10,
      lastErrors: [...this.errors],
    };
  }
}
