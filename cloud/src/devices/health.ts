/** Liveness as the API reports it: database reachable, broker up, and how many gateways are online. */
import type { Database } from '../db/database.ts';
import type { GatewayService } from './gateways.ts';

export interface HealthReport {
  /** True when the database and broker are up and at least one gateway is online. */
  ok: boolean;
  db: 'up' | 'down';
  broker: 'up' | 'down';
  gatewaysOnline: number;
}

export interface HealthDeps {
  database: Database;
  gateways: GatewayService;
  brokerUp(): boolean;
}

export class HealthService {
  constructor(private readonly deps: HealthDeps) {}

  async check(): Promise<HealthReport> {
    const dbUp = await this.deps.database.ping();
    const brokerUp = this.deps.brokerUp();
    const gatewaysOnline = dbUp ? await this.deps.gateways.countOnline().catch(() => 0) : 0;
    return {
      ok: dbUp && brokerUp && gatewaysOnline > 0,
      db: dbUp ? 'up' : 'down',
      broker: brokerUp ? 'up' : 'down',
      gatewaysOnline,
    };
  }
}
