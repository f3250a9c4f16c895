/**
 * The cloud's relational model. One schema for both drivers (PGlite and node-postgres); the SQL in the
 * repository's top-level `migrations/` is generated from this file with `npm run db:generate`.
 *
 * Status-like columns are text with CHECK constraints rather than PostgreSQL enums: adding a value to
 * an enum cannot run inside the migrator's transaction, a CHECK can be replaced in one.
 */
import { sql } from 'drizzle-orm';
import {
  bigint,
  boolean,
  check,
  customType,
  index,
  integer,
  jsonb,
  pgTable,
  primaryKey,
  text,
  timestamp,
  uniqueIndex,
  uuid,
} from 'drizzle-orm/pg-core';

const createdAt = () => timestamp('created_at', { withTimezone: true }).notNull().defaultNow();

export const users = pgTable('users', {
  id: uuid('id').primaryKey().defaultRandom(),
  email: text('email').notNull().unique(),
  passwordHash: text('password_hash').notNull(),
  createdAt: createdAt(),
});

export const operatorRoles = ['operator', 'admin'] as const;
export type OperatorRole = (typeof operatorRoles)[number];

/**
 * The fleet's operators, a table apart from the households' users: no route turns one into the
 * other. `operator` reads the fleet and runs releases and updates; `admin` also manages signing keys
 * and operators. A disabled operator keeps its row (the audit log names it) but cannot log in.
 */
export const operators = pgTable(
  'operators',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    email: text('email').notNull().unique(),
    passwordHash: text('password_hash').notNull(),
    role: text('role', { enum: operatorRoles }).notNull(),
    disabledAt: timestamp('disabled_at', { withTimezone: true }),
    createdAt: createdAt(),
  },
  (t) => [check('operators_role_check', sql`${t.role} in ('operator', 'admin')`)],
);

export const auditOutcomes = ['success', 'failure', 'denied'] as const;
export type AuditOutcome = (typeof auditOutcomes)[number];

/**
 * Append-only log of operator actions: who (the operator, or the cloud itself for what it does on
 * its own), what (a dotted action name), on what (target type and id), how it ended, when. The id
 * comes from a sequence, so it orders entries and serves as the paging cursor. The actor's email is
 * kept as it was, so an entry still reads right after the operator is disabled.
 */
export const auditLog = pgTable(
  'audit_log',
  {
    id: bigint('id', { mode: 'number' }).primaryKey().generatedAlwaysAsIdentity(),
    at: timestamp('at', { withTimezone: true }).notNull().defaultNow(),
    actorId: uuid('actor_id').references(() => operators.id),
    actorEmail: text('actor_email'),
    action: text('action').notNull(),
    targetType: text('target_type'),
    targetId: text('target_id'),
    outcome: text('outcome', { enum: auditOutcomes }).notNull(),
    detail: jsonb('detail').$type<Record<string, unknown>>(),
  },
  (t) => [
    index('audit_log_actor_idx').on(t.actorId, t.id),
    index('audit_log_action_idx').on(t.action, t.id),
    index('audit_log_target_idx').on(t.targetType, t.targetId, t.id),
    index('audit_log_at_idx').on(t.at),
    check('audit_log_outcome_check', sql`${t.outcome} in ('success', 'failure', 'denied')`),
  ],
);

export const homes = pgTable('homes', {
  id: uuid('id').primaryKey().defaultRandom(),
  name: text('name').notNull(),
  ownerId: uuid('owner_id')
    .notNull()
    .references(() => users.id),
  /** IANA time zone of the home; a rollout's maintenance windows are read in it. */
  timeZone: text('time_zone').notNull().default('UTC'),
  createdAt: createdAt(),
});

export const homeMembers = pgTable(
  'home_members',
  {
    homeId: uuid('home_id')
      .notNull()
      .references(() => homes.id, { onDelete: 'cascade' }),
    userId: uuid('user_id')
      .notNull()
      .references(() => users.id, { onDelete: 'cascade' }),
    role: text('role', { enum: ['owner', 'member'] }).notNull(),
  },
  (t) => [
    primaryKey({ columns: [t.homeId, t.userId] }),
    // Listing "my devices" starts from the user, so the user must lead an index.
    index('home_members_user_idx').on(t.userId),
    check('home_members_role_check', sql`${t.role} in ('owner', 'member')`),
  ],
);

