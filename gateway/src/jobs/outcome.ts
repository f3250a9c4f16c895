/** How the ota feature's result of one switch update reads as an update job's result. */
import type { UpdateFailureReason, UpdatePhase } from '@switchfleet/protocol';
import type { OtaErrorCode } from '../ota/errors.ts';
import type { OtaPhase } from '../ota/progress.ts';

const REASONS: Record<OtaErrorCode, UpdateFailureReason> = {
  MALFORMED: 'verify_failed',
  BAD_HASH: 'verify_failed',
  UNSIGNED: 'verify_failed',
  NO_KEYHASH: 'verify_failed',
  SIGNATURE_BEFORE_KEYHASH: 'verify_failed',
  UNKNOWN_KEY: 'verify_failed',
  BAD_SIGNATURE: 'verify_failed',
  WRONG_HARDWARE: 'verify_failed',
  DOWNGRADE: 'verify_failed',
  BAD_TRUSTED_KEY: 'gateway_error',
  IDENTITY_UNAVAILABLE: 'device_error',
  NO_SMP: 'device_error',
  DEVICE_REFUSED: 'device_error',
  PROTOCOL: 'device_error',
  // Unreachable within the retry budget: the job waits for the switch again until its deadline.
  UNREACHABLE: 'timeout',
  NOT_BACK: 'device_error',
  REVERTED: 'reverted',
  // The new image failed its self-test; the ota feature reset the switch so MCUboot reverted it.
  CONFIRM_DENIED: 'reverted',
  NOT_CONFIRMED: 'device_error',
  BUSY: 'busy',
  ABORTED: 'cancelled',
  INTERNAL: 'gateway_error',
};

export function jobReason(code: OtaErrorCode | undefined): UpdateFailureReason {
  return code ? REASONS[code] : 'gateway_error';
}

/** The job phase of an ota phase; checking and done are no phase of their own. */
export function jobPhase(phase: OtaPhase): UpdatePhase | undefined {
  switch (phase) {
    case 'uploading':
    case 'testing':
    case 'rebooting':
    case 'confirming':
      return phase;
    case 'reverting':
      return 'rebooting';
    default:
      return undefined;
  }
}
