/**
 * A fleet of simulated gateways for demos and benchmarks: each is the production gateway
 * (createGateway over noble over its own simulated radio) with its share of the switches, connected
 * to a given cloud broker with its own credentials. Every radio's seed derives from the fleet's
 * one seed, so a run replays.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createGateway, loadNoble, resolveGatewayConfig, type Gateway } from '@switchfleet/gateway';
import {
  createSimRadio,
  randomSeed,
  Rng,
  type SimRadio,
  type SimRadioOptions,
  type SimSwitch,
} from '@switchfleet/firmware-sim';
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
  let stopping: Promise<void> | undefined;

  const stop = () => {
    stopping ??= (async () => {
      await Promise.allSettled(started.map((g) => g.gateway.stop()));
      for (const g of started) g.radio.close();
      await rm(dataRoot, { recursive: true, force: true });
    })();
    return stopping;
  };

  try {
    for (const [index, creds] of options.gateways.entries()) {
      const radio = createSimRadio({ ...options.radio, seed: rng.fork(`radio:${creds.gatewayId}`).seed });
      const switches: SimSwitch[] = [];
      const faults = new Map<string, string[]>();
      for (let i = index; i < options.switches; i += options.gateways.length) {
        const own = behaviours[i]!;
        const sw = radio.addSwitch({ behaviours: own });
        switches.push(sw);
        if (own.length > 0)
          faults.set(
            sw.address,
            own.map((b) => b.name),
          );
      }
      const config = resolveGatewayConfig({
        gatewayId: creds.gatewayId,
        dataDir: join(dataRoot, creds.gatewayId),
        mqtt: { url: options.mqttUrl, username: creds.gatewayId, password: creds.secret },
        logLevel: options.logLevel ?? 'warn',
      });
      const gateway = createGateway({ config, noble: await loadNoble(radio.bindings) });
      const entry: FleetGateway = { gatewayId: creds.gatewayId, radio, gateway, switches, faults };
      started.push(entry);
      await gateway.start();
    }
  } catch (err) {
    await stop();
    throw err;
  }
  return { seed, gateways: started, stop };
}