export const homeInvitations = pgTable(
  'home_invitations',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    homeId: uuid('home_id')
      .notNull()
      .references(() => homes.id, { onDelete: 'cascade' }),
    /** Normalized (lower-case) email of the invited person; only that account can accept. */
    email: text('email').notNull(),
    invitedBy: uuid('invited_by')
      .notNull()
      .references(() => users.id, { onDelete: 'cascade' }),
    status: text('status', { enum: ['pending', 'accepted', 'revoked'] })
      .notNull()
      .default('pending'),
    createdAt: createdAt(),
    acceptedAt: timestamp('accepted_at', { withTimezone: true }),
  },
  (t) => [
    index('home_invitations_email_idx').on(t.email),
    uniqueIndex('home_invitations_pending_uq').on(t.homeId, t.email).where(sql`${t.status} = 'pending'`),
    check('home_invitations_status_check', sql`${t.status} in ('pending', 'accepted', 'revoked')`),
  ],
);

export const rooms = pgTable(
  'rooms',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    homeId: uuid('home_id')
      .notNull()
      .references(() => homes.id, { onDelete: 'cascade' }),
    name: text('name').notNull(),
    createdAt: createdAt(),
  },
  (t) => [uniqueIndex('rooms_home_name_uq').on(t.homeId, t.name)],
);

export const gateways = pgTable(
  'gateways',
  {
    /** The MQTT gateway id: the topic level under sf/v1/gw/ and the MQTT username. */
    id: text('id').primaryKey(),
    /** Null while provisioned but not yet claimed into a home. */
    homeId: uuid('home_id').references(() => homes.id),
    secretHash: text('secret_hash').notNull(),
    /** sha256 of the one-time claim code (a high-entropy random code, so a fast hash suffices); null once claimed. */
    claimCodeHash: text('claim_code_hash').unique(),
    claimedAt: timestamp('claimed_at', { withTimezone: true }),
    lastSeen: timestamp('last_seen', { withTimezone: true }),
    online: boolean('online').notNull().default(false),
    /** The gateway's software version, from the last gatewayStatus that carried one; null until then. */
    version: text('version'),
    createdAt: createdAt(),
  },
  (t) => [index('gateways_home_idx').on(t.homeId)],
);

export const devices = pgTable(
  'devices',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    gatewayId: text('gateway_id')
      .notNull()
      .references(() => gateways.id),
    /** BLE address, 12 lower-case hex digits: the identity the gateway reports. */
    address: text('address').notNull().unique(),
    homeId: uuid('home_id')
      .notNull()
      .references(() => homes.id),
    name: text('name').notNull(),
    model: text('model').notNull(),
    firmwareVersion: text('firmware_version'),
    hardwareId: text('hardware_id'),
    serial: text('serial'),
    roomId: uuid('room_id').references(() => rooms.id, { onDelete: 'set null' }),
    createdAt: createdAt(),
  },
  (t) => [
    index('devices_home_idx').on(t.homeId),
    // The ingest counts a gateway's switches against its device cap when it registers a new one.
    index('devices_gateway_idx').on(t.gatewayId),
    // The operators' fleet pages filter by model or version and walk the matches in id order (keyset).
    index('devices_hardware_idx').on(t.hardwareId, t.id),
    index('devices_version_idx').on(t.firmwareVersion, t.id),
    check('devices_address_check', sql`${t.address} ~ '^[0-9a-f]{12}$'`),
  ],
);

/**
 * The shadow of a switch, in the manner of AWS IoT Device Shadow: the reported side (what the gateway
 * last saw), the desired side (what the users asked for), a timestamp per field (the shadow's
 * "metadata") and one version for the whole document.
 */
