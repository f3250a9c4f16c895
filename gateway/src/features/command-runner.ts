/**
 * Runs one switch command to its terminal outcome, whoever asked (the cloud or the local bridge).
 * Commands hold the radio at 'command' priority, ahead of reads, interviews and OTA. A switch that
 * cannot be reached is retried with jittered, capped backoff until the command's deadline, then the
 * command expires with the reason of the last failure. A switch answer that retrying cannot fix
 * (low battery, unsupported) ends it at once.
 */
import type { CommandAction, CommandResult, FailureReason, switchbot } from '@switchfleet/protocol';
import type { Logger } from 'pino';
import type { Connection, ConnectionPool } from '../ble/connections.ts';
import type { GatewayConfig } from '../config.ts';
import type { DeviceRegistry } from '../devices/registry.ts';
import { BleError, SwitchStatusError } from '../errors.ts';

export type Outcome = Pick<CommandResult, 'status' | 'reason' | 'detail' | 'state'>;

export interface RunRequest {
  commandId: string;
  action: CommandAction;
  /** Epoch ms after which the command must not act. */
  deadline: number;
  traceparent?: string;
}

/** The gateway stopped before the command could act; it stays taken and runs after the restart. */
export class CommandHandedBack extends Error {
  readonly code = 'COMMAND_HANDED_BACK';
}

/**
 * The switch answered the action as done, yet the state it reports right after is unchanged. Final:
 * repeating an action that did take place on the switch's side could act twice.
 */
export class NoEffectError extends Error {
  readonly code = 'NO_EFFECT';
  constructor(readonly on: boolean) {
    super(`the switch answered the action as done but still reports ${on ? 'on' : 'off'}`);
  }
}

/** Switch answers that retrying cannot fix end the command at once. */
const finalStatus: Partial<Record<switchbot.StatusName | 'unknown', FailureReason>> = {
  lowBattery: 'low_battery',
  unsupported: 'unsupported',
  error: 'device_error',
  versionIncompatible: 'unsupported',
  encrypted: 'unsupported',
  unencrypted: 'unsupported',
  unsupportedEncryption: 'unsupported',
  passwordError: 'unsupported',
  unknown: 'device_error',
};

export interface CommandRunnerDeps {
  registry: DeviceRegistry;
  pool: ConnectionPool;
  log: Logger;
  now: () => number;
  config: Pick<GatewayConfig, 'commands'>;
  /** True while a firmware update holds the switch: its commands are answered at once, not queued behind it. */
  updating?: (address: string) => boolean;
}

export class CommandRunner {
  private stopping = false;
  private readonly active = new Set<Promise<unknown>>();
  private readonly wakeups = new Set<() => void>();

  constructor(private readonly deps: CommandRunnerDeps) {}

  /** Commands being executed right now. */
  get running(): number {
    return this.active.size;
  }

  run(req: RunRequest, address: string): Promise<Outcome> {
    if (this.stopping) return Promise.reject(new CommandHandedBack('gateway is stopping'));
    const p = this.execute(req, address);
    this.active.add(p);
    void p.catch(() => undefined).finally(() => this.active.delete(p));
    return p;
  }

  /** Lets an action already on the air finish; commands still waiting are handed back. */
  async stop(): Promise<void> {
    this.stopping = true;
    for (const wake of this.wakeups) wake();
    await Promise.allSettled([...this.active]);
  }

