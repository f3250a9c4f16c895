/** Public surface of the cloud workspace: the composition root, configuration, services and errors. */
export {
  createCloud,
  type Cloud,
  type CloudConfig,
  type CloudServices,
  type CloudSettings,
  type BrokerInfo,
} from './cloud.ts';
export { cloudSettings, DEFAULT_OPERATOR_PASSWORD, parseConfig, type AppConfig } from './config.ts';
export * from './errors.ts';
export { rowsOf, type Database, type Db } from './db/database.ts';
export { openDatabase, type DatabaseOptions } from './db/open.ts';
export { AccountService, MIN_PASSWORD_LENGTH, normalizeEmail, type User } from './accounts/accounts.ts';
export {
  OperatorService,
  type NewOperator,
  type Operator,
  type OperatorIdentity,
} from './accounts/operators.ts';
export { LoginService, type LoginContext, type LoginOutcome } from './accounts/login.ts';
export {
  AuditService,
  MAX_AUDIT_PAGE,
  type AuditActor,
  type AuditEntry,
  type AuditPage,
  type AuditQuery,
  type AuditRecord,
  type AuditTarget,
} from './audit/audit.ts';
export { operatorRoles, auditOutcomes, type OperatorRole, type AuditOutcome } from './db/schema.ts';
export { HomeService, type Home, type HomeMembership, type Member, type Room } from './accounts/homes.ts';
export { InvitationService, type Invitation } from './accounts/invitations.ts';
export {
  ScheduleService,
  SCHEDULE_ACTIONS,
  nextOccurrence,
  type Schedule,
  type ScheduleAction,
} from './commands/schedules.ts';
export { GatewayService, newGatewayId, type Gateway, type GatewayCredentials } from './devices/gateways.ts';
export { DeviceService, type DeviceView, type DeviceRoute } from './devices/devices.ts';
export {
  SessionService,
  DEFAULT_REFRESH_TTL_MS,
  type IssuedRefreshToken,
  type SessionKind,
} from './accounts/sessions.ts';
export { ShadowService, type Shadow } from './devices/shadow.ts';
export {
  RateLimitService,
  type LimitRule,
  type LimitedKey,
  type WindowCount,
} from './accounts/rate-limits.ts';
export {
  EventBus,
  type CloudEvent,
  type StateEvent,
  type CommandEvent,
  type UpdateEvent,
  type RolloutEvent,
  type HomeEvent,
  isHomeEvent,
  type MembershipChange,
} from './events/bus.ts';
export { createMetrics, type CloudMetrics } from './metrics.ts';
export {
  CommandService,
  DEFAULT_COMMAND_TTL_MS,
  MAX_COMMAND_TTL_MS,
  type CommandPublisher,
  type CreateCommandOptions,
} from './commands/commands.ts';
export { isTerminal, type CommandRecord, type CommandRowStatus } from './commands/record.ts';
export { IngestService, INGEST_FILTERS, type IngestStats } from './ingest/ingest.ts';
export { prebuiltIngestWorker, sourceIngestWorker, type IngestWorkerEntry } from './ingest/worker-entry.ts';
export { HealthService, type HealthReport } from './devices/health.ts';
export {
  FleetService,
  MAX_FLEET_PAGE,
  type FleetDevice,
  type FleetDeviceQuery,
  type FleetGateway,
  type FleetGatewayDetail,
  type FleetGatewayQuery,
  type FleetPage,
  type FleetUpdateSummary,
} from './devices/fleet.ts';
export {
  ensureDemo,
  ensureDemoOperator,
  DemoSeedError,
  type DemoAccount,
  type DemoOperatorSeed,
  type DemoSeed,
} from './accounts/demo.ts';
export {
  writeMosquittoFiles,
  cloudAccountFromUrl,
  type BrokerAccount,
  type MosquittoFilesResult,
} from './broker/mosquitto-files.ts';
export { hashForMosquitto } from './broker/mosquitto-passwd.ts';
export { newSecret } from './secrets.ts';
export { mosquittoListeners, mosquittoSettings, MOSQUITTO_FILES } from './broker/mosquitto-settings.ts';
export {
  DEFAULT_HARDWARE_MODELS,
  DEFAULT_RELEASE_MAX_BYTES,
  ReleaseError,
  ReleaseService,
  SigningKeyService,
  TESTER_DEFAULTS,
  type ImageDefectCode,
  type Release,
  type ReleaseErrorCode,
  type ReleaseOptions,
  type ReleaseReport,
  type ReleaseSuitePort,
  type SigningKey,
  type SuiteCaseResult,
  type SuiteRunOptions,
  type SuiteRunResult,
} from './releases/index.ts';
export {
  DeviceBusyError,
  DeviceUpdatingError,
  DownloadSigner,
  deriveDownloadSecret,
  UpdateError,
  UpdateService,
  firmwarePath,
  type UpdateErrorCode,
  type UpdateJobRecord,
} from './updates/index.ts';
export { DEVICE_FAILURE_REASONS, FleetHealth, FleetHealthError } from './fleet-health/index.ts';
export {
  createRollouts,
  RolloutService,
  RolloutEngine,
  RolloutError,
  RolloutSpecSchema,
  COUNT_KEYS,
  NO_HEALTH_DATA,
  resolveSpec,
  type RolloutOptions,
  type RolloutView,
  type DevicePage,
  type HealthSource,
  type HealthSample,
  type RolloutPlan,
  type RolloutSpec,
  type ResolvedRolloutSpec,
} from './rollouts/index.ts';
