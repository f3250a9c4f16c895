/**
 * Access tokens: compact JWS with HS256 (RFC 7515/7519), written on node:crypto. Only what the API
 * needs: `sub` (user id), `sid` (the login session, so that logout ends the token too), `iat`, `exp`. Verification pins the algorithm (no "alg" negotiation, so no
 * "none" and no key confusion), checks the signature in constant time, then the expiry.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';

export const DEFAULT_TOKEN_TTL_SECONDS = 15 * 60;
const HEADER = base64url(JSON.stringify({ alg: 'HS256', typ: 'JWT' }));

export class InvalidTokenError extends Error {
  readonly code = 'INVALID_TOKEN';
}

export interface IssuedToken {
  token: string;
  expiresIn: number;
}

export interface TokenClaims {
  sub: string;
  /** The login session (refresh-token family) the token was issued to. */
  sid: string;
  iat: number;
  exp: number;
}

export class TokenIssuer {
  readonly #key: Buffer;

  constructor(
    secret: string,
    readonly ttlSeconds = DEFAULT_TOKEN_TTL_SECONDS,
    /** Milliseconds since the epoch; injectable so expiry can be tested without waiting. */
    private readonly now: () => number = Date.now,
  ) {
    if (secret.length < 32) throw new RangeError('the token secret must have at least 32 characters');
    this.#key = Buffer.from(secret);
  }

  sign(userId: string, sessionId: string): IssuedToken {
    const iat = Math.floor(this.now() / 1000);
    const payload = base64url(JSON.stringify({ sub: userId, sid: sessionId, iat, exp: iat + this.ttlSeconds }));
    return { token: `${HEADER}.${payload}.${this.mac(`${HEADER}.${payload}`)}`, expiresIn: this.ttlSeconds };
  }

  /** The claims of a valid, unexpired token; throws InvalidTokenError otherwise. */
  verify(token: string): TokenClaims {
    const parts = token.split('.');
    if (parts.length !== 3) throw new InvalidTokenError('token is not a compact JWS');
    const [header, payload, signature] = parts as [string, string, string];
    const headerJson = parseJson(header);
    if (headerJson?.alg !== 'HS256') throw new InvalidTokenError('token algorithm must be HS256');
    const expected = Buffer.from(this.mac(`${header}.${payload}`));
    const actual = Buffer.from(signature);
    if (actual.length !== expected.length || !timingSafeEqual(actual, expected)) throw new InvalidTokenError('token signature is invalid');
    const claims = parseJson(payload);
    if (typeof claims?.sub !== 'string' || typeof claims.sid !== 'string' || typeof claims.exp !== 'number' || typeof claims.iat !== 'number') {
      throw new InvalidTokenError('token claims are incomplete');
    }
    if (claims.exp <= Math.floor(this.now() / 1000)) throw new InvalidTokenError('token has expired');
    return { sub: claims.sub, sid: claims.sid, iat: claims.iat, exp: claims.exp };
  }

  private mac(input: string): string {
    return createHmac('sha256', this.#key).update(input).digest('base64url');
  }
}

function base64url(text: string): string {
  return Buffer.from(text).toString('base64url');
}

function parseJson(segment: string): Record<string, unknown> | null {
  try {
    const value: unknown = JSON.parse(Buffer.from(segment, 'base64url').toString());
    return typeof value === 'object' && value !== null ? (value as Record<string, unknown>) : null;
  } catch {
    return null;
  }
}
