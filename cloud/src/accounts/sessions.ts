/**
 * Refresh-token sessions. A login starts a family; every refresh marks the presented token used and
 * issues the next one of the family. Presenting a token that was already used (or revoked) means a
 * copy leaked, so the whole family is revoked (OAuth 2.0 Security BCP, RFC 9700 §4.14.2). Tokens are
 * 256-bit random values stored as sha256 (a slow hash buys nothing against that much entropy).
 *
 * Access tokens name their session (the family) so that ending a session ends them too, before their
 * expiry: `isActive` answers from a per-instance cache that learns of every ended session at once
 * through the event bus (LISTEN/NOTIFY, every instance); a positive answer is re-read from the
 * database after ACTIVE_RECHECK_MS, which bounds the window should a notification be lost.
 */
import { createHash, randomBytes, randomUUID } from 'node:crypto';
import { and, eq, gt, isNull, sql } from 'drizzle-orm';
import type { Db } from '../db/database.ts';
import { refreshTokens } from '../db/schema.ts';
import { InvalidRefreshTokenError } from '../errors.ts';
import { isUuid } from '../ids.ts';
import type { EventBus } from '../events/bus.ts';

export const DEFAULT_REFRESH_TTL_MS = 30 * 24 * 3600_000;
/** How long an instance trusts that a session is still active without asking the database again. */
export const ACTIVE_RECHECK_MS = 5_000;
/** Sessions remembered per instance; past this the oldest answers are dropped (the database still knows). */
const MAX_CACHED_SESSIONS = 50_000;

/** Whose session: a household user's or an operator's (the two never share an id space or a table). */
export type SessionKind = 'user' | 'operator';

export interface IssuedRefreshToken {
  kind: SessionKind;
  /** The user's or the operator's id, by `kind`. */
  subjectId: string;
  refreshToken: string;
  familyId: string;
  expiresAt: Date;
}

export class SessionService {
  /** familyId → whether it was active, whose it is, and when that was read (ended sessions stay ended). */
  readonly #known = new Map<string, { active: boolean; subject: string | null; at: number }>();

  readonly #ttlMs: number;
  readonly #recheckMs: number;

