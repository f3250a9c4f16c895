export { DEVICE_FAILURE_REASONS, FleetHealth, FleetHealthError } from './fleet-health.ts';
