/**
 * Gateway provisioning and presence. A gateway's MQTT secret is returned once at provisioning (or
 * rotation) and stored only as a scrypt hash; the embedded broker checks connections against it.
 */
import { Compile } from 'typebox/compile';
import { GatewayId } from '@switchfleet/protocol';
import { count, eq } from 'drizzle-orm';
import type { Db } from '../db/database.ts';
import { gateways, homes } from '../db/schema.ts';
import { GatewayExistsError, InvalidInputError, NotFoundError } from '../errors.ts';
import { isUuid } from '../ids.ts';
import { hashSecret, newSecret, verifySecret } from '../secrets.ts';

export interface GatewayCredentials {
  gatewayId: string;
  /** Shown once; only its hash is stored. */
  secret: string;
}

export interface Gateway {
  id: string;
  homeId: string;
  online: boolean;
  lastSeen: Date | null;
}

export class GatewayService {
  readonly #validId = Compile(GatewayId);

  constructor(private readonly db: Db) {}

  async provisionGateway(input: { gatewayId: string; homeId: string }): Promise<GatewayCredentials> {
    this.assertId(input.gatewayId);
    if (!isUuid(input.homeId)) throw new NotFoundError('home');
    const [home] = await this.db.select({ id: homes.id }).from(homes).where(eq(homes.id, input.homeId));
    if (!home) throw new NotFoundError('home');
    const secret = newSecret();
    const [row] = await this.db
      .insert(gateways)
      .values({ id: input.gatewayId, homeId: input.homeId, secretHash: await hashSecret(secret) })
      .onConflictDoNothing({ target: gateways.id })
      .returning({ id: gateways.id });
    if (!row) throw new GatewayExistsError(input.gatewayId);
    return { gatewayId: row.id, secret };
  }

  /** Issues a new secret for an existing gateway (the old one stops working at its next connect). */
  async rotateSecret(gatewayId: string): Promise<GatewayCredentials> {
    this.assertId(gatewayId);
    const secret = newSecret();
    const [row] = await this.db
      .update(gateways)
      .set({ secretHash: await hashSecret(secret) })
      .where(eq(gateways.id, gatewayId))
      .returning({ id: gateways.id });
    if (!row) throw new NotFoundError('gateway');
    return { gatewayId, secret };
  }

  async verifySecret(gatewayId: string, secret: string): Promise<boolean> {
    if (!this.#validId.Check(gatewayId)) return false;
    const [row] = await this.db.select({ hash: gateways.secretHash }).from(gateways).where(eq(gateways.id, gatewayId));
    return row ? verifySecret(secret, row.hash) : false;
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

  /** Records a gatewayStatus message (topics.ts: gatewayStatus, also the gateway's last will). */
  async recordStatus(gatewayId: string, online: boolean, at: Date): Promise<boolean> {
    const rows = await this.db
      .update(gateways)
      .set({ online, lastSeen: at })
      .where(eq(gateways.id, gatewayId))
      .returning({ id: gateways.id });
    return rows.length > 0;
  }

  /**
   * With the embedded broker no gateway can be connected before the cloud starts, so any stored
   * "online" is left over from a run that ended without delivering the wills.
   */
  async markAllOffline(): Promise<void> {
    await this.db.update(gateways).set({ online: false }).where(eq(gateways.online, true));
  }

  private assertId(gatewayId: string): void {
    if (!this.#validId.Check(gatewayId)) {
      throw new InvalidInputError('gatewayId', 'gateway id must be 1-63 lower-case letters, digits or dashes');
    }
  }
}
