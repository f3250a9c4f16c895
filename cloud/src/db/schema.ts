/**
 * The cloud's relational model. One schema for both drivers (PGlite and node-postgres); the SQL in the
 * repository's top-level `migrations/` is generated from this file with `npm run db:generate`.
 *
 * Status-like columns are text with CHECK constraints rather than PostgreSQL enums: adding a value to
 * an enum cannot run inside the migrator's transaction, a CHECK can be replaced in one.
 */
import { sql } from 'drizzle-orm';
import {
  boolean,
  check,
  index,
  integer,
  pgTable,
  primaryKey,
  text,
  timestamp,
  uuid,
} from 'drizzle-orm/pg-core';

const createdAt = () => timestamp('created_at', { withTimezone: true }).notNull().defaultNow();

export const users = pgTable('users', {
  id: uuid('id').primaryKey().defaultRandom(),
  email: text('email').notNull().unique(),
  passwordHash: text('password_hash').notNull(),
  createdAt: createdAt(),
});

export const homes = pgTable('homes', {
  id: uuid('id').primaryKey().defaultRandom(),
  name: text('name').notNull(),
  ownerId: uuid('owner_id')
    .notNull()
    .references(() => users.id),
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

export const gateways = pgTable(
  'gateways',
  {
    /** The MQTT gateway id: the topic level under sf/v1/gw/ and the MQTT username. */
    id: text('id').primaryKey(),
    homeId: uuid('home_id')
      .notNull()
      .references(() => homes.id),
    secretHash: text('secret_hash').notNull(),
    lastSeen: timestamp('last_seen', { withTimezone: true }),
    online: boolean('online').notNull().default(false),
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
    createdAt: createdAt(),
  },
  (t) => [
    index('devices_home_idx').on(t.homeId),
    check('devices_address_check', sql`${t.address} ~ '^[0-9a-f]{12}$'`),
  ],
);

export const deviceState = pgTable('device_state', {
  deviceId: uuid('device_id')
    .primaryKey()
    .references(() => devices.id, { onDelete: 'cascade' }),
  /** Null until a report or a command result has carried the relay state. */
  on: boolean('on'),
  battery: integer('battery'),
  rssi: integer('rssi'),
  online: boolean('online').notNull().default(false),
  lastSeen: timestamp('last_seen', { withTimezone: true }),
  /** Bumped on every write, so a reader can tell two snapshots apart. */
  version: integer('version').notNull().default(1),
  updatedAt: timestamp('updated_at', { withTimezone: true }).notNull().defaultNow(),
});

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
    traceparent: text('traceparent'),
  },
  (t) => [
    check('commands_status_check', sql`${t.status} in ('pending', 'sent', 'succeeded', 'failed', 'expired')`),
    // The sweeper only ever scans open commands; a partial index keeps that scan small.
    index('commands_open_expiry_idx')
      .on(t.expiresAt)
      .where(sql`${t.status} in ('pending', 'sent')`),
    index('commands_device_idx').on(t.deviceId),
  ],
);

export const schema = { users, homes, homeMembers, gateways, devices, deviceState, commands };
export type Schema = typeof schema;
