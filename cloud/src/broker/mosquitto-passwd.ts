/**
 * mosquitto's password-file hash (mosquitto 2.0 `mosquitto_passwd`, its `$7$` form): PBKDF2-HMAC-SHA512
 * over the password with a 12-byte salt, a 64-byte key, both in padded base64, as
 * `$7$<iterations>$<salt>$<key>`. Gateway secrets are stored in this form, so the one stored hash is
 * checked by the embedded broker here and written unchanged into mosquitto's password file.
 */
import { pbkdf2, randomBytes, timingSafeEqual } from 'node:crypto';

const SALT_BYTES = 12;
const KEY_BYTES = 64;
/**
 * A gateway secret is 192 random bits (newSecret), so key stretching is not what guards it; the
 * count only sets what every CONNECT costs the broker. Above mosquitto_passwd's default of 101.
 */
const ITERATIONS = 1000;

function derive(secret: string, salt: Buffer, iterations: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    pbkdf2(secret, salt, iterations, KEY_BYTES, 'sha512', (err, key) => (err ? reject(err) : resolve(key)));
  });
}

export async function hashForMosquitto(secret: string): Promise<string> {
  const salt = randomBytes(SALT_BYTES);
  const key = await derive(secret, salt, ITERATIONS);
  return `$7$${ITERATIONS}$${salt.toString('base64')}$${key.toString('base64')}`;
}

export function isMosquittoHash(stored: string): boolean {
  return parseHash(stored) !== null;
}

/** False for a wrong secret and for a stored value that is not a `$7$` hash. Constant-time compare. */
export async function verifyMosquittoHash(secret: string, stored: string): Promise<boolean> {
  const parsed = parseHash(stored);
  if (!parsed) return false;
  const actual = await derive(secret, parsed.salt, parsed.iterations);
  return timingSafeEqual(actual, parsed.key);
}

function parseHash(stored: string): { iterations: number; salt: Buffer; key: Buffer } | null {
  const match = /^\$7\$(\d{1,7})\$([A-Za-z0-9+/=]+)\$([A-Za-z0-9+/=]+)$/.exec(stored);
  if (!match) return null;
  const iterations = Number(match[1]);
  const key = Buffer.from(match[3]!, 'base64');
  if (iterations < 1 || key.length !== KEY_BYTES) return null;
  return { iterations, salt: Buffer.from(match[2]!, 'base64'), key };
}

/** One line of a mosquitto password file (mosquitto_passwd(1)): `<username>:<hash>`. */
export function passwordLine(username: string, hash: string): string {
  if (/[:\s]/.test(username)) throw new Error(`"${username}" cannot be a mosquitto username`);
  return `${username}:${hash}`;
}
