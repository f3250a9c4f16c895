export { createGateway, type Gateway, type GatewayOptions } from './gateway.ts';
export { resolveGatewayConfig, gatewayConfigFromEnv, type GatewayConfig, type GatewayConfigInput } from './config.ts';
export { loadNoble } from './ble/noble-loader.ts';
export type { DeviceRecord } from './devices/registry.ts';
export {
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
// What the lab (release suite, link bench) drives directly: the BLE central and one link, and the
// SMP steps of an update one at a time, so a case can cut power or check state between them.
export { BleError, type BleErrorCode } from './errors.ts';
export { NobleCentral, type NobleCentralOptions } from './ble/noble-central.ts';
export type { BleLink } from './ble/port.ts';
export { SmpClient } from './ota/index.ts';
export { confirmRunning, markForTest, readImageState, resetAndAwaitDrop } from './ota/image-ops.ts';
export { uploadImage, type UploadOptions, type UploadOutcome } from './ota/upload.ts';