export const deviceState = pgTable('device_state', {
  deviceId: uuid('device_id')
    .primaryKey()
    .references(() => devices.id, { onDelete: 'cascade' }),
  /** Reported relay state; null until a report or a command result has carried it. */
  on: boolean('on'),
  battery: integer('battery'),
  rssi: integer('rssi'),
  online: boolean('online').notNull().default(false),
  lastSeen: timestamp('last_seen', { withTimezone: true }),
  onAt: timestamp('on_at', { withTimezone: true }),
  batteryAt: timestamp('battery_at', { withTimezone: true }),
  rssiAt: timestamp('rssi_at', { withTimezone: true }),
  onlineAt: timestamp('online_at', { withTimezone: true }),
  /** Desired relay state; null when nobody has asked for one. */
  desiredOn: boolean('desired_on'),
  desiredOnAt: timestamp('desired_on_at', { withTimezone: true }),
  /**
   * Ordering guard against reordered and replayed reports: the gateway, seq and observation time of
   * the report last applied (the time clamped to the cloud's clock when it was written, so a gateway
   * clock running ahead cannot outrank later reports). last_seq is cleared when the gateway announces
   * itself again (it may have restarted its counter); then the observation time decides.
   */
  reportedAt: timestamp('reported_at', { withTimezone: true }),
  lastGatewayId: text('last_gateway_id'),
  lastSeq: bigint('last_seq', { mode: 'number' }),
  /** Bumped on every write of either side; the If-Match precondition of PATCH desired compares it. */
  version: integer('version').notNull().default(1),
  updatedAt: timestamp('updated_at', { withTimezone: true }).notNull().defaultNow(),
});

/**
 * Append-only history of device reports, the table every report lands in (most of the ingest's
 * work is its inserts). One B-tree serves both of its needs:
 * - its leading (device_id, ts) is how history is read (one switch over a time range, in order);
 * - the key as a whole, (device_id, ts, seq, gateway_id), is the outbox's identity of a report
 *   (gateway_id, seq, ts) plus the switch it names, so a redelivered report is stored once.
 * It includes ts on purpose: a unique key of a partitioned table must contain the partition key, so
 * this table can become `PARTITION BY RANGE (ts)` with monthly partitions (created ahead by a job, old
 * ones detached and dropped for retention) without changing any query.
 *
 * No foreign key to devices, as time-series tables commonly do: PostgreSQL checks one per inserted
 * row (a lookup and a row lock on the device), a fifth of the ingest statement. Nothing is lost by it:
 * the only writer is the ingest statement, which takes device_id from the devices row it joins in the
 * same statement, and devices are never deleted (whatever comes to delete one must delete its history
 * with it).
 */
