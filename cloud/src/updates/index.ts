/**
 * The update domain wired for one cloud instance: the job service, its dispatcher, the download
 * URLs' signer, and the tick that sends jobs again, fails those past their deadline and ends the
 * cancels no gateway answered. An idle fleet (no active job) costs the tick one indexed EXISTS.
 */
import { randomBytes } from 'node:crypto';
import type { Logger } from 'pino';
import type { CommandPublisher } from '../commands/dispatch.ts';
import type { Db } from '../db/database.ts';
import type { EventBus } from '../events/bus.ts';
import { runEvery } from '../periodic.ts';
import type { ReleaseService } from '../releases/releases.ts';
import { DEFAULT_REDELIVER_AFTER_MS, UpdateDispatcher, type UpdateDispatchOptions } from './dispatch.ts';
import { UpdateService } from './jobs.ts';
import { DownloadSigner } from './signed-url.ts';

export interface UpdateOptions extends UpdateDispatchOptions {
  /**
   * The secret download URLs are signed with (≥ 32 bytes). Instances behind one load balancer must
   * share it; without it each process makes its own, and only that process answers its URLs.
   */
  downloadSecret?: Buffer | undefined;
  /** How often deadlines, silent jobs and unanswered cancels are looked at; default 1000 ms. */
  updateTickMs?: number | undefined;
}

export interface UpdateDomain {
  updates: UpdateService;
  dispatcher: UpdateDispatcher;
  signer: DownloadSigner;
  /** Starts the tick; returns its stop function. */
  start(logger: Logger): () => Promise<void>;
}

export function createUpdates(
  deps: { db: Db; bus: EventBus; releases: ReleaseService; publisher: CommandPublisher; logger: Logger },
  options: UpdateOptions = {},
): UpdateDomain {
  const signer = new DownloadSigner(options.downloadSecret ?? randomBytes(32));
  const dispatcher = new UpdateDispatcher(deps.db, deps.bus, deps.publisher, signer, deps.logger, options);
  const updates = new UpdateService(deps.db, deps.bus, deps.releases, dispatcher);
  return {
    updates,
    dispatcher,
    signer,
    start(logger) {
      const stop = runEvery(
        options.updateTickMs ?? 1000,
        async () => {
          if (!(await updates.anyActive())) return;
          await updates.expireDue();
          await updates.endUnansweredCancels(options.redeliverAfterMs ?? DEFAULT_REDELIVER_AFTER_MS);
          await dispatcher.redeliverSilent();
        },
        logger,
        'update tick',
      );
      return async () => stop();
    },
  };
}

export { UpdateService, DEFAULT_UPDATE_DEADLINE_MS, type CreateUpdateOptions } from './jobs.ts';
export { UpdateDispatcher } from './dispatch.ts';
export { DownloadSigner, deriveDownloadSecret, firmwarePath } from './signed-url.ts';
export type { UpdateJobRecord } from './record.ts';
export * from './errors.ts';
