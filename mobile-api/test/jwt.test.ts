import { describe, expect, it } from 'vitest';
import { InvalidTokenError, TokenIssuer } from '../src/jwt.ts';

const SECRET = 'a-secret-of-at-least-thirty-two-chars';

function forge(header: object, claims: object, signature = ''): string {
  const part = (o: object) => Buffer.from(JSON.stringify(o)).toString('base64url');
  return `${part(header)}.${part(claims)}.${signature}`;
}

describe('access tokens', () => {
  it('carry the user id and verify with the key that signed them', () => {
    const issuer = new TokenIssuer(SECRET, 900);
    const { token, expiresIn } = issuer.sign('user-1', 'session-1');
    expect(expiresIn).toBe(900);
    expect(issuer.verify(token).sub).toBe('user-1');
  });

  it('are refused when signed with another key', () => {
    const token = new TokenIssuer('another-secret-of-thirty-two-chars!!').sign('user-1', 'session-1').token;
    expect(() => new TokenIssuer(SECRET).verify(token)).toThrow(InvalidTokenError);
  });

  it('are refused once expired', () => {
    const anHourAgo = Date.now() - 3_600_000;
    const token = new TokenIssuer(SECRET, 900, () => anHourAgo).sign('user-1', 'session-1').token;
    expect(() => new TokenIssuer(SECRET).verify(token)).toThrow(/expired/);
  });

  it('are refused with alg "none" or a tampered payload', () => {
    const issuer = new TokenIssuer(SECRET);
    const exp = Math.floor(Date.now() / 1000) + 600;
    expect(() => issuer.verify(forge({ alg: 'none', typ: 'JWT' }, { sub: 'admin', iat: 0, exp }))).toThrow(/HS256/);
    const [header, , signature] = issuer.sign('user-1', 'session-1').token.split('.');
    const tampered = `${header}.${Buffer.from(JSON.stringify({ sub: 'admin', iat: 0, exp })).toString('base64url')}.${signature}`;
    expect(() => issuer.verify(tampered)).toThrow(/signature/);
    expect(() => issuer.verify('not-a-token')).toThrow(InvalidTokenError);
  });

  it('cannot be made with a short key', () => {
    expect(() => new TokenIssuer('short')).toThrow(RangeError);
  });
});