export const deviceStateHistory = pgTable(
  'device_state_history',
  {
    gatewayId: text('gateway_id').notNull(),
    seq: bigint('seq', { mode: 'number' }).notNull(),
    ts: timestamp('ts', { withTimezone: true }).notNull(),
    deviceId: uuid('device_id').notNull(),
    online: boolean('online').notNull(),
    on: boolean('on'),
    battery: integer('battery'),
    rssi: integer('rssi'),
    receivedAt: timestamp('received_at', { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [primaryKey({ name: 'device_state_history_pkey', columns: [t.deviceId, t.ts, t.seq, t.gatewayId] })],
);

export const commandStatuses = ['pending', 'sent', 'succeeded', 'failed', 'expired'] as const;
export type CommandRowStatus = (typeof commandStatuses)[number];

export const commands = pgTable(
  'commands',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    deviceId: uuid('device_id')
      .notNull()
      .references(() => devices.id, { onDelete: 'cascade' }),
    action: text('action').notNull(),
    status: text('status', { enum: commandStatuses }).notNull().default('pending'),
    reason: text('reason'),
    detail: text('detail'),
    createdAt: createdAt(),
    expiresAt: timestamp('expires_at', { withTimezone: true }).notNull(),
    completedAt: timestamp('completed_at', { withTimezone: true }),
    sentAt: timestamp('sent_at', { withTimezone: true }),
    traceparent: text('traceparent'),
    /** Who asked; null for commands the cloud made itself (shadow delta, schedules). */
    userId: uuid('user_id').references(() => users.id, { onDelete: 'set null' }),
    source: text('source', { enum: ['user', 'delta', 'schedule'] })
      .notNull()
      .default('user'),
    /** The client's Idempotency-Key and a hash of what it asked for, to tell a retry from a misuse. */
    idempotencyKey: text('idempotency_key'),
    requestHash: text('request_hash'),
  },
  (t) => [
    uniqueIndex('commands_user_idempotency_uq').on(t.userId, t.idempotencyKey),
    check('commands_status_check', sql`${t.status} in ('pending', 'sent', 'succeeded', 'failed', 'expired')`),
    // The sweeper only ever scans open commands; a partial index keeps that scan small.
    index('commands_open_expiry_idx').on(t.expiresAt).where(sql`${t.status} in ('pending', 'sent')`),
    index('commands_device_idx').on(t.deviceId),
    // A rollout's health gate counts a set of switches' commands by when they ended.
    index('commands_device_completed_idx').on(t.deviceId, t.completedAt),
  ],
);

/**
 * Refresh tokens, stored as sha256 of a 256-bit random token. Rotation: each use marks the row used
 * and issues a new token in the same family; presenting a used (or revoked) token again means it
 * leaked, so the whole family is revoked (OAuth 2.0 Security BCP, RFC 9700 §4.14.2).
 */
export const refreshTokens = pgTable(
  'refresh_tokens',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    /** The session's subject: a household user or an operator, never both (the check below). */
    userId: uuid('user_id').references(() => users.id, { onDelete: 'cascade' }),
    operatorId: uuid('operator_id').references(() => operators.id, { onDelete: 'cascade' }),
    familyId: uuid('family_id').notNull(),
    tokenHash: text('token_hash').notNull().unique(),
    expiresAt: timestamp('expires_at', { withTimezone: true }).notNull(),
    usedAt: timestamp('used_at', { withTimezone: true }),
    revokedAt: timestamp('revoked_at', { withTimezone: true }),
    createdAt: createdAt(),
  },
  (t) => [
    index('refresh_tokens_family_idx').on(t.familyId),
    check('refresh_tokens_subject_check', sql`num_nonnulls(${t.userId}, ${t.operatorId}) = 1`),
  ],
);

/**
 * Fixed windows of attempts (logins) per key, shared by every cloud instance, so N instances behind a
 * load balancer do not hand out N budgets. The key is sha256 of what is limited (an email, a client
 * address): the table limits attempts, it need not keep who made them. Expired rows are pruned.
 */
export const rateLimitWindows = pgTable('rate_limit_windows', {
  keyHash: text('key_hash').primaryKey(),
  expiresAt: timestamp('expires_at', { withTimezone: true }).notNull(),
  attempts: integer('attempts').notNull(),
});

export const schedules = pgTable(
  'schedules',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    deviceId: uuid('device_id')
      .notNull()
      .references(() => devices.id, { onDelete: 'cascade' }),
    cron: text('cron').notNull(),
    timeZone: text('time_zone').notNull(),
    action: text('action').notNull(),
    enabled: boolean('enabled').notNull().default(true),
    /** The next occurrence to run; advanced by whichever cloud instance claims the current one. */
    nextRunAt: timestamp('next_run_at', { withTimezone: true }).notNull(),
    createdBy: uuid('created_by').references(() => users.id, { onDelete: 'set null' }),
    createdAt: createdAt(),
  },
  (t) => [
    index('schedules_due_idx').on(t.nextRunAt).where(sql`${t.enabled}`),
    index('schedules_device_idx').on(t.deviceId),
  ],
);

/** One row per schedule occurrence: the primary key is what makes an occurrence run once. */
export const scheduleRuns = pgTable(
  'schedule_runs',
  {
    scheduleId: uuid('schedule_id')
      .notNull()
      .references(() => schedules.id, { onDelete: 'cascade' }),
    occurrenceAt: timestamp('occurrence_at', { withTimezone: true }).notNull(),
    commandId: uuid('command_id'),
    createdAt: createdAt(),
  },
  (t) => [primaryKey({ columns: [t.scheduleId, t.occurrenceAt] })],
);

/**
 * Raw bytes. PGlite hands bytea back as a Uint8Array, node-postgres as a Buffer; services see a Buffer.
 */
const bytea = customType<{ data: Buffer; driverData: Uint8Array }>({
  dataType: () => 'bytea',
  fromDriver: (value) => Buffer.from(value.buffer, value.byteOffset, value.byteLength),
});

/**
 * The fleet's trusted release signing keys. The id is MCUboot's IMAGE_TLV_KEYHASH of the key (sha256 of
 * the DER SubjectPublicKeyInfo, as imgtool hashes an Ed25519 key), hex: an image names its key by it.
 * A revoked key stays listed, so an image signed by it is told apart from one by a stranger.
 */