  private async execute(req: RunRequest, address: string): Promise<Outcome> {
    const { registry, pool, now, config } = this.deps;
    const log = this.deps.log.child({
      commandId: req.commandId,
      ...(req.traceparent ? { traceparent: req.traceparent } : {}),
      address,
    });
    if (req.deadline <= now()) return { status: 'expired', reason: 'expired', detail: 'arrived after its expiry' };
    if (this.deps.updating?.(address)) {
      // An update holds the switch for minutes (upload, reboot, confirm): a prompt refusal beats a hang.
      return { status: 'failed', reason: 'device_updating', detail: `switch ${address} is being updated` };
    }
    let attempt = 0;
    let last: { reason: FailureReason; detail: string } = {
      reason: 'out_of_range',
      detail: 'switch not heard by this gateway',
    };
    while (now() < req.deadline) {
      if (this.stopping) throw new CommandHandedBack('gateway is stopping');
      const rec = registry.get(address);
      if (rec?.online) {
        try {
          const on = await pool.withConnection(address, 'command', (c) => act(c, req.action, rec.on));
          if (on !== undefined) registry.update(address, { on }, 'state');
          return on === undefined ? { status: 'succeeded' } : { status: 'succeeded', state: { on } };
        } catch (err) {
          if (err instanceof NoEffectError) {
            registry.update(address, { on: err.on }, 'state');
            return { status: 'failed', reason: 'no_effect', detail: err.message, state: { on: err.on } };
          }
          if (err instanceof SwitchStatusError && finalStatus[err.status as switchbot.StatusName]) {
            return { status: 'failed', reason: finalStatus[err.status as switchbot.StatusName]!, detail: err.message };
          }
          if (err instanceof BleError && err.code === 'BLE_NOT_READY') throw new CommandHandedBack(err.message);
          last = classify(err);
          log.debug({ attempt, err: (err as Error).message }, 'command attempt failed');
        }
      }
      attempt += 1;
      await this.sleep(
        Math.min(
          backoff(attempt, config.commands.retryBaseMs, config.commands.retryMaxMs),
          Math.max(0, req.deadline - now()),
        ),
      );
    }
    return {
      status: 'expired',
      reason: last.reason,
      detail: `not done before ${new Date(req.deadline).toISOString()}: ${last.detail}`,
    };
  }

  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const wake = () => {
        clearTimeout(timer);
        this.wakeups.delete(wake);
        resolve();
      };
      const timer = setTimeout(wake, ms);
      this.wakeups.add(wake);
    });
  }
}

/** Performs the action; returns the relay state after it, or undefined for a press. */
async function act(c: Connection, action: CommandAction, known: boolean | undefined): Promise<boolean | undefined> {
  if (action === 'press') {
    await c.session.action('press');
    return undefined;
  }
  let target = action === 'on';
  if (action === 'toggle') {
    const current = known ?? (await c.session.basicInfo()).on;
    target = !(current ?? false);
  }
  await c.session.action(target ? 'on' : 'off');
  await verify(c, target);
  return target;
}

/**
 * bot.md "0x01 Execute an Action" answers 01 FF 00 once the action runs, which says nothing of its
 * effect; the state bit the switch reports afterwards does. Basic info ("0x02", bytes 10..11) repeats
 * the broadcast's service data bytes 0..1, whose byte 1 bit 6 is the switch-mode state, on the link
 * already open. Only a definite reading counts: in press mode there is no state to check, and a read
 * that fails (busy, no answer, link lost) leaves the command as the action's answer said, never
 * retried, since the action itself took place.
 */
async function verify(c: Connection, target: boolean): Promise<void> {
  let info: switchbot.BasicInfo;
  try {
    info = await c.session.basicInfo();
  } catch {
    return;
  }
  if (info.mode !== 'switch' || info.on === undefined) return;
  // An inverted switch reports the state bit the other way round (bot.md, act mode bits 3:0).
  if (info.on !== (target !== info.inverse)) throw new NoEffectError(info.on);
}

function classify(err: unknown): { reason: FailureReason; detail: string } {
  const detail = (err as Error).message;
  if (err instanceof SwitchStatusError && err.status === 'busy') return { reason: 'busy', detail };
  if (err instanceof BleError) {
    if (err.code === 'BLE_TIMEOUT') return { reason: 'timeout', detail };
    if (err.code === 'BLE_NOT_FOUND' || err.code === 'BLE_CONNECT_FAILED' || err.code === 'BLE_DISCONNECTED')
      return { reason: 'out_of_range', detail };
  }
  return { reason: 'gateway_error', detail };
}

/** Full jitter over an exponential ceiling (so many gateways retrying don't move in lockstep). */
function backoff(attempt: number, baseMs: number, maxMs: number): number {
  return Math.random() * Math.min(maxMs, baseMs * 2 ** attempt);
}
