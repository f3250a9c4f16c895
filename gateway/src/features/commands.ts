/**
 * Commands from the cloud. Every command id ends in exactly one terminal result, stored in the
 * outbox with its own sequence number and published from there. A command is acknowledged to the
 * broker only once it is durably taken, so a crash hands it to the next run instead of losing it; a
 * redelivered id (QoS 1 redelivery, a retry, a replay after restart) runs once and is answered again
 * with the very same result (same seq, which the cloud dedupes).
 */
import { encodePayload, type CommandRequest, type CommandResult } from '@switchfleet/protocol';
import type { GatewayDeps } from '../deps.ts';
import type { HealthMonitor } from '../health/health.ts';
import { CommandHandedBack, type CommandRunner, type Outcome } from './command-runner.ts';
import type { Feature } from './feature.ts';

export interface CommandsDeps extends Pick<GatewayDeps, 'cloud' | 'outbox' | 'log' | 'registry' | 'now'> {
  runner: CommandRunner;
  health: Pick<HealthMonitor, 'error'>;
}

export function commands(deps: CommandsDeps): Feature {
  const { cloud, outbox, runner, log, registry } = deps;
  const running = new Map<string, Promise<CommandResult | undefined>>();
  let stopping = false;

  const store = (
    address: string,
    cmd: Pick<CommandRequest, 'commandId' | 'traceparent'>,
    outcome: Outcome,
  ): CommandResult =>
    outbox.put('commandResult', address, (seq) => {
      const result: CommandResult = { v: 1, seq, ts: new Date().toISOString(), commandId: cmd.commandId, ...outcome };
      if (cmd.traceparent) result.traceparent = cmd.traceparent;
      return result;
    }).value;

  /** Answers a redelivery with the result already stored; best effort, never awaited in the intake. */
  const answerAgain = (address: string, result: CommandResult) => {
    if (!cloud.connected) return; // the stored original is still in (or went through) the outbox
    cloud.publishRaw('commandResult', address, encodePayload('commandResult', result)).catch((err: unknown) => {
      log.debug({ commandId: result.commandId, err: (err as Error).message }, 'repeated result not sent');
    });
  };

  const start = (cmd: CommandRequest, address: string) => {
    const started = deps.now();
    const task = (async (): Promise<CommandResult | undefined> => {
      try {
        const req = {
          commandId: cmd.commandId,
          action: cmd.action,
          deadline: Date.parse(cmd.expiresAt),
          ...(cmd.traceparent ? { traceparent: cmd.traceparent } : {}),
        };
        const outcome = registry.isRemoved(address)
          ? ({
              status: 'failed',
              reason: 'unknown_device',
              detail: `switch ${address} was removed from this gateway`,
            } as const)
          : await runner.run(req, address);
        const result = store(address, cmd, outcome);
        if (result.status !== 'succeeded')
          deps.health.error(`command ${cmd.commandId} ${result.status} (${result.reason}): ${result.detail ?? ''}`);
        log.info(
          {
            commandId: cmd.commandId,
            traceparent: cmd.traceparent,
            address,
            action: cmd.action,
            status: result.status,
            reason: result.reason,
            ms: deps.now() - started,
          },
          'command done',
        );
        return result;
      } catch (err) {
        if (err instanceof CommandHandedBack) {
          log.info(
            { commandId: cmd.commandId, traceparent: cmd.traceparent, address },
            'command handed back for the next start',
          );
          return undefined;
        }
        log.error({ commandId: cmd.commandId, traceparent: cmd.traceparent, err }, 'command failed inside the gateway');
        deps.health.error(`command ${cmd.commandId}: ${(err as Error).message}`);
        return store(address, cmd, {
          status: 'failed',
          reason: 'gateway_error',
          detail: (err as Error).message.slice(0, 512),
        });
      } finally {
        running.delete(cmd.commandId);
      }
    })();
    running.set(cmd.commandId, task);
  };

  const intake = async (cmd: CommandRequest, address: string) => {
    const done = outbox.resultOf(cmd.commandId);
    if (done) return answerAgain(done.address, done.result);
    const inProgress = running.get(cmd.commandId);
    if (inProgress) {
      void inProgress.then((r) => r && answerAgain(address, r));
      return;
    }
    await outbox.takeCommand(address, cmd);
    // While stopping, a command is still taken (and acknowledged) but left for the next start.
    if (!stopping) start(cmd, address);
  };

  const invalid = async (commandId: string, address: string, reason: string) => {
    if (outbox.resultOf(commandId) || running.has(commandId)) return;
    store(
      address,
      { commandId },
      { status: 'failed', reason: 'unsupported', detail: `invalid command: ${reason}`.slice(0, 512) },
    );
  };

  return {
    name: 'commands',
    start() {
      cloud.onCommand(intake, invalid);
      // Commands taken before a crash or a stop that have no result yet run now (or expire).
      for (const { address, cmd } of outbox.takenCommands()) if (!running.has(cmd.commandId)) start(cmd, address);
    },
    async stop() {
      stopping = true;
      await runner.stop();
      await Promise.allSettled([...running.values()]);
    },
  };
}