export const signingKeys = pgTable('signing_keys', {
  id: text('id').primaryKey(),
  publicKeyPem: text('public_key_pem').notNull(),
  label: text('label').notNull(),
  addedAt: timestamp('added_at', { withTimezone: true }).notNull().defaultNow(),
  revokedAt: timestamp('revoked_at', { withTimezone: true }),
});

/** Image bytes, content-addressed: the key is the sha256 of the whole file, hex. */
export const releaseImages = pgTable('release_images', {
  sha256: text('sha256').primaryKey(),
  bytes: bytea('bytes').notNull(),
  size: integer('size').notNull(),
});

export const releaseStates = ['testing', 'passed', 'failed', 'revoked'] as const;
export type ReleaseState = (typeof releaseStates)[number];

/**
 * A firmware release, and the queue its tests run from: a release in `testing` is waiting or being
 * run. An instance claims it by setting the lease (owner and until) under FOR UPDATE SKIP LOCKED and
 * keeps the lease alive while the suite runs; a lease that ran out belongs to an instance that died,
 * and the release is claimed again.
 */
export const releases = pgTable(
  'releases',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    version: text('version').notNull(),
    hardwareId: text('hardware_id').notNull(),
    sha256: text('sha256')
      .notNull()
      .unique()
      .references(() => releaseImages.sha256),
    size: integer('size').notNull(),
    state: text('state', { enum: releaseStates }).notNull().default('testing'),
    /** Why the last test run failed (a failed case, a crash, a timeout); null otherwise. */
    reason: text('reason'),
    keyId: text('key_id').notNull(),
    /**
     * The image's IMAGE_TLV_SEC_CNT, null when it carries none (or was uploaded before it was kept):
     * a switch's MCUboot refuses an image whose counter is below the one it stores, so a rollback to
     * a release with a lower counter cannot install.
     */
    securityCounter: bigint('security_counter', { mode: 'number' }),
    notes: text('notes'),
    createdAt: createdAt(),
    /** Who uploaded it (the operator's id), when known. */
    createdBy: text('created_by'),
    testAttempts: integer('test_attempts').notNull().default(0),
    leaseOwner: text('lease_owner'),
    leaseUntil: timestamp('lease_until', { withTimezone: true }),
    revokedAt: timestamp('revoked_at', { withTimezone: true }),
  },
  (t) => [
    index('releases_hardware_idx').on(t.hardwareId),
    index('releases_testing_idx').on(t.createdAt).where(sql`${t.state} = 'testing'`),
    check('releases_state_check', sql`${t.state} in ('testing', 'passed', 'failed', 'revoked')`),
  ],
);

/** One suite run's result, bound to the image it ran on (sha256) and the suite's version. */
export const releaseReports = pgTable(
  'release_reports',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    releaseId: uuid('release_id')
      .notNull()
      .references(() => releases.id, { onDelete: 'cascade' }),
    sha256: text('sha256').notNull(),
    suiteVersion: text('suite_version').notNull(),
    outcome: text('outcome', { enum: ['passed', 'failed'] }).notNull(),
    cases: jsonb('cases').notNull(),
    createdAt: createdAt(),
  },
  (t) => [
    index('release_reports_release_idx').on(t.releaseId, t.createdAt),
    check('release_reports_outcome_check', sql`${t.outcome} in ('passed', 'failed')`),
  ],
);

export const updateJobStates = ['queued', 'waiting', 'running', 'succeeded', 'failed', 'cancelled'] as const;
export type UpdateJobState = (typeof updateJobStates)[number];

/**
 * One firmware update of one switch. A job is active while queued, waiting or running; a switch has at
 * most one active job (the partial unique index), so a second request for it is refused rather than
 * queued behind. `dispatchedAt` is the claim that makes one cloud instance publish the job (cleared
 * when its gateway goes away, so it is sent again on reconnect); `cancelRequestedAt` marks a cancel
 * sent down and not yet confirmed. `rolloutId` ties a job to the staged rollout that made it, if any.
 */
