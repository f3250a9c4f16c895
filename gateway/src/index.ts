export { createGateway, type Gateway, type GatewayOptions } from './gateway.ts';
export { resolveGatewayConfig, gatewayConfigFromEnv, type GatewayConfig, type GatewayConfigInput } from './config.ts';
export { loadNoble } from './ble/noble-loader.ts';
export type { DeviceRecord } from './devices/registry.ts';
export {
  checkImage,
  measureUpload,
  ota,
  OtaError,
  OTA_DEFAULTS,
  updateSwitch,
  type OtaErrorCode,
  type OtaFeature,
  type OtaProgress,
  type OtaResult,
  type UpdateSwitchOptions,
} from './ota/index.ts';
// What the lab (release suite, link bench, the gateway's tests against simulated switches) drives
// directly: the BLE central, the connection pool and one link, the SMP steps of an update one at a
// time (so a case can cut power or check state between them), the image check, systemd's notifier.
export { BleError, ConfigError, type BleErrorCode } from './errors.ts';
export { NobleCentral, type NobleCentralOptions } from './ble/noble-central.ts';
export type { BleLink } from './ble/port.ts';
export { ConnectionPool } from './ble/connections.ts';
export { SystemdNotifier } from './ops/systemd.ts';
export { SmpClient } from './ota/index.ts';
export { confirmRunning, markForTest, readImageState, resetAndAwaitDrop } from './ota/image-ops.ts';
export { uploadImage, type UploadOptions, type UploadOutcome } from './ota/upload.ts';
