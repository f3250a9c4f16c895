/** Typed domain errors. Callers branch on `code`; the HTTP layer maps codes to statuses. */
export type CloudErrorCode =
  | 'EMAIL_TAKEN'
  | 'INVALID_INPUT'
  | 'NOT_FOUND'
  | 'GATEWAY_EXISTS'
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

/** Every problem found in the environment at once, one per line, each naming its variable. */
export class ConfigError extends CloudError {
  constructor(readonly issues: readonly { variable: string; message: string }[]) {
    super('CONFIG_INVALID', `invalid configuration:\n${issues.map((i) => `  ${i.variable}: ${i.message}`).join('\n')}`, issues[0]?.variable);
  }
}