export const updateJobs = pgTable(
  'update_jobs',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    deviceId: uuid('device_id')
      .notNull()
      .references(() => devices.id, { onDelete: 'cascade' }),
    releaseId: uuid('release_id')
      .notNull()
      .references(() => releases.id),
    sha256: text('sha256').notNull(),
    state: text('state', { enum: updateJobStates }).notNull().default('queued'),
    phase: text('phase'),
    waitingReason: text('waiting_reason'),
    reason: text('reason'),
    detail: text('detail'),
    bytes: integer('bytes'),
    totalBytes: integer('total_bytes'),
    rate: integer('rate'),
    /** The last progress seq applied from the gateway's outbox, so a replay cannot move a job back. */
    progressSeq: bigint('progress_seq', { mode: 'number' }),
    deadline: timestamp('deadline', { withTimezone: true }).notNull(),
    createdBy: text('created_by'),
    createdAt: createdAt(),
    dispatchedAt: timestamp('dispatched_at', { withTimezone: true }),
    cancelRequestedAt: timestamp('cancel_requested_at', { withTimezone: true }),
    /**
     * The cloud ended the job `cancelled` while its gateway may still hold it: the cancel goes down
     * (claimed through dispatched_at, like the job) whenever the gateway is online, until the
     * gateway's result for the job arrives or the deadline passes.
     */
    cancelPending: boolean('cancel_pending').notNull().default(false),
    startedAt: timestamp('started_at', { withTimezone: true }),
    endedAt: timestamp('ended_at', { withTimezone: true }),
    /** The version the switch reported with the terminal result. */
    version: text('version'),
    rolloutId: uuid('rollout_id'),
    traceparent: text('traceparent'),
  },
  (t) => [
    uniqueIndex('update_jobs_active_device_uq')
      .on(t.deviceId)
      .where(sql`${t.state} in ('queued', 'waiting', 'running')`),
    index('update_jobs_device_idx').on(t.deviceId, t.createdAt),
    index('update_jobs_active_deadline_idx').on(t.deadline).where(sql`${t.state} in ('queued', 'waiting', 'running')`),
    index('update_jobs_rollout_idx').on(t.rolloutId),
    check(
      'update_jobs_state_check',
      sql`${t.state} in ('queued', 'waiting', 'running', 'succeeded', 'failed', 'cancelled')`,
    ),
  ],
);

export const rolloutStates = [
  'draft',
  'awaiting_approval',
  'running',
  'paused',
  'completed',
  'cancelled',
  'halted',
  'rolled_back',
] as const;
export type RolloutState = (typeof rolloutStates)[number];
/** A rollout holds its devices in these states (one active rollout per device). */
export const ACTIVE_ROLLOUT_STATES = ['draft', 'awaiting_approval', 'running', 'paused'] as const;
const inList = (values: readonly string[]) => sql.raw(values.map((v) => `'${v}'`).join(', '));

/**
 * A staged rollout of one release to a target. `spec` is the resolved spec (every default filled in).
 * The engine tick of any instance works a rollout only while it holds the lease (owner, until), taken
 * under FOR UPDATE SKIP LOCKED, so two instances never do its work at once. `draining` marks a
 * halted or cancelled rollout whose cancelled in-flight jobs have not ended yet; `parentId` is the
 * rollout a rollback undoes.
 */
export const rollouts = pgTable(
  'rollouts',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    releaseId: uuid('release_id')
      .notNull()
      .references(() => releases.id),
    spec: jsonb('spec').notNull(),
    state: text('state', { enum: rolloutStates }).notNull(),
    currentStage: integer('current_stage').notNull().default(0),
    reason: text('reason'),
    detail: text('detail'),
    parentId: uuid('parent_id'),
    createdBy: text('created_by'),
    createdAt: createdAt(),
    updatedAt: timestamp('updated_at', { withTimezone: true }).notNull().defaultNow(),
    startedAt: timestamp('started_at', { withTimezone: true }),
    endedAt: timestamp('ended_at', { withTimezone: true }),
    plannedMakespanSeconds: integer('planned_makespan_seconds').notNull(),
    lowerBoundSeconds: integer('lower_bound_seconds').notNull(),
    draining: boolean('draining').notNull().default(false),
    leaseOwner: text('lease_owner'),
    leaseUntil: timestamp('lease_until', { withTimezone: true }),
  },
  (t) => [
    // The tick's claim scans only rollouts with work to do.
    index('rollouts_workable_idx')
      .on(t.leaseUntil)
      .where(sql`${t.state} in ('awaiting_approval', 'running', 'paused') or ${t.draining}`),
    index('rollouts_created_idx').on(t.createdAt),
    index('rollouts_parent_idx').on(t.parentId),
    check('rollouts_state_check', sql`${t.state} in (${inList(rolloutStates)})`),
  ],
);

