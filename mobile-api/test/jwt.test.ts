import { SignJWT } from 'jose';
import { describe, expect, it } from 'vitest';
import { CLOCK_TOLERANCE_SECONDS, InvalidTokenError, TokenIssuer } from '../src/jwt.ts';

const SECRET = 'a-secret-of-at-least-thirty-two-chars';
const key = new TextEncoder().encode(SECRET);

function forge(header: object, claims: object, signature = ''): string {
  const part = (o: object) => Buffer.from(JSON.stringify(o)).toString('base64url');
  return `${part(header)}.${part(claims)}.${signature}`;
}

describe('access tokens', () => {
  it('carry sub, sid, iat and exp, and verify with the key that signed them', async () => {
    const issuer = new TokenIssuer(SECRET, 900, () => 1_700_000_000_000);
    const { token, expiresIn } = await issuer.sign('user-1', 'session-1');
    expect(expiresIn).toBe(900);
    expect(await issuer.verify(token)).toEqual({
      sub: 'user-1',
      sid: 'session-1',
      iat: 1_700_000_000,
      exp: 1_700_000_900,
      access: { kind: 'user' },
    });
    const header = JSON.parse(Buffer.from(token.split('.')[0]!, 'base64url').toString());
    expect(header).toEqual({ alg: 'HS256', typ: 'JWT' });
  });

  it("carry an operator's kind and role, and refuse a kind or role they do not know", async () => {
    const issuer = new TokenIssuer(SECRET);
    const { token } = await issuer.sign('op-1', 'session-1', { kind: 'operator', role: 'admin' });
    expect((await issuer.verify(token)).access).toEqual({ kind: 'operator', role: 'admin' });
    const now = Math.floor(Date.now() / 1000);
    for (const claims of [{ kind: 'operator' }, { kind: 'operator', role: 'root' }, { kind: 'robot' }]) {
      const odd = await new SignJWT({ sid: 's', ...claims })
        .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
        .setSubject('op-1')
        .setIssuedAt(now)
        .setExpirationTime(now + 60)
        .sign(key);
      await expect(issuer.verify(odd), JSON.stringify(claims)).rejects.toThrow(/kind/);
    }
  });

  it('are refused when signed with another key', async () => {
    const token = (await new TokenIssuer('another-secret-of-thirty-two-chars!!').sign('user-1', 'session-1')).token;
    await expect(new TokenIssuer(SECRET).verify(token)).rejects.toThrow(/signature/);
  });

  it('are refused once expired, past the stated clock tolerance and not before', async () => {
    const issuedAt = Date.now() - 3_600_000;
    const token = (await new TokenIssuer(SECRET, 900, () => issuedAt).sign('user-1', 'session-1')).token;
    await expect(new TokenIssuer(SECRET).verify(token)).rejects.toThrow(/expired/);
    const expiry = issuedAt + 900_000;
    const justAfter = new TokenIssuer(SECRET, 900, () => expiry + (CLOCK_TOLERANCE_SECONDS - 2) * 1000);
    expect((await justAfter.verify(token)).sub).toBe('user-1');
    const pastTolerance = new TokenIssuer(SECRET, 900, () => expiry + (CLOCK_TOLERANCE_SECONDS + 2) * 1000);
    await expect(pastTolerance.verify(token)).rejects.toThrow(InvalidTokenError);
  });

  it('are refused with alg "none", another HMAC algorithm, a tampered payload or garbage', async () => {
    const issuer = new TokenIssuer(SECRET);
    const iat = Math.floor(Date.now() / 1000);
    const claims = { sub: 'admin', sid: 's', iat, exp: iat + 600 };
    await expect(issuer.verify(forge({ alg: 'none', typ: 'JWT' }, claims))).rejects.toThrow(/HS256/);
    const hs512 = await new SignJWT(claims).setProtectedHeader({ alg: 'HS512', typ: 'JWT' }).sign(key);
    await expect(issuer.verify(hs512)).rejects.toThrow(/HS256/);
    const [header, , signature] = (await issuer.sign('user-1', 'session-1')).token.split('.');
    const tampered = `${header}.${Buffer.from(JSON.stringify(claims)).toString('base64url')}.${signature}`;
    await expect(issuer.verify(tampered)).rejects.toThrow(/signature/);
    await expect(issuer.verify('not-a-token')).rejects.toThrow(InvalidTokenError);
  });

  it('are refused without a session claim or with another type', async () => {
    const issuer = new TokenIssuer(SECRET);
    const noSid = await new SignJWT({})
      .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
      .setSubject('u')
      .setIssuedAt()
      .setExpirationTime('5m')
      .sign(key);
    await expect(issuer.verify(noSid)).rejects.toThrow(/sid/);
    const otherType = await new SignJWT({ sid: 's' })
      .setProtectedHeader({ alg: 'HS256', typ: 'at+jwt' })
      .setSubject('u')
      .setIssuedAt()
      .setExpirationTime('5m')
      .sign(key);
    await expect(issuer.verify(otherType)).rejects.toThrow(/typ/);
  });

  it('cannot be made with a short key', () => {
    expect(() => new TokenIssuer('short')).toThrow(RangeError);
  });
});
