import type { firmware } from '@switchfleet/protocol';

/** Why an update of one switch did not succeed; the terminal result's `reason`. */
export type OtaErrorCode =
  /** The image itself, checked before a byte is sent (protocol VerifyCode), or refused by the switch for the same cause. */
  | firmware.VerifyCode
  /** A configured trusted key is not an Ed25519 public key PEM. */
  | 'BAD_TRUSTED_KEY'
  /** The switch's hardware id or running version could not be read from Device Information. */
  | 'IDENTITY_UNAVAILABLE'
  /** The switch offers no SMP service: it cannot be updated over the air. */
  | 'NO_SMP'
  /** The switch refused a request with an SMP error not covered by a verify code. */
  | 'DEVICE_REFUSED'
  /** The switch answered something that does not follow SMP. */
  | 'PROTOCOL'
  /** The switch could not be reached, or the link kept failing, within the retry budget. */
  | 'UNREACHABLE'
  /** The switch did not come back after its reset within the reboot timeout. */
  | 'NOT_BACK'
  /** The switch came back on its old image: MCUboot reverted the update (crash, power loss, …). */
  | 'REVERTED'
  /** The new image ran but refused to be confirmed (its self-test failed); the switch was reset to revert it. */
  | 'CONFIRM_DENIED'
  /** The switch accepted the confirm but still reports the image unconfirmed. */
  | 'NOT_CONFIRMED'
  /** Another update of the same switch is in progress. */
  | 'BUSY'
  | 'ABORTED'
  /** The update failed on a fault of the gateway's own code, not the switch's or the image's. */
  | 'INTERNAL';

export class OtaError extends Error {
  constructor(
    readonly code: OtaErrorCode,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'OtaError';
  }
}
