export { measureUpload, type MeasureUploadOptions, type UploadMeasurement } from './bench.ts';
export { checkImage, type ImageCheck } from './check.ts';
export { OtaError, type OtaErrorCode } from './errors.ts';
export { ota, type OtaFeature, type OtaFeatureOptions, type OtaUpdateOptions } from '../features/ota.ts';
export type { OtaPhase, OtaProgress } from './progress.ts';
export { SmpClient } from './smp-client.ts';
export { OTA_DEFAULTS, type OtaResult, type OtaTimeouts, type UpdateSwitchOptions } from './options.ts';
export { updateSwitch } from './update.ts';
