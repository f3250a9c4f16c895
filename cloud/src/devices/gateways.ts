/**
 * Gateway provisioning, claiming and presence. A gateway's MQTT secret is returned once at
 * provisioning (or rotation) and stored only hashed, in mosquitto's own `$7$` form
 * (mosquitto-passwd.ts): the embedded broker checks connections against it and the operator's CLI
 * writes it unchanged into mosquitto's password file. Hashes from before (scrypt) still verify. A gateway provisioned without a home (at the factory) gets a one-time
 * claim code, printed on it; the home's owner claims it with that code, which then stops working.
 */
import { createHash, randomBytes } from 'node:crypto';
import { Compile } from 'typebox/compile';
import { GatewayId } from '@switchfleet/protocol';
import { and, count, eq, isNull } from 'drizzle-orm';
import type { Db } from '../db/database.ts';
import { gateways, homeMembers, homes } from '../db/schema.ts';
import { ForbiddenError, GatewayExistsError, InvalidInputError, NotFoundError } from '../errors.ts';
import { isUuid } from '../ids.ts';
import type { BrokerAccount } from '../broker/mosquitto-files.ts';
import { hashForMosquitto, isMosquittoHash, verifyMosquittoHash } from '../broker/mosquitto-passwd.ts';
import { newSecret, verifySecret } from '../secrets.ts';

/**
 * Client ids and usernames of the cloud's own MQTT clients start with this (client.ts, cloud.ts); a
 * gateway named so would share a client id space with them on mosquitto, where a client id taken
 * twice closes the older connection (MQTT 3.1.1 §3.1.4).
 */
export const RESERVED_GATEWAY_PREFIX = 'sf-cloud';

/** A fresh gateway id for a gateway provisioned without one: `gw-` and ten hex digits. */
export function newGatewayId(): string {
  return `gw-${randomBytes(5).toString('hex')}`;
}

export interface GatewayCredentials {
  gatewayId: string;
  /** Shown once; only its hash is stored. */
  secret: string;
  /** One-time code to claim the gateway into a home; only for a gateway provisioned without one. */
  claimCode?: string;
}

export interface Gateway {
  id: string;
  /** Null until claimed into a home. */
  homeId: string | null;
  online: boolean;
  lastSeen: Date | null;
}

export class GatewayService {
  readonly #validId = Compile(GatewayId);

  constructor(
    private readonly db: Db,
    /** Called when a gateway's presence changes: its devices' `online` changes with it. */
    private readonly onPresenceChanged: () => void = () => {},
  ) {}

  /** Provisions a gateway, straight into a home, or (without homeId) unclaimed with a claim code. */
  async provisionGateway(input: { gatewayId: string; homeId?: string }): Promise<GatewayCredentials> {
    this.assertId(input.gatewayId);
    if (input.homeId !== undefined) {
      if (!isUuid(input.homeId)) throw new NotFoundError('home');
      const [home] = await this.db.select({ id: homes.id }).from(homes).where(eq(homes.id, input.homeId));
      if (!home) throw new NotFoundError('home');
    }
    const secret = newSecret();
    const claimCode = input.homeId === undefined ? newClaimCode() : undefined;
    const [row] = await this.db
      .insert(gateways)
      .values({
        id: input.gatewayId,
        homeId: input.homeId ?? null,
        secretHash: await hashForMosquitto(secret),
        claimCodeHash: claimCode ? hashClaimCode(claimCode) : null,
      })
      .onConflictDoNothing({ target: gateways.id })
      .returning({ id: gateways.id });
    if (!row) throw new GatewayExistsError(input.gatewayId);
    return claimCode ? { gatewayId: row.id, secret, claimCode } : { gatewayId: row.id, secret };
  }

  /**
   * Claims an unclaimed gateway into a home the user owns. The code is consumed by the same UPDATE
   * that sets the home, so it works once even when two claims race. A wrong or used code is 404.
   */
  async claim(userId: string, homeId: string, claimCode: string): Promise<Gateway> {
    if (!isUuid(userId) || !isUuid(homeId)) throw new NotFoundError('home');
    const [membership] = await this.db
      .select({ role: homeMembers.role })
      .from(homeMembers)
      .where(and(eq(homeMembers.homeId, homeId), eq(homeMembers.userId, userId)));
    if (!membership) throw new NotFoundError('home');
    if (membership.role !== 'owner') throw new ForbiddenError('only the owner of a home can claim gateways into it');
    const [row] = await this.db
      .update(gateways)
      .set({ homeId, claimCodeHash: null, claimedAt: new Date() })
      .where(and(eq(gateways.claimCodeHash, hashClaimCode(claimCode.trim().toUpperCase())), isNull(gateways.homeId)))
      .returning({ id: gateways.id, homeId: gateways.homeId, online: gateways.online, lastSeen: gateways.lastSeen });
    if (!row) throw new NotFoundError('claim code');
    return row;
  }

