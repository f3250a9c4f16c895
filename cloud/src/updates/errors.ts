/**
 * The update domain's typed errors. Each carries the HTTP status its route answers with (RFC 9110
 * §15.5: 409 for a conflict with the current state, 422 for a request understood but refused), so
 * the API's one error handler maps them without knowing the domain.
 */
export type UpdateErrorCode =
  | 'DEVICE_BUSY'
  | 'DEVICE_UPDATING'
  | 'DOWNGRADE'
  | 'HARDWARE_MISMATCH'
  | 'UNKNOWN_RELEASE'
  | 'UPDATE_ENDED';

export class UpdateError extends Error {
  constructor(
    readonly code: UpdateErrorCode,
    readonly statusCode: 409 | 422,
    message: string,
  ) {
    super(message);
    this.name = new.target.name;
  }
}

/** The switch already has an active job; a second one is refused, never queued behind it. */
export class DeviceBusyError extends UpdateError {
  constructor(readonly activeJobId: string) {
    super('DEVICE_BUSY', 409, `the device already has an active update job ${activeJobId}`);
  }
}

/** A user's command to a switch that is being updated: answered at once instead of waiting on the radio. */
export class DeviceUpdatingError extends UpdateError {
  constructor(readonly jobId?: string) {
    super(
      'DEVICE_UPDATING',
      409,
      `the device is being updated${jobId ? ` (job ${jobId})` : ''}; try again when it is done`,
    );
  }
}

export class HardwareMismatchError extends UpdateError {
  constructor(device: string | null, release: string) {
    super('HARDWARE_MISMATCH', 422, `the release is for hardware ${release}, the device is ${device ?? 'unknown'}`);
  }
}

/**
 * An update to a version older than the one the switch runs. Only a rollback rollout may send one
 * (MCUboot swap mode accepts it if the security counter allows); anyone else is refused here, as the
 * gateway would refuse it later.
 */
export class DowngradeError extends UpdateError {
  constructor(running: string, target: string) {
    super(
      'DOWNGRADE',
      409,
      `the device runs ${running}, newer than the release's ${target}; only a rollback may go back`,
    );
  }
}

export class UnknownReleaseError extends UpdateError {
  constructor() {
    super('UNKNOWN_RELEASE', 422, 'no such release');
  }
}

export class UpdateEndedError extends UpdateError {
  constructor(jobId: string, state: string) {
    super('UPDATE_ENDED', 409, `update job ${jobId} already ended ${state}`);
  }
}
