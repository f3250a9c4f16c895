/**
 * The release domain's typed errors. Each code has the HTTP status its route answers with
 * (RELEASE_ERROR_STATUS), so the one error handler maps them without knowing the domain.
 */

/** An image refused on upload: what is wrong with it. Nothing of it is stored. */
export type ImageDefectCode =
  | 'MALFORMED'
  | 'BAD_HASH'
  | 'BAD_SIGNATURE'
  | 'UNKNOWN_KEY'
  | 'UNKNOWN_HARDWARE'
  | 'DOWNGRADE';

export type ReleaseErrorCode =
  | ImageDefectCode
  | 'DUPLICATE'
  | 'TOO_LARGE'
  | 'RELEASE_NOT_PASSED'
  | 'RELEASE_REVOKED'
  | 'RELEASE_STATE'
  | 'KEY_EXISTS'
  | 'BAD_KEY'
  | 'RANGE_NOT_SATISFIABLE';

/** RFC 9110 §15.5: 422 for content understood but refused, 409 for a conflict with the current state. */
const RELEASE_ERROR_STATUS: Readonly<Record<ReleaseErrorCode, number>> = {
  MALFORMED: 422,
  BAD_HASH: 422,
  BAD_SIGNATURE: 422,
  UNKNOWN_KEY: 422,
  UNKNOWN_HARDWARE: 422,
  DOWNGRADE: 422,
  DUPLICATE: 409,
  TOO_LARGE: 413,
  RELEASE_NOT_PASSED: 409,
  RELEASE_REVOKED: 409,
  RELEASE_STATE: 409,
  KEY_EXISTS: 409,
  BAD_KEY: 422,
  RANGE_NOT_SATISFIABLE: 416,
};

export class ReleaseError extends Error {
  constructor(
    readonly code: ReleaseErrorCode,
    message: string,
    /** The input at fault, when there is one. */
    readonly field?: string,
  ) {
    super(message);
    this.name = new.target.name;
  }

  /** The status the API answers with; its one error handler reads it as it does any error's. */
  get statusCode(): number {
    return RELEASE_ERROR_STATUS[this.code];
  }
}

export class ImageDefectError extends ReleaseError {
  constructor(
    code: ImageDefectCode,
    message: string,
    /** The verifier's own finer code when it differs (UNSIGNED, NO_KEYHASH, TRUNCATED, …). */
    readonly detail?: string,
  ) {
    super(code, message, 'image');
  }
}

/** The same image (by sha256) is already a release. */
export class DuplicateReleaseError extends ReleaseError {
  constructor(readonly releaseId: string) {
    super('DUPLICATE', `this image is already release ${releaseId}`, 'image');
  }
}

export class ImageTooLargeError extends ReleaseError {
  constructor(readonly limitBytes: number) {
    super('TOO_LARGE', `an image may have at most ${limitBytes} bytes`, 'image');
  }
}

/** The gate: no passing report for exactly this image. */
export class ReleaseNotPassedError extends ReleaseError {
  constructor(releaseId: string, state: string) {
    super('RELEASE_NOT_PASSED', `release ${releaseId} is ${state}: only a release whose tests passed may ship`);
  }
}

export class ReleaseRevokedError extends ReleaseError {
  constructor(releaseId: string) {
    super('RELEASE_REVOKED', `release ${releaseId} was revoked and may not ship`);
  }
}

/** A state change the release's current state does not allow (revoke a failed one, retest a passed one). */
export class ReleaseStateError extends ReleaseError {
  constructor(releaseId: string, state: string, wanted: string) {
    super('RELEASE_STATE', `release ${releaseId} is ${state}; ${wanted}`);
  }
}

export class SigningKeyExistsError extends ReleaseError {
  constructor(readonly keyId: string) {
    super('KEY_EXISTS', `signing key ${keyId} is already trusted`, 'publicKeyPem');
  }
}

export class BadSigningKeyError extends ReleaseError {
  constructor(message: string) {
    super('BAD_KEY', message, 'publicKeyPem');
  }
}

/** RFC 9110 §15.5.17: the range starts past the end of the image. */
export class RangeNotSatisfiableError extends ReleaseError {
  constructor(readonly size: number) {
    super('RANGE_NOT_SATISFIABLE', `the image has ${size} bytes`, 'range');
  }
}