  constructor(
    private readonly db: Db,
    private readonly bus?: EventBus,
    options: { refreshTtlMs?: number; activeRecheckMs?: number } = {},
  ) {
    this.#ttlMs = options.refreshTtlMs ?? DEFAULT_REFRESH_TTL_MS;
    this.#recheckMs = options.activeRecheckMs ?? ACTIVE_RECHECK_MS;
    bus?.onSessionEnded((familyId) => this.#remember(familyId, false, null));
  }

  /**
   * Whether access tokens of this session may still be honoured for this subject: false once it was
   * logged out or revoked, for a session nobody started, for another subject's session, and for a
   * session of the other kind (an operator's session never stands for a user of the same id).
   */
  async isActive(familyId: string, subjectId: string, kind: SessionKind = 'user'): Promise<boolean> {
    const subject = `${kind}:${subjectId}`;
    const known = this.#known.get(familyId);
    if (known && (!known.active || Date.now() - known.at < this.#recheckMs)) {
      return known.active && known.subject === subject;
    }
    if (!isUuid(familyId)) return false;
    const [family] = await this.db
      .select({
        userId: refreshTokens.userId,
        operatorId: refreshTokens.operatorId,
        ended: sql<boolean>`bool_or(${refreshTokens.revokedAt} is not null)`,
      })
      .from(refreshTokens)
      .where(eq(refreshTokens.familyId, familyId))
      .groupBy(refreshTokens.userId, refreshTokens.operatorId)
      .limit(1);
    // An ended session learnt of while the query ran stays ended.
    if (this.#known.get(familyId)?.active === false) return false;
    const active = family !== undefined && !family.ended;
    const owner = family ? subjectOf(family) : null;
    this.#remember(familyId, active, owner ? `${owner.kind}:${owner.subjectId}` : null);
    return active && owner !== null && `${owner.kind}:${owner.subjectId}` === subject;
  }

  #remember(familyId: string, active: boolean, subject: string | null): void {
    this.#known.delete(familyId);
    if (this.#known.size >= MAX_CACHED_SESSIONS) this.#known.delete(this.#known.keys().next().value!);
    this.#known.set(familyId, { active, subject, at: Date.now() });
  }

  /** Starts a new session (family) for a user (or an operator) who just proved their password. */
  start(subjectId: string, kind: SessionKind = 'user'): Promise<IssuedRefreshToken> {
    if (!isUuid(subjectId)) throw new InvalidRefreshTokenError();
    return this.issue(kind, subjectId, randomUUID());
  }

  /** Ends every session of an operator (on being disabled), on every instance. */
  async revokeOperator(operatorId: string): Promise<void> {
    if (!isUuid(operatorId)) return;
    const families = await this.db
      .selectDistinct({ familyId: refreshTokens.familyId })
      .from(refreshTokens)
      .where(and(eq(refreshTokens.operatorId, operatorId), isNull(refreshTokens.revokedAt)));
    for (const { familyId } of families) await this.revokeFamily(familyId);
  }

  /** Exchanges a refresh token for the next one of its family; throws InvalidRefreshTokenError. */
  async rotate(token: string): Promise<IssuedRefreshToken> {
    const hash = hashToken(token);
    const now = new Date();
    // Marking it used is the claim: of two concurrent refreshes with one token, one UPDATE wins.
    const [claimed] = await this.db
      .update(refreshTokens)
      .set({ usedAt: now })
      .where(
        and(
          eq(refreshTokens.tokenHash, hash),
          isNull(refreshTokens.usedAt),
          isNull(refreshTokens.revokedAt),
          gt(refreshTokens.expiresAt, now),
        ),
      )
      .returning({
        userId: refreshTokens.userId,
        operatorId: refreshTokens.operatorId,
        familyId: refreshTokens.familyId,
      });
    if (claimed) {
      const { kind, subjectId } = subjectOf(claimed);
      return this.issue(kind, subjectId, claimed.familyId);
    }
    const [known] = await this.db
      .select({ familyId: refreshTokens.familyId, usedAt: refreshTokens.usedAt })
      .from(refreshTokens)
      .where(eq(refreshTokens.tokenHash, hash));
    if (known?.usedAt) await this.revokeFamily(known.familyId);
    throw new InvalidRefreshTokenError();
  }

  /**
   * Logout: revokes the session the token belongs to and answers whose it was. Unknown tokens are
   * ignored (logout is idempotent).
   */
  async revoke(token: string): Promise<{ kind: SessionKind; subjectId: string } | null> {
    const [known] = await this.db
      .select({ familyId: refreshTokens.familyId, userId: refreshTokens.userId, operatorId: refreshTokens.operatorId })
      .from(refreshTokens)
      .where(eq(refreshTokens.tokenHash, hashToken(token)));
    if (!known) return null;
    await this.revokeFamily(known.familyId);
    return subjectOf(known);
  }

  private async revokeFamily(familyId: string): Promise<void> {
    await this.db
      .update(refreshTokens)
      .set({ revokedAt: new Date() })
      .where(and(eq(refreshTokens.familyId, familyId), isNull(refreshTokens.revokedAt)));
    this.#remember(familyId, false, null);
    await this.bus?.announceSessionEnded(familyId);
  }

  private async issue(kind: SessionKind, subjectId: string, familyId: string): Promise<IssuedRefreshToken> {
    const refreshToken = randomBytes(32).toString('base64url');
    const expiresAt = new Date(Date.now() + this.#ttlMs);
    const subject = kind === 'operator' ? { operatorId: subjectId } : { userId: subjectId };
    await this.db.insert(refreshTokens).values({ ...subject, familyId, tokenHash: hashToken(refreshToken), expiresAt });
    return { kind, subjectId, refreshToken, familyId, expiresAt };
  }
}

/** The subject of a refresh-token row: exactly one of its two columns is set (refresh_tokens_subject_check). */
function subjectOf(row: { userId: string | null; operatorId: string | null }): {
  kind: SessionKind;
  subjectId: string;
} {
  if (row.operatorId !== null) return { kind: 'operator', subjectId: row.operatorId };
  if (row.userId !== null) return { kind: 'user', subjectId: row.userId };
  throw new Error('a refresh token row names no subject');
}

function hashToken(token: string): string {
  return createHash('sha256').update(token).digest('hex');
}
