/**
 * Short-lived download URLs for firmware images. The signature is HMAC-SHA256 (RFC 2104) over the
 * request path, the expiry and the gateway the URL was made for, under a secret of the cloud's;
 * every instance sharing the secret can check a URL another made. Checked in constant time, so a
 * forger learns nothing from how long a refusal takes.
 */
import { createHmac, hkdfSync, timingSafeEqual } from 'node:crypto';

export interface SignedQuery {
  gw: string;
  /** Expiry, Unix seconds. */
  exp: number;
  sig: string;
}

export class DownloadSigner {
  readonly #key: Buffer;

  constructor(secret: Buffer) {
    if (secret.length < 32) throw new Error('the download signing secret needs at least 32 bytes');
    this.#key = Buffer.from(secret);
  }

  /** The path's query for `gatewayId`, valid until `expiresAt`. */
  sign(path: string, gatewayId: string, expiresAt: Date): SignedQuery {
    const exp = Math.floor(expiresAt.getTime() / 1000);
    return { gw: gatewayId, exp, sig: this.#mac(path, gatewayId, exp).toString('base64url') };
  }

  /** True when `query` was made by `sign` for this path and has not expired at `now`. */
  verify(path: string, query: Partial<Record<keyof SignedQuery, unknown>>, now = new Date()): boolean {
    const { gw, exp, sig } = query;
    const expiry = typeof exp === 'string' ? Number(exp) : exp;
    if (typeof gw !== 'string' || typeof sig !== 'string' || typeof expiry !== 'number') return false;
    if (!Number.isSafeInteger(expiry) || expiry * 1000 <= now.getTime()) return false;
    const given = Buffer.from(sig, 'base64url');
    const want = this.#mac(path, gw, expiry);
    return given.length === want.length && timingSafeEqual(given, want);
  }

  #mac(path: string, gatewayId: string, exp: number): Buffer {
    // Newline-separated: none of the three may contain one (a path, a topic-safe id, digits).
    return createHmac('sha256', this.#key).update(`GET\n${path}\n${exp}\n${gatewayId}`).digest();
  }
}

export const firmwarePath = (sha256: string) => `/v1/firmware/${sha256}`;

/**
 * A download-signing key derived from another secret of the deployment (the API's token key) with
 * HKDF (RFC 5869) under its own label, so neither key tells anything of the other.
 */
export function deriveDownloadSecret(secret: string): Buffer {
  return Buffer.from(hkdfSync('sha256', secret, 'switchfleet', 'firmware download urls', 32));
}
