export { createGateway, type Gateway, type GatewayOptions } from './gateway.ts';
export { resolveGatewayConfig, gatewayConfigFromEnv, type GatewayConfig, type GatewayConfigInput } from './config.ts';
export { loadNoble } from './ble/noble-loader.ts';
export type { DeviceRecord } from './devices/registry.ts';
export { measureUpload, ota, OtaError, OTA_DEFAULTS, updateSwitch, type OtaErrorCode, type OtaFeature, type OtaProgress, type OtaResult, type UpdateSwitchOptions } from './ota/index.ts';
