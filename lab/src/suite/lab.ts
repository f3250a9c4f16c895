/**
 * One bench of the release suite's lab: a simulated radio with switches running firmware images
 * (MCUboot + the image's program), and the production gateway over them (startSimGateway)
 * connected to the suite's cloud. Wall-clock time with near-zero radio latency,
 * because the gateway's own timers are real.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  compactAddress,
  type CommandAction,
  type CommandResult,
  type DeviceReport,
  type switchbot,
} from '@switchfleet/protocol';
import { updateSwitch, type Gateway, type GatewayConfigInput, type OtaResult } from '@switchfleet/gateway';
import { SimFirmware, type SimRadio, type SimSwitch } from '@switchfleet/firmware-sim';
import { startSimGateway, type SimGateway } from '../sim-gateway.ts';
import type { GatewayView, SuiteCloud } from './cloud.ts';
import { waitUntil } from './wait.ts';

export interface LabSwitchSpec {
  /** Factory image in the primary slot. */
  image: Buffer;
  mode?: switchbot.BotMode;
  battery?: number;
  on?: boolean;
}

export interface LabSwitch {
  sw: SimSwitch;
  fw: SimFirmware;
  /** Compact address, as the gateway and the cloud name it. */
  address: string;
}

export interface LabOptions {
  cloud: SuiteCloud;
  gatewayId: string;
  seed: number;
  hardwareId: string;
  trustedKeys: readonly string[];
  switches: LabSwitchSpec[];
}

/** Timeouts of the suite's updates: fast retries, a few seconds for a reboot. */
export const SUITE_OTA_TIMEOUTS = { responseMs: 1_500, rebootMs: 5_000, retries: 6, retryBaseMs: 20, retryMaxMs: 200 };

/** The gateway's settings in the lab: fast timeouts and retries, no fsync (the data directory is scratch). */
const LAB_GATEWAY: GatewayConfigInput = {
  ble: {
    connectMs: 2_000,
    discoverMs: 2_000,
    readMs: 1_000,
    writeMs: 1_000,
    responseMs: 1_500,
    idleMs: 300,
    interviewRetryMs: 200,
  },
  availability: { offlineAfterMs: 2_000 },
  commands: { retryBaseMs: 20, retryMaxMs: 200 },
  outbox: { fsync: false, drainMs: 1_000 },
  logLevel: 'silent',
};

export class GatewayLab {
  private closed = false;

  private constructor(
    private readonly options: LabOptions,
    private readonly sim: SimGateway,
    readonly switches: LabSwitch[],
    readonly view: GatewayView,
    private readonly dataDirs: string[],
  ) {}

  static async start(options: LabOptions): Promise<GatewayLab> {
    const firmwares = options.switches.map(
      (spec) =>
        new SimFirmware({
          image: spec.image,
          trustedKeys: options.trustedKeys,
          resetDelayMs: 20,
          watchdogMs: 50,
          maxMtu: 247,
        }),
    );
    const dataDirs = [await newDataDir()];
    let sim: SimGateway;
    try {
      sim = await startSimGateway({
        gatewayId: options.gatewayId,
        radio: {
          seed: options.seed,
          connectLatencyMs: 2,
          gattLatencyMs: 1,
          supervisionTimeoutMs: 150,
          actuationMs: 20,
          advertisingIntervalMs: 25,
          mtu: 247,
        },
        switches: options.switches.map((spec, i) => ({
          hardwareId: options.hardwareId,
          maxMtu: 247,
          behaviours: [firmwares[i]!],
          ...(spec.mode === undefined ? {} : { mode: spec.mode }),
          ...(spec.battery === undefined ? {} : { battery: spec.battery }),
          ...(spec.on === undefined ? {} : { on: spec.on }),
        })),
        mqtt: { url: options.cloud.url, username: options.gatewayId, password: 'release-suite' },
        dataDir: dataDirs[0]!,
        config: LAB_GATEWAY,
      });
    } catch (err) {
      await removeDataDirs(dataDirs);
      throw err;
    }
    const switches = sim.switches.map((sw, i) => ({ sw, fw: firmwares[i]!, address: compactAddress(sw.address) }));
    return new GatewayLab(options, sim, switches, options.cloud.view(options.gatewayId), dataDirs);
  }

  get gateway(): Gateway {
    return this.sim.gateway;
  }

  get radio(): SimRadio {
    return this.sim.radio;
  }

  get gatewayId(): string {
    return this.options.gatewayId;
  }

  /** A command through the cloud, answered by the gateway. */
  command(address: string, action: CommandAction, ttlMs = 5_000): Promise<CommandResult> {
    return this.options.cloud.command(this.options.gatewayId, address, action, ttlMs);
  }

  /** Waits for the gateway to report the switch online with its identity read (interviewed). */
  interviewed(target: LabSwitch, timeoutMs = 5_000, since = 0): Promise<DeviceReport> {
    return waitUntil(
      () => this.view.latestReport(target.address, (r) => r.online && r.device.firmwareVersion !== undefined, since),
      {
        timeoutMs,
        what: `the gateway to report ${target.address} online with its firmware version`,
        events: this.view.changed,
        failEarly: () => bootTrouble(target),
      },
    );
  }

  /** Updates a switch through the gateway's OTA module, over the running gateway's connection pool. */
  update(target: LabSwitch, image: Buffer, opts: { allowDowngrade?: boolean } = {}): Promise<OtaResult> {
    return updateSwitch({
      pool: this.sim.gateway.deps.pool,
      address: target.address,
      image,
      trustedKeys: this.options.trustedKeys,
      timeouts: SUITE_OTA_TIMEOUTS,
      ...(opts.allowDowngrade ? { allowDowngrade: true } : {}),
    });
  }

  /** Stops the gateway and starts a fresh one (new data directory: it remembers nothing) on the same radio. */
  async restartGateway(): Promise<void> {
    const dataDir = await newDataDir();
    this.dataDirs.push(dataDir);
    await this.sim.restart({ dataDir });
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    try {
      await this.sim.close();
    } finally {
      await removeDataDirs(this.dataDirs);
    }
  }
}

function newDataDir(): Promise<string> {
  return mkdtemp(join(tmpdir(), 'sf-suite-gw-'));
}

async function removeDataDirs(dirs: string[]): Promise<void> {
  for (const dir of dirs.splice(0)) await rm(dir, { recursive: true, force: true });
}

/** Why a switch is not running, from its boot log, or undefined while it is (or may still be) fine. */
export function bootTrouble(target: LabSwitch): string | undefined {
  if (target.fw.running) return undefined;
  const last = target.fw.boots.at(-1);
  if (!last || last.outcome === 'running') return undefined;
  return `the switch is not running: its last boot ${describeBoot(last)}`;
}

export function describeBoot(b: SimFirmware['boots'][number]): string {
  const version = b.version ? ` ${b.version}` : '';
  const reason = b.reason ? ` (${b.reason})` : '';
  return `${b.outcome}${version}${reason}`;
}
