/**
 * The demo release signing key of `npm start`: an Ed25519 pair in `switchfleet firmware keygen`'s
 * format at `<DATA_DIR>/keys/release.pem` (private, mode 0600) and `release.pub` (public), made on
 * the first start and read on every later one, never replaced. Its public half is the key the
 * cloud, the gateway and the simulated switches trust.
 */
import { mkdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { firmware } from '@switchfleet/protocol';
import { publicKeyPath, writeSigningKeyPair } from '@switchfleet/lab';

export interface ReleaseKeys {
  privatePath: string;
  publicPath: string;
  privateKeyPem: string;
  publicKeyPem: string;
  /** True when this call made the pair. */
  created: boolean;
}

export class ReleaseKeyError extends Error {
  readonly code = 'RELEASE_KEY';
}

export async function ensureReleaseKeys(dataDir: string): Promise<ReleaseKeys> {
  const dir = join(dataDir, 'keys');
  const privatePath = join(dir, 'release.pem');
  const publicPath = publicKeyPath(privatePath);
  const [privateKeyPem, publicKeyPem] = await Promise.all([readIfThere(privatePath), readIfThere(publicPath)]);
  if (privateKeyPem === null && publicKeyPem === null) {
    await mkdir(dir, { recursive: true, mode: 0o700 });
    const key = await writeSigningKeyPair(privatePath);
    return { privatePath, publicPath, ...key, created: true };
  }
  // Half a pair, or two halves that do not belong together: a person must look, nothing is replaced.
  if (privateKeyPem === null || publicKeyPem === null) {
    throw new ReleaseKeyError(`${privateKeyPem === null ? privatePath : publicPath} is missing beside its pair`);
  }
  if (
    firmware.publicKeyPemOf(privateKeyPem) !==
    firmware.loadPublicKey(publicKeyPem).export({ type: 'spki', format: 'pem' })
  ) {
    throw new ReleaseKeyError(`${publicPath} is not the public half of ${privatePath}`);
  }
  return { privatePath, publicPath, privateKeyPem, publicKeyPem, created: false };
}

async function readIfThere(path: string): Promise<string | null> {
  try {
    return await readFile(path, 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw e;
  }
}
