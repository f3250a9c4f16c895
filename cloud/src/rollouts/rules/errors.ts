/**
 * The rollout domain's typed errors. Each carries the HTTP status its route answers with, so the API's
 * one error handler maps them without knowing the domain (RFC 9110 §15.5.5 404 for an unknown rollout,
 * §15.5.10 409 for a conflict with the rollout's or a device's current state, and 422 (§15.5.21) for a
 * body that is well-formed JSON but describes no rollout we can run).
 */
export type RolloutErrorCode = 'INVALID_SPEC' | 'NOT_FOUND' | 'INVALID_TRANSITION' | 'DEVICE_IN_ROLLOUT';

const STATUS: Record<RolloutErrorCode, 404 | 409 | 422> = {
  INVALID_SPEC: 422,
  NOT_FOUND: 404,
  INVALID_TRANSITION: 409,
  DEVICE_IN_ROLLOUT: 409,
};

export class RolloutError extends Error {
  readonly statusCode: 404 | 409 | 422;

  constructor(
    readonly code: RolloutErrorCode,
    message: string,
    /** Machine-readable particulars for the client, e.g. which field of the spec is wrong. */
    readonly details?: Record<string, unknown>,
  ) {
    super(message);
    this.name = new.target.name;
    this.statusCode = STATUS[code];
  }
}
