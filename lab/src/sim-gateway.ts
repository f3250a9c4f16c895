/**
 * The production gateway over simulated switches, composed in one place: a simulated radio with its
 * switches, noble over the radio's bindings, and createGateway on a configuration made of the
 * caller's layers. The release suite's lab, the fleet runner, `npm start`, the gateway benchmark and
 * the gateway's tests all start it here, so they run the same wiring.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Logger } from 'pino';
import {
  createGateway,
  loadNoble,
  resolveGatewayConfig,
  type Gateway,
  type GatewayConfig,
  type GatewayConfigInput,
} from '@switchfleet/gateway';
import {
  createSimRadio,
  type AddSwitchOptions,
  type SimRadio,
  type SimRadioOptions,
  type SimSwitch,
} from '@switchfleet/firmware-sim';

export interface SimGatewayOptions {
  gatewayId: string;
  /** Settings of the radio (seed, latencies, clock…); createSimRadio's defaults otherwise. */
  radio?: SimRadioOptions;
  /** How many default switches, or one entry per switch; none by default. */
  switches?: number | readonly AddSwitchOptions[];
  /**
   * Where the gateway connects, with its account; absent, the configuration's layers (or the
   * gateway's default broker) decide.
   */
  mqtt?: { url: string; username: string; password: string };
  /** The gateway's outbox and device names; default a fresh temporary directory that close() removes. */
  dataDir?: string;
  /** The caller's configuration (timeouts, local bridge, log level…), over gatewayId, dataDir and mqtt. */
  config?: GatewayConfigInput;
  /** Overrides over `config`, for a test or a launcher setting. */
  overrides?: GatewayConfigInput;
  /** The gateway's logger; default createGateway's own, at the configuration's log level. */
  log?: Logger;
}

export interface SimGateway {
  /** The running gateway; restart() replaces it. */
  readonly gateway: Gateway;
  radio: SimRadio;
  /** The switches added at start, in the order given. */
  switches: SimSwitch[];
  config: GatewayConfig;
  dataDir: string;
  /**
   * Stops the gateway and starts a new one on the same radio and noble; with `dataDir`, on that
   * directory (it remembers nothing), otherwise on the same one.
   */
  restart(options?: { dataDir?: string }): Promise<void>;
  /**
   * Stops the gateway (it says offline, its link goes, its update jobs stay open on disk), keeping
   * the radio and its switches; start() brings a new gateway up on the same data directory.
   */
  stop(): Promise<void>;
  start(): Promise<void>;
  /** Stops the gateway, closes the radio and removes the data directory it made; once only. */
  close(): Promise<void>;
}

export async function startSimGateway(options: SimGatewayOptions): Promise<SimGateway> {
  const radio = createSimRadio(options.radio ?? {});
  const specs =
    typeof options.switches === 'number'
      ? Array.from({ length: options.switches }, (): AddSwitchOptions => ({}))
      : (options.switches ?? []);
  const switches = specs.map((spec) => radio.addSwitch(spec));
  const ownDir = options.dataDir === undefined ? await mkdtemp(join(tmpdir(), 'sf-sim-gw-')) : undefined;
  const dataDir = options.dataDir ?? ownDir!;
  const configFor = (dir: string) =>
    resolveGatewayConfig(
      { gatewayId: options.gatewayId, dataDir: dir, ...(options.mqtt ? { mqtt: options.mqtt } : {}) },
      options.config ?? {},
      options.overrides ?? {},
    );
  const removeOwnDir = async () => {
    if (ownDir !== undefined) await rm(ownDir, { recursive: true, force: true });
  };

  let current: Gateway | undefined;
  const startOn = async (config: GatewayConfig) => {
    current = createGateway({ config, noble, ...(options.log ? { log: options.log } : {}) });
    await current.start();
  };
  let noble: Awaited<ReturnType<typeof loadNoble>>;
  let config: GatewayConfig;
  try {
    config = configFor(dataDir);
    noble = await loadNoble(radio.bindings);
    await startOn(config);
  } catch (err) {
    await current?.stop().catch(() => {});
    radio.close();
    await removeOwnDir();
    throw err;
  }

  let closing: Promise<void> | undefined;
  const sim: SimGateway = {
    get gateway() {
      return current!;
    },
    radio,
    switches,
    config,
    dataDir,
    async stop() {
      await current!.stop();
    },
    async start() {
      await startOn(config);
    },
    async restart(restartOptions = {}) {
      await current!.stop();
      if (restartOptions.dataDir !== undefined) {
        config = configFor(restartOptions.dataDir);
        sim.config = config;
        sim.dataDir = restartOptions.dataDir;
      }
      await startOn(config);
    },
    close() {
      closing ??= (async () => {
        try {
          await current!.stop();
        } finally {
          radio.close();
          await removeOwnDir();
        }
      })();
      return closing;
    },
  };
  return sim;
}
