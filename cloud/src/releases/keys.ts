/**
 * The fleet's trusted release signing keys (Ed25519, SPKI PEM). A key is named by its KEYHASH, the
 * value MCUboot looks for in IMAGE_TLV_KEYHASH to pick the key a signature is checked with, so an
 * image's signer maps onto a row here. Revoking keeps the row: uploads signed by it are refused.
 */
import { firmware } from '@switchfleet/protocol';
import { asc, eq, isNull } from 'drizzle-orm';
import type { Db } from '../db/database.ts';
import { violatedUniqueKey } from '../db/constraint-errors.ts';
import { signingKeys } from '../db/schema.ts';
import { NotFoundError } from '../errors.ts';
import { BadSigningKeyError, SigningKeyExistsError } from './errors.ts';

export interface SigningKey {
  /** KEYHASH, hex. */
  id: string;
  publicKeyPem: string;
  label: string;
  addedAt: Date;
  revokedAt: Date | null;
}

const MAX_LABEL = 200;

export class SigningKeyService {
  constructor(private readonly db: Db) {}

  async list(): Promise<SigningKey[]> {
    return this.db.select().from(signingKeys).orderBy(asc(signingKeys.addedAt), asc(signingKeys.id));
  }

  /** The keys uploads are verified against now. */
  async trusted(): Promise<SigningKey[]> {
    return this.db
      .select()
      .from(signingKeys)
      .where(isNull(signingKeys.revokedAt))
      .orderBy(asc(signingKeys.addedAt), asc(signingKeys.id));
  }

  async get(id: string): Promise<SigningKey> {
    const [row] = await this.db.select().from(signingKeys).where(eq(signingKeys.id, id.toLowerCase()));
    if (!row) throw new NotFoundError('signing key');
    return row;
  }

  /** BadSigningKeyError for anything but an Ed25519 public key; SigningKeyExistsError for one already listed. */
  async add(input: { publicKeyPem: string; label?: string }): Promise<SigningKey> {
    const { id, pem } = parseKey(input.publicKeyPem);
    const label = (input.label ?? '').trim() || `key ${id.slice(0, 16)}`;
    if (label.length > MAX_LABEL) throw new BadSigningKeyError(`a label has at most ${MAX_LABEL} characters`);
    try {
      const [row] = await this.db.insert(signingKeys).values({ id, publicKeyPem: pem, label }).returning();
      return row!;
    } catch (e) {
      if (violatedUniqueKey(e) !== undefined) throw new SigningKeyExistsError(id);
      throw e;
    }
  }

  /** Revokes a key (idempotent); NotFoundError for an unknown id. */
  async revoke(id: string): Promise<SigningKey> {
    const key = await this.get(id);
    if (key.revokedAt) return key;
    const [row] = await this.db
      .update(signingKeys)
      .set({ revokedAt: new Date() })
      .where(eq(signingKeys.id, key.id))
      .returning();
    return row!;
  }

  /**
   * Adds the keys the cloud is configured to trust from the start, once: a key already listed, even
   * revoked since, is left as it is (a restart must not bring back a key an admin revoked).
   */
  async seed(pems: readonly string[]): Promise<void> {
    for (const text of pems) {
      const { id, pem } = parseKey(text);
      await this.db
        .insert(signingKeys)
        .values({ id, publicKeyPem: pem, label: `initial key ${id.slice(0, 16)}` })
        .onConflictDoNothing();
    }
  }
}

/** The key's id and its PEM in one canonical form (SPKI), whatever whitespace it came with. */
function parseKey(text: string): { id: string; pem: string } {
  let key;
  try {
    key = firmware.loadPublicKey(text);
  } catch (e) {
    throw new BadSigningKeyError((e as Error).message);
  }
  const pem = key.export({ type: 'spki', format: 'pem' }).toString();
  return { id: firmware.keyHashOf(key).toString('hex'), pem };
}
