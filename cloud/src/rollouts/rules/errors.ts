/**
 * The rollout domain's typed errors. Each carries the HTTP status its route answers with (RFC 9110
 * §15.5: 404 unknown, 409 a conflict with the current state, 422 a request understood but refused).
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
    readonly details?: Record<string, unknown>,
  ) {
    super(message);
    this.name = new.target.name;
    this.statusCode = STATUS[code];
  }
}
