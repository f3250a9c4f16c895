/**
 * Refresh-token sessions. A login starts a family; every refresh marks the presented token used and
 * issues the next one of the family. Presenting a token that was already used (or revoked) means a
 * copy leaked, so the whole family is revoked (OAuth 2.0 Security BCP, RFC 9700 §4.14.2). Tokens are
 * 256-bit random values stored as sha256 (a slow hash buys nothing against that much entropy).
 */
import { createHash, randomBytes, randomUUID } from 'node:crypto';
import { and, eq, gt, isNull } from 'drizzle-orm';
import type { Db } from '../db/database.ts';
import { refreshTokens } from '../db/schema.ts';
import { InvalidRefreshTokenError } from '../errors.ts';
import { isUuid } from '../ids.ts';

export const DEFAULT_REFRESH_TTL_MS = 30 * 24 * 3600_000;

export interface IssuedRefreshToken {
  userId: string;
  refreshToken: string;
  familyId: string;
  expiresAt: Date;
}

export class SessionService {
  constructor(
    private readonly db: Db,
    private readonly ttlMs = DEFAULT_REFRESH_TTL_MS,
  ) {}

  /** Starts a new session (family) for a user who just proved their password. */
  start(userId: string): Promise<IssuedRefreshToken> {
    if (!isUuid(userId)) throw new InvalidRefreshTokenError();
    return this.issue(userId, randomUUID());
  }

  /** Exchanges a refresh token for the next one of its family; throws InvalidRefreshTokenError. */
  async rotate(token: string): Promise<IssuedRefreshToken> {
    const hash = hashToken(token);
    const now = new Date();
    // Marking it used is the claim: of two concurrent refreshes with one token, one UPDATE wins.
    const [claimed] = await this.db
      .update(refreshTokens)
      .set({ usedAt: now })
      .where(and(eq(refreshTokens.tokenHash, hash), isNull(refreshTokens.usedAt), isNull(refreshTokens.revokedAt), gt(refreshTokens.expiresAt, now)))
      .returning({ userId: refreshTokens.userId, familyId: refreshTokens.familyId });
    if (claimed) return this.issue(claimed.userId, claimed.familyId);
    const [known] = await this.db
      .select({ familyId: refreshTokens.familyId, usedAt: refreshTokens.usedAt })
      .from(refreshTokens)
      .where(eq(refreshTokens.tokenHash, hash));
    if (known?.usedAt) await this.revokeFamily(known.familyId);
    throw new InvalidRefreshTokenError();
  }

  /** Logout: revokes the session the token belongs to. Unknown tokens are ignored (logout is idempotent). */
  async revoke(token: string): Promise<void> {
    const [known] = await this.db
      .select({ familyId: refreshTokens.familyId })
      .from(refreshTokens)
      .where(eq(refreshTokens.tokenHash, hashToken(token)));
    if (known) await this.revokeFamily(known.familyId);
  }

  private async revokeFamily(familyId: string): Promise<void> {
    await this.db
      .update(refreshTokens)
      .set({ revokedAt: new Date() })
      .where(and(eq(refreshTokens.familyId, familyId), isNull(refreshTokens.revokedAt)));
  }

  private async issue(userId: string, familyId: string): Promise<IssuedRefreshToken> {
    const refreshToken = randomBytes(32).toString('base64url');
    const expiresAt = new Date(Date.now() + this.ttlMs);
    await this.db.insert(refreshTokens).values({ userId, familyId, tokenHash: hashToken(refreshToken), expiresAt });
    return { userId, refreshToken, familyId, expiresAt };
  }
}

function hashToken(token: string): string {
  return createHash('sha256').update(token).digest('hex');
}
