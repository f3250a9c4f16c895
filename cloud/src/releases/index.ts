/**
 * The release domain wired for one cloud instance: trusted keys (seeded from the settings), releases,
 * and, when a suite is plugged in, the tester taking runs from the shared queue.
 */
import { randomBytes } from 'node:crypto';
import type { Logger } from 'pino';
import type { Db } from '../db/database.ts';
import { SigningKeyService } from './keys.ts';
import { ReleaseTestQueue } from './queue.ts';
import { ReleaseService } from './releases.ts';
import type { ReleaseSuitePort } from './suite-port.ts';
import { ReleaseTester, type TesterTiming } from './tester.ts';

/** The simulator's model (firmware-sim SWITCH_DEFAULTS.hardwareId), the one switches are made as. */
export const DEFAULT_HARDWARE_MODELS: readonly string[] = ['sf-sw1-r1'];
export const DEFAULT_RELEASE_MAX_BYTES = 1024 * 1024;

export interface ReleaseOptions {
  /** SPKI PEM keys trusted from the start, added once (a revoked one stays revoked). */
  initialTrustedKeys?: readonly string[] | undefined;
  /** Hardware ids releases may be built for; default DEFAULT_HARDWARE_MODELS. */
  hardwareModels?: readonly string[] | undefined;
  /** Largest image accepted on upload; default DEFAULT_RELEASE_MAX_BYTES. */
  releaseMaxBytes?: number | undefined;
  /** The release test suite; without it releases wait in `testing` (nothing passes untested). */
  releaseSuite?: ReleaseSuitePort | undefined;
  releaseTesting?: TesterTiming | undefined;
  /** Names this instance's leases (with a random suffix, so a restart is a new owner). */
  instanceId?: string | undefined;
}

export interface ReleaseDomain {
  signingKeys: SigningKeyService;
  releases: ReleaseService;
  /** Starts the tester (when a suite is given); returns its stop function. */
  start(): () => Promise<void>;
}

export async function createReleases(db: Db, options: ReleaseOptions, logger: Logger): Promise<ReleaseDomain> {
  const signingKeys = new SigningKeyService(db);
  await signingKeys.seed(options.initialTrustedKeys ?? []);
  let tester: ReleaseTester | undefined;
  const releases = new ReleaseService(
    db,
    signingKeys,
    {
      hardwareModels: options.hardwareModels ?? DEFAULT_HARDWARE_MODELS,
      maxImageBytes: options.releaseMaxBytes ?? DEFAULT_RELEASE_MAX_BYTES,
    },
    () => tester?.kick(),
  );
  return {
    signingKeys,
    releases,
    start() {
      if (!options.releaseSuite) {
        logger.warn('no release test suite is configured: uploaded releases stay in testing');
        return async () => {};
      }
      tester = new ReleaseTester(
        {
          queue: new ReleaseTestQueue(db),
          keys: signingKeys,
          suite: options.releaseSuite,
          owner: `${options.instanceId ?? 'cloud'}-${randomBytes(4).toString('hex')}`,
          logger: logger.child({ part: 'release-tester' }),
        },
        options.releaseTesting,
      );
      return tester.start();
    },
  };
}

export { SigningKeyService, type SigningKey } from './keys.ts';
export { ReleaseService, type Release, type ReleaseReport } from './releases.ts';
export * from './errors.ts';
export type * from './suite-port.ts';
export { ReleaseTestQueue, type ClaimedRun } from './queue.ts';
export { TESTER_DEFAULTS, type TesterTiming } from './tester.ts';
