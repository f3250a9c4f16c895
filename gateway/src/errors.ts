/** Typed errors of the gateway. Each code maps to a command failure reason where one applies. */
export type BleErrorCode =
  | 'BLE_TIMEOUT'
  | 'BLE_CONNECT_FAILED'
  | 'BLE_DISCONNECTED'
  | 'BLE_NOT_FOUND'
  | 'BLE_PROFILE'
  | 'BLE_NOT_READY';

export class BleError extends Error {
  constructor(
    readonly code: BleErrorCode,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

export class ConfigError extends Error {
  readonly code = 'CONFIG_INVALID';
}

/** A switch answered with a non-ok status byte (SwitchBotAPI-BLE, response status table). */
export class SwitchStatusError extends Error {
  readonly code = 'SWITCH_STATUS';
  constructor(readonly status: string) {
    super(`switch answered status ${status}`);
  }
}
