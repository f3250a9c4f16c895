/**
 * A fleet of simulated gateways for demos and benchmarks: each is the production gateway over its
 * own simulated radio (startSimGateway) with its share of the switches, connected
 * to a given cloud broker with its own credentials. Every radio's seed derives from the fleet's
 * one seed, so a run replays.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Gateway } from '@switchfleet/gateway';
import {
  randomSeed,
  Rng,
  type Behaviour,
  type SimRadio,
  type SimRadioOptions,
  type SimSwitch,
} from '@switchfleet/firmware-sim';
import { startSimGateway, type SimGateway } from '../sim-gateway.ts';
import { assignBehaviours, type BehaviourSpec } from './behaviour-spec.ts';
import type { GatewayCredentials, LogLevel } from './options.ts';

export interface FleetOptions {
  mqttUrl: string;
  /** One gateway per entry. */
  gateways: GatewayCredentials[];
  /** Switches in total, dealt round-robin to the gateways. */
  switches: number;
  seed?: number;
  faults?: readonly BehaviourSpec[];
  /** Radio settings of every gateway's radio (seed and clock excepted). */
  radio?: Omit<SimRadioOptions, 'seed' | 'clock'>;
  logLevel?: LogLevel;
}

export interface FleetGateway {
  gatewayId: string;
  radio: SimRadio;
  gateway: Gateway;
  switches: SimSwitch[];
  /** Behaviour names per switch address, for the printout. */
  faults: Map<string, string[]>;
}

export interface Fleet {
  seed: number;
  gateways: FleetGateway[];
  /** Stops every gateway (they say offline), closes the radios, removes the data directories. */
  stop(): Promise<void>;
}

export async function startFleet(options: FleetOptions): Promise<Fleet> {
  const seed = (options.seed ?? randomSeed()) >>> 0;
  const rng = new Rng(seed);
  const dataRoot = await mkdtemp(join(tmpdir(), 'sf-fleet-'));
  const pick = rng.fork('faults');
  const behaviours = assignBehaviours(options.faults ?? [], options.switches, (n) => pick.int(0, n - 1));
  const started: FleetGateway[] = [];
  const sims: SimGateway[] = [];
  let stopping: Promise<void> | undefined;

  const stop = () => {
    stopping ??= (async () => {
      await Promise.allSettled(sims.map((sim) => sim.close()));
      await rm(dataRoot, { recursive: true, force: true });
    })();
    return stopping;
  };

  try {
    for (const [index, creds] of options.gateways.entries()) {
      const own: Behaviour[][] = [];
      for (let i = index; i < options.switches; i += options.gateways.length) own.push(behaviours[i]!);
      const sim = await startSimGateway({
        gatewayId: creds.gatewayId,
        radio: { ...options.radio, seed: rng.fork(`radio:${creds.gatewayId}`).seed },
        switches: own.map((b) => ({ behaviours: b })),
        mqtt: { url: options.mqttUrl, username: creds.gatewayId, password: creds.secret },
        dataDir: join(dataRoot, creds.gatewayId),
        config: { logLevel: options.logLevel ?? 'warn' },
      });
      sims.push(sim);
      const faults = new Map<string, string[]>();
      sim.switches.forEach((sw, i) => {
        if (own[i]!.length > 0)
          faults.set(
            sw.address,
            own[i]!.map((b) => b.name),
          );
      });
      const { radio, gateway, switches } = sim;
      started.push({ gatewayId: creds.gatewayId, radio, gateway, switches, faults });
    }
  } catch (err) {
    await stop();
    throw err;
  }
  return { seed, gateways: started, stop };
}
