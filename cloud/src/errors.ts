/** Typed domain errors. Callers branch on `code`; the HTTP layer maps codes to statuses. */
export type CloudErrorCode =
  | 'EMAIL_TAKEN'
  | 'INVALID_INPUT'
  | 'NOT_FOUND'
  | 'GATEWAY_EXISTS'
  | 'IDEMPOTENCY_KEY_REUSED'
  | 'VERSION_CONFLICT'
  | 'FORBIDDEN'
  | 'ALREADY_MEMBER'
  | 'NAME_TAKEN'
  | 'INVALID_REFRESH_TOKEN'
  | 'SCHEDULE_TOO_FREQUENT'
  | 'LAST_ADMIN'
  | 'CONFIG_INVALID';

export class CloudError extends Error {
  constructor(
    readonly code: CloudErrorCode,
    message: string,
    /** The input field at fault, when there is one. */
    readonly field?: string,
  ) {
    super(message);
    this.name = new.target.name;
  }
}

export class EmailTakenError extends CloudError {
  constructor(email: string) {
    super('EMAIL_TAKEN', `an account already exists for ${email}`, 'email');
  }
}

export class InvalidInputError extends CloudError {
  constructor(field: string, message: string) {
    super('INVALID_INPUT', message, field);
  }
}

export class NotFoundError extends CloudError {
  constructor(what: string) {
    super('NOT_FOUND', `${what} not found`);
  }
}

export class GatewayExistsError extends CloudError {
  constructor(gatewayId: string) {
    super('GATEWAY_EXISTS', `gateway ${gatewayId} is already provisioned`, 'gatewayId');
  }
}

/** The same Idempotency-Key was used before for a different request (draft-ietf-httpapi-idempotency-key-header §2.7). */
export class IdempotencyKeyReusedError extends CloudError {
  constructor() {
    super('IDEMPOTENCY_KEY_REUSED', 'this Idempotency-Key was already used for a different request', 'Idempotency-Key');
  }
}

/** An optimistic-concurrency precondition (If-Match version) no longer holds. */
export class VersionConflictError extends CloudError {
  constructor(
    readonly currentVersion: number,
    expected: readonly number[],
  ) {
    const given = expected.length === 0 ? 'no version was given' : `version ${expected.join(' or ')} is stale`;
    super('VERSION_CONFLICT', `${given}; the current version is ${currentVersion}`, 'If-Match');
  }
}

/** The caller can see the resource but its role does not allow the action (a member, not the owner). */
export class ForbiddenError extends CloudError {
  constructor(message: string) {
    super('FORBIDDEN', message);
  }
}

export class AlreadyMemberError extends CloudError {
  constructor() {
    super('ALREADY_MEMBER', 'that person is already a member of this home', 'email');
  }
}

/** Another thing of the same kind in the same scope already has that name (e.g. a room of the home). */
export class NameTakenError extends CloudError {
  constructor(what: string) {
    super('NAME_TAKEN', `another ${what} already has that name`, 'name');
  }
}

/** Unknown, expired, reused or revoked refresh token; one error for all, so none can be told apart. */
export class InvalidRefreshTokenError extends CloudError {
  constructor() {
    super('INVALID_REFRESH_TOKEN', 'the refresh token is not valid', 'refreshToken');
  }
}

/** A schedule whose expression would fire more often than the minimum interval allows. */
export class ScheduleTooFrequentError extends CloudError {
  constructor(readonly minIntervalS: number) {
    const message = `a schedule may fire at most once every ${minIntervalS} s: give the seconds field one value`;
    super('SCHEDULE_TOO_FREQUENT', message, 'cron');
  }
}

/** Disabling this operator would leave the fleet without an active admin, and nobody could manage operators. */
export class LastAdminError extends CloudError {
  constructor() {
    super('LAST_ADMIN', 'the last active admin cannot be disabled: make another admin first');
  }
}

/** Every problem found in the environment at once, one per line, each naming its variable. */
export class ConfigError extends CloudError {
  constructor(readonly issues: readonly { variable: string; message: string }[]) {
    super(
      'CONFIG_INVALID',
      `invalid configuration:\n${issues.map((i) => `  ${i.variable}: ${i.message}`).join('\n')}`,
      issues[0]?.variable,
    );
  }
}

/**
 * A second running instance under one CLOUD_INSTANCE_ID: both would hold one MQTT session and take it
 * from each other at every reconnect. A start-up error, never an answer to a request.
 */
export class InstanceIdInUseError extends Error {
  readonly code = 'INSTANCE_ID_IN_USE';
  constructor(readonly instanceId: string) {
    super(
      `CLOUD_INSTANCE_ID "${instanceId}" is held by another running cloud instance on this database; give each instance its own`,
    );
    this.name = 'InstanceIdInUseError';
  }
}