export const rolloutStageStates = ['pending', 'running', 'soaking', 'awaiting_approval', 'passed', 'failed'] as const;

/** One stage of a rollout; `successMetAt` starts its soak, `approvedBy/At` lets it start when it needs approval. */
export const rolloutStages = pgTable(
  'rollout_stages',
  {
    rolloutId: uuid('rollout_id')
      .notNull()
      .references(() => rollouts.id, { onDelete: 'cascade' }),
    index: integer('index').notNull(),
    state: text('state', { enum: rolloutStageStates }).notNull().default('pending'),
    successMetAt: timestamp('success_met_at', { withTimezone: true }),
    approvedBy: text('approved_by'),
    approvedAt: timestamp('approved_at', { withTimezone: true }),
    startedAt: timestamp('started_at', { withTimezone: true }),
    endedAt: timestamp('ended_at', { withTimezone: true }),
  },
  (t) => [
    primaryKey({ columns: [t.rolloutId, t.index] }),
    check('rollout_stages_state_check', sql`${t.state} in (${inList(rolloutStageStates)})`),
  ],
);

export const rolloutDeviceStates = [
  'pending',
  'waiting',
  'updating',
  'succeeded',
  'failed',
  'reverted',
  'skipped',
  'cancelled',
] as const;

/**
 * One device of a rollout. `active` is true while the rollout holds the device (the rollout is not
 * over, the device not skipped): the partial unique index lets a device be in one active rollout at
 * a time, whatever instance creates the rollouts. `updating` with no job id is a start whose job may
 * or may not have been made (the instance stopped between the two); the tick looks the job up.
 */
export const rolloutDevices = pgTable(
  'rollout_devices',
  {
    rolloutId: uuid('rollout_id')
      .notNull()
      .references(() => rollouts.id, { onDelete: 'cascade' }),
    deviceId: uuid('device_id')
      .notNull()
      .references(() => devices.id, { onDelete: 'cascade' }),
    stage: integer('stage'),
    state: text('state', { enum: rolloutDeviceStates }).notNull(),
    active: boolean('active').notNull(),
    /** Why it waits (gateway_offline, out_of_window, cap, …) or why it was skipped. */
    waitReason: text('wait_reason'),
    failKind: text('fail_kind', { enum: ['failed', 'reverted', 'timeout'] }),
    reason: text('reason'),
    attempts: integer('attempts').notNull().default(0),
    retryAt: timestamp('retry_at', { withTimezone: true }),
    jobId: uuid('job_id'),
    previousVersion: text('previous_version'),
    updatedAt: timestamp('updated_at', { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [
    primaryKey({ columns: [t.rolloutId, t.deviceId] }),
    uniqueIndex('rollout_devices_active_device_uq').on(t.deviceId).where(sql`${t.active}`),
    // The tick reads a rollout's unfinished devices; GET counts all of a rollout's by stage.
    index('rollout_devices_open_idx')
      .on(t.rolloutId, t.stage)
      .where(sql`${t.state} in ('pending', 'waiting', 'updating')`),
    // The tick follows only the devices in flight: a few hundred of a rollout's many.
    index('rollout_devices_updating_idx').on(t.rolloutId).where(sql`${t.state} = 'updating'`),
    // The counts by stage and state read this index alone (an index-only aggregate), not the rows.
    index('rollout_devices_counts_idx').on(t.rolloutId, t.stage, t.state, t.failKind),
    check('rollout_devices_state_check', sql`${t.state} in (${inList(rolloutDeviceStates)})`),
    check('rollout_devices_fail_kind_check', sql`${t.failKind} in ('failed', 'reverted', 'timeout')`),
  ],
);

export const schema = {
  users,
  operators,
  auditLog,
  homes,
  homeMembers,
  homeInvitations,
  rooms,
  gateways,
  devices,
  deviceState,
  deviceStateHistory,
  commands,
  refreshTokens,
  schedules,
  scheduleRuns,
  signingKeys,
  releaseImages,
  releases,
  releaseReports,
  updateJobs,
  rollouts,
  rolloutStages,
  rolloutDevices,
};
export type Schema = typeof schema;
