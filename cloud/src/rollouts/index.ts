/**
 * The rollout domain wired for one cloud instance: the service the API calls, the lifecycle its
 * actions and the engine share, and the engine's tick.
 */
import type { Logger } from 'pino';
import type { Db } from '../db/database.ts';
import type { EventBus } from '../events/bus.ts';
import type { ReleaseService } from '../releases/releases.ts';
import type { UpdateService } from '../updates/jobs.ts';
import { NO_HEALTH_DATA, RolloutEngine, type HealthSource } from './engine.ts';
import { Lifecycle } from './lifecycle.ts';
import { DEFAULT_PLAN_OPTIONS, RolloutService, type PlanOptions } from './service.ts';
import { RolloutStore } from './store.ts';

export interface RolloutOptions {
  /** How often the engine looks at running rollouts; default 1000 ms. */
  rolloutTickMs?: number | undefined;
  /** How long one instance's claim on the rollouts holds without a tick renewing it; default 30 s. */
  rolloutLeaseMs?: number | undefined;
  /** Telemetry of the health gate; the cloud passes the fleet's own (FleetHealth), a bare engine none. */
  rolloutHealth?: HealthSource | undefined;
  /** The plan's radio model (link rate, per-switch overhead). */
  rolloutPlan?: Partial<PlanOptions> | undefined;
  /** The engine's clock (epoch ms); default Date.now. A simulation of a rollout sets its own. */
  rolloutClock?: (() => number) | undefined;
}

export interface RolloutDomain {
  rollouts: RolloutService;
  engine: RolloutEngine;
  /** Starts the tick; its stop function waits for a tick under way and lets go of the leases. */
  start(): () => Promise<void>;
}

export function createRollouts(
  deps: {
    db: Db;
    bus: EventBus;
    releases: Pick<ReleaseService, 'assertShippable'>;
    updates: UpdateService;
    logger: Logger;
  },
  options: RolloutOptions = {},
): RolloutDomain {
  const store = new RolloutStore(deps.db);
  const lifecycle = new Lifecycle(store, deps.bus, deps.updates, deps.logger);
  const rollouts = new RolloutService(deps.db, deps.releases, lifecycle, {
    ...DEFAULT_PLAN_OPTIONS,
    ...options.rolloutPlan,
  });
  const engine = new RolloutEngine(
    {
      store,
      lifecycle,
      service: rollouts,
      updates: deps.updates,
      health: options.rolloutHealth ?? NO_HEALTH_DATA,
      logger: deps.logger,
    },
    { leaseMs: options.rolloutLeaseMs, clock: options.rolloutClock },
  );
  return {
    rollouts,
    engine,
    start() {
      let running: Promise<void> | null = null;
      const timer = setInterval(() => {
        // A tick still under way (a slow database) is not doubled.
        running ??= engine
          .tick()
          .catch((e: unknown) => deps.logger.error({ err: e }, 'rollout tick failed'))
          .finally(() => {
            running = null;
          });
      }, options.rolloutTickMs ?? 1000);
      timer.unref();
      return async () => {
        clearInterval(timer);
        await running;
        await engine.unlease().catch((e: unknown) => deps.logger.warn({ err: e }, 'rollout leases not let go'));
      };
    },
  };
}

export {
  RolloutService,
  DEFAULT_PLAN_OPTIONS,
  type PlanOptions,
  type RolloutView,
  type DevicePage,
} from './service.ts';
export { RolloutEngine, NO_HEALTH_DATA, type HealthSource } from './engine.ts';
export { RolloutError } from './rules/errors.ts';
export { COUNT_KEYS } from './counts.ts';
export { RolloutSpecSchema, resolveSpec, type RolloutSpec, type ResolvedRolloutSpec } from './rules/spec.ts';
export type { RolloutPlan } from './rules/plan.ts';
export type { HealthSample } from './rules/health.ts';