  /** Gateways of a home the user belongs to (404 semantics: empty for a home not theirs). */
  async listForHome(userId: string, homeId: string): Promise<Gateway[]> {
    if (!isUuid(userId) || !isUuid(homeId)) return [];
    return this.db
      .select({ id: gateways.id, homeId: gateways.homeId, online: gateways.online, lastSeen: gateways.lastSeen })
      .from(gateways)
      .innerJoin(homeMembers, and(eq(homeMembers.homeId, gateways.homeId), eq(homeMembers.userId, userId)))
      .where(eq(gateways.homeId, homeId))
      .orderBy(gateways.id);
  }

  /** Issues a new secret for an existing gateway (the old one stops working at its next connect). */
  async rotateSecret(gatewayId: string): Promise<GatewayCredentials> {
    this.assertId(gatewayId);
    const secret = newSecret();
    const [row] = await this.db
      .update(gateways)
      .set({ secretHash: await hashForMosquitto(secret) })
      .where(eq(gateways.id, gatewayId))
      .returning({ id: gateways.id });
    if (!row) throw new NotFoundError('gateway');
    return { gatewayId, secret };
  }

  async verifySecret(gatewayId: string, secret: string): Promise<boolean> {
    if (!this.#validId.Check(gatewayId)) return false;
    const [row] = await this.db.select({ hash: gateways.secretHash }).from(gateways).where(eq(gateways.id, gatewayId));
    if (!row) return false;
    return isMosquittoHash(row.hash) ? verifyMosquittoHash(secret, row.hash) : verifySecret(secret, row.hash);
  }

  /** Every gateway's stored hash, for mosquitto's password file (mosquitto-files.ts). */
  async brokerAccounts(): Promise<BrokerAccount[]> {
    const rows = await this.db
      .select({ id: gateways.id, hash: gateways.secretHash })
      .from(gateways)
      .orderBy(gateways.id);
    return rows.map((r) => ({ gatewayId: r.id, mosquittoHash: isMosquittoHash(r.hash) ? r.hash : null }));
  }

  async get(gatewayId: string): Promise<Gateway | null> {
    if (!this.#validId.Check(gatewayId)) return null;
    const [row] = await this.db
      .select({ id: gateways.id, homeId: gateways.homeId, online: gateways.online, lastSeen: gateways.lastSeen })
      .from(gateways)
      .where(eq(gateways.id, gatewayId));
    return row ?? null;
  }

  async countOnline(): Promise<number> {
    const [row] = await this.db.select({ n: count() }).from(gateways).where(eq(gateways.online, true));
    return Number(row?.n ?? 0);
  }

  /**
   * Records a gatewayStatus message (topics.ts: gatewayStatus, also the gateway's last will). A status
   * without a version (the will has none) keeps the version last reported.
   */
  async recordStatus(gatewayId: string, online: boolean, at: Date, version?: string): Promise<boolean> {
    const rows = await this.db
      .update(gateways)
      .set(version === undefined ? { online, lastSeen: at } : { online, lastSeen: at, version })
      .where(eq(gateways.id, gatewayId))
      .returning({ id: gateways.id });
    this.onPresenceChanged();
    return rows.length > 0;
  }

  /**
   * With the embedded broker no gateway can be connected before the cloud starts, so any stored
   * "online" is left over from a run that ended without delivering the wills.
   */
  async markAllOffline(): Promise<void> {
    await this.db.update(gateways).set({ online: false }).where(eq(gateways.online, true));
    this.onPresenceChanged();
  }

  private assertId(gatewayId: string): void {
    if (!this.#validId.Check(gatewayId)) {
      throw new InvalidInputError('gatewayId', 'gateway id must be 1-63 lower-case letters, digits or dashes');
    }
    if (gatewayId.startsWith(RESERVED_GATEWAY_PREFIX)) {
      throw new InvalidInputError(
        'gatewayId',
        `gateway ids starting with "${RESERVED_GATEWAY_PREFIX}" are the cloud's own`,
      );
    }
  }
}

/** 16 characters of Crockford-like base32 (80 bits): typed by hand, still far beyond guessing. */
function newClaimCode(): string {
  const alphabet = 'ABCDEFGHJKMNPQRSTVWXYZ0123456789';
  const bytes = randomBytes(16);
  let code = '';
  for (const b of bytes) code += alphabet[b % 32];
  return code;
}

function hashClaimCode(code: string): string {
  return createHash('sha256').update(code).digest('hex');
}
