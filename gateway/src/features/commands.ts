/**
 * Runs commands from the cloud. Every command id ends in exactly one terminal result, published back;
 * a redelivered id (QoS 1 redelivery, a retry) runs once and gets the same result again. A switch that
 * cannot be reached is retried with jittered, capped backoff until the command's TTL, then the
 * command expires with the reason of the last failure.
 */
import type { CommandRequest, CommandResult, FailureReason } from '@switchfleet/protocol';
import type { switchbot } from '@switchfleet/protocol';
import type { Connection } from '../ble/connections.ts';
import type { Feature, GatewayDeps } from '../deps.ts';
import { BleError, SwitchStatusError } from '../errors.ts';

type Outcome = Pick<CommandResult, 'status' | 'reason' | 'detail' | 'state'>;

/** Switch answers that retrying cannot fix end the command at once. */
const finalStatus: Partial<Record<switchbot.StatusName | 'unknown', FailureReason>> = {
  lowBattery: 'low_battery',
  unsupported: 'unsupported',
  error: 'device_error',
  versionIncompatible: 'unsupported',
  encrypted: 'unsupported',
  passwordError: 'unsupported',
  unknown: 'device_error',
};

export function commands(deps: GatewayDeps): Feature {
  const { cloud, registry, pool, log, now, config, nextSeq } = deps;
  const seen = new Map<string, Promise<CommandResult>>();
  let stopping = false;

  const remember = (id: string, result: Promise<CommandResult>) => {
    seen.set(id, result);
    if (seen.size > config.commands.rememberIds) seen.delete(seen.keys().next().value!);
  };

  const execute = async (cmd: CommandRequest, address: string): Promise<Outcome> => {
    const deadline = Date.parse(cmd.expiresAt);
    let attempt = 0;
    let last: { reason: FailureReason; detail: string } = { reason: 'out_of_range', detail: 'switch not heard by this gateway' };
    while (!stopping && now() < deadline) {
      const rec = registry.get(address);
      if (rec?.online) {
        try {
          const on = await pool.withConnection(address, 'command', (c) => act(c, cmd.action, rec.on));
          if (on !== undefined) registry.update(address, { on }, 'state');
          return on === undefined ? { status: 'succeeded' } : { status: 'succeeded', state: { on } };
        } catch (err) {
          if (err instanceof SwitchStatusError && finalStatus[err.status as switchbot.StatusName]) {
            return { status: 'failed', reason: finalStatus[err.status as switchbot.StatusName]!, detail: err.message };
          }
          last = classify(err);
          log.debug({ commandId: cmd.commandId, address, attempt, err: (err as Error).message }, 'command attempt failed');
        }
      }
      attempt += 1;
      await sleep(Math.min(backoff(attempt, config.commands.retryBaseMs, config.commands.retryMaxMs), Math.max(0, deadline - now())));
    }
    return { status: 'expired', reason: last.reason, detail: `not done before ${cmd.expiresAt}: ${last.detail}` };
  };

  const handle = (cmd: CommandRequest, address: string) => {
    const already = seen.get(cmd.commandId);
    if (already) {
      // Same id again: answer with the one result it has (or will have); never run it twice.
      void already.then((result) => publish(address, result));
      return;
    }
    const started = now();
    const result = (async (): Promise<CommandResult> => {
      const outcome: Outcome =
        Date.parse(cmd.expiresAt) <= now()
          ? { status: 'expired', reason: 'expired', detail: 'arrived after its expiry' }
          : await execute(cmd, address);
      const result: CommandResult = { v: 1, seq: nextSeq(), ts: new Date().toISOString(), commandId: cmd.commandId, ...outcome };
      if (cmd.traceparent) result.traceparent = cmd.traceparent;
      log.info({ commandId: cmd.commandId, traceparent: cmd.traceparent, address, action: cmd.action, status: result.status, reason: result.reason, ms: now() - started }, 'command done');
      return result;
    })();
    remember(cmd.commandId, result);
    void result.then((r) => publish(address, r));
  };

  const publish = (address: string, result: CommandResult) =>
    cloud.publish('commandResult', address, result).catch((err: unknown) => {
      log.error({ commandId: result.commandId, err: (err as Error).message }, 'command result not delivered');
    });

  return {
    name: 'commands',
    start() {
      cloud.onCommand(handle);
    },
    async stop() {
      stopping = true;
      await Promise.allSettled(seen.values());
    },
  };
}

/** Performs the action; returns the relay state after it, or undefined for a press. */
async function act(c: Connection, action: CommandRequest['action'], known: boolean | undefined): Promise<boolean | undefined> {
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
  return target;
}

function classify(err: unknown): { reason: FailureReason; detail: string } {
  const detail = (err as Error).message;
  if (err instanceof SwitchStatusError && err.status === 'busy') return { reason: 'busy', detail };
  if (err instanceof BleError) {
    if (err.code === 'BLE_TIMEOUT') return { reason: 'timeout', detail };
    if (err.code === 'BLE_NOT_FOUND') return { reason: 'out_of_range', detail };
    if (err.code === 'BLE_CONNECT_FAILED' || err.code === 'BLE_DISCONNECTED') return { reason: 'out_of_range', detail };
  }
  return { reason: 'gateway_error', detail };
}

/** Full jitter over an exponential ceiling (so many gateways retrying don't move in lockstep). */
function backoff(attempt: number, baseMs: number, maxMs: number): number {
  return Math.random() * Math.min(maxMs, baseMs * 2 ** attempt);
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
