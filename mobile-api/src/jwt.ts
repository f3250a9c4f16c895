/**
 * Access tokens: JWTs (RFC 7519) signed with HS256, made and checked by `jose` rather than by hand.
 * Claims: `sub` (user or operator id), `sid` (the login session, so that logout ends the token too),
 * `kind` (`user` for a household, `operator` for the fleet's staff, with its `role`), `iat`, `exp`.
 * A token without `kind` is a household's (as tokens were before operators existed).
 * Verification allows HS256 only (no "alg" negotiation, so no "none" and no key confusion; RFC 8725
 * §3.1), requires every claim, checks the `typ` header (RFC 8725 §3.11) and allows the clock skew
 * below between the instance that issued a token and the one that checks it.
 */
import { errors, jwtVerify, SignJWT } from 'jose';
import type { OperatorRole } from '@switchfleet/cloud';

export const DEFAULT_TOKEN_TTL_SECONDS = 15 * 60;
/** Seconds of clock difference tolerated on `exp` and `iat` between API instances (NTP keeps them closer). */
export const CLOCK_TOLERANCE_SECONDS = 5;
const ALGORITHM = 'HS256';
const TYPE = 'JWT';

export class InvalidTokenError extends Error {
  readonly code = 'INVALID_TOKEN';
}

export interface IssuedToken {
  token: string;
  expiresIn: number;
}

/** Whose token: a household user's, or an operator's with its role (the role as it was at issue). */
export type TokenAccess = { kind: 'user' } | { kind: 'operator'; role: OperatorRole };

const USER: TokenAccess = { kind: 'user' };

export interface TokenClaims {
  sub: string;
  access: TokenAccess;
  /** The login session (refresh-token family) the token was issued to. */
  sid: string;
  iat: number;
  exp: number;
}

export class TokenIssuer {
  readonly #key: Uint8Array;

  constructor(
    secret: string,
    readonly ttlSeconds = DEFAULT_TOKEN_TTL_SECONDS,
    /** Milliseconds since the epoch; injectable so expiry can be tested without waiting. */
    private readonly now: () => number = Date.now,
  ) {
    if (secret.length < 32) throw new RangeError('the token secret must have at least 32 characters');
    this.#key = new TextEncoder().encode(secret);
  }

  async sign(subjectId: string, sessionId: string, access: TokenAccess = USER): Promise<IssuedToken> {
    const iat = Math.floor(this.now() / 1000);
    const token = await new SignJWT({ sid: sessionId, ...access })
      .setProtectedHeader({ alg: ALGORITHM, typ: TYPE })
      .setSubject(subjectId)
      .setIssuedAt(iat)
      .setExpirationTime(iat + this.ttlSeconds)
      .sign(this.#key);
    return { token, expiresIn: this.ttlSeconds };
  }

  /** The claims of a valid, unexpired token; throws InvalidTokenError otherwise. */
  async verify(token: string): Promise<TokenClaims> {
    let payload;
    try {
      ({ payload } = await jwtVerify(token, this.#key, {
        algorithms: [ALGORITHM],
        typ: TYPE,
        clockTolerance: CLOCK_TOLERANCE_SECONDS,
        currentDate: new Date(this.now()),
        requiredClaims: ['sub', 'sid', 'iat', 'exp'],
      }));
    } catch (e) {
      throw new InvalidTokenError(reasonOf(e));
    }
    const { sub, sid, iat, exp } = payload;
    if (typeof sub !== 'string' || typeof sid !== 'string' || typeof iat !== 'number' || typeof exp !== 'number') {
      throw new InvalidTokenError('token claims are incomplete');
    }
    return { sub, sid, iat, exp, access: accessOf(payload.kind, payload.role) };
  }
}

function accessOf(kind: unknown, role: unknown): TokenAccess {
  if (kind === undefined || kind === 'user') return USER;
  if (kind === 'operator' && (role === 'operator' || role === 'admin')) return { kind, role };
  throw new InvalidTokenError('token claim "kind" is invalid');
}

/** A message that says what is wrong without echoing the token. */
function reasonOf(e: unknown): string {
  if (e instanceof errors.JWTExpired) return 'token has expired';
  if (e instanceof errors.JOSEAlgNotAllowed) return `token algorithm must be ${ALGORITHM}`;
  if (e instanceof errors.JWSSignatureVerificationFailed) return 'token signature is invalid';
  if (e instanceof errors.JWTClaimValidationFailed) return `token claim "${e.claim}" is invalid`;
  return 'token is not a valid compact JWS';
}
