export {
  DEVICE_FAILURE_REASONS,
  FleetHealth,
  FleetHealthError,
  type FleetHealthErrorCode,
} from './fleet-health.ts';
