/**
 * @switchfleet/lab: the production gateway driven against simulated switches. It sits above both
 * `@switchfleet/gateway` and `@switchfleet/firmware-sim` so that the simulator stays the device
 * alone: the release suite, the fleet runner and the `switchfleet` CLI live here.
 */
export * from './suite/index.ts';
export { startFleet, type Fleet, type FleetGateway, type FleetOptions } from './fleet/fleet.ts';
export { startUsage, UsageError, type UsageModel, type UsageOptions } from './fleet/usage.ts';
export { runCli } from './cli/main.ts';
export { LabReleaseSuite, SuiteProcessError, type LabReleaseSuiteOptions } from './release-suite/adapter.ts';
export { startSimGateway, type SimGateway, type SimGatewayOptions } from './sim-gateway.ts';
export { KeyFileError, publicKeyPath, writeSigningKeyPair } from './cli/firmware/keygen.ts';
