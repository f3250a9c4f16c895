/** `switchfleet firmware keygen -o key.pem`: an Ed25519 pair, private key readable by its owner only. */
import { access, chmod, writeFile } from 'node:fs/promises';
// The firmware module alone: the package root also loads the MQTT schemas, which a CLI run does not need.
import * as firmware from '@switchfleet/protocol/firmware';
import {
  CliFailure,
  ExitCode,
  ioFailure,
  need,
  noPositionals,
  parseCommand,
  pathIn,
  showUsage,
  type CliIo,
} from '../io.ts';
import { KEYGEN_USAGE } from '../usage.ts';

/** key.pem → key.pub; a name without .pem gets .pub appended. */
export function publicKeyPath(privatePath: string): string {
  return `${privatePath.replace(/\.pem$/i, '')}.pub`;
}

/** Which file of the pair could not be written, and the file system's error. */
export class KeyFileError extends Error {
  readonly code = 'KEY_FILE';
  constructor(
    readonly which: 'private' | 'public',
    override readonly cause: unknown,
  ) {
    super(`cannot write the ${which} key: ${(cause as Error)?.message ?? String(cause)}`);
  }
}

/**
 * A fresh Ed25519 pair written as `keygen` writes it: the private key (PKCS#8 PEM, mode 0600) at
 * `privatePath`, the public one (SPKI PEM) beside it (publicKeyPath). Without `force` an existing
 * file is an error (EEXIST), never replaced.
 */
export async function writeSigningKeyPair(
  privatePath: string,
  options: { force?: boolean } = {},
): Promise<firmware.SigningKey> {
  const flag = options.force ? 'w' : 'wx';
  const key = firmware.generateSigningKey();
  try {
    await writeFile(privatePath, key.privateKeyPem, { mode: 0o600, flag });
    // mode applies only when the file is created; a replaced key must not keep looser rights.
    await chmod(privatePath, 0o600);
  } catch (err) {
    throw new KeyFileError('private', err);
  }
  try {
    await writeFile(publicKeyPath(privatePath), key.publicKeyPem, { mode: 0o644, flag });
  } catch (err) {
    throw new KeyFileError('public', err);
  }
  return key;
}

export async function keygen(args: string[], io: CliIo): Promise<number> {
  const { values, positionals } = parseCommand(
    args,
    { out: { type: 'string', short: 'o' }, force: { type: 'boolean' } },
    KEYGEN_USAGE,
  );
  if (values.help) return showUsage(io, KEYGEN_USAGE);
  noPositionals(positionals, KEYGEN_USAGE);
  const out = need(values.out, '-o <key.pem>', KEYGEN_USAGE);
  const privatePath = pathIn(io, out);
  const publicPath = publicKeyPath(privatePath);
  if (!values.force) {
    // Check both before writing either, so a refusal never leaves half a pair behind.
    for (const [path, shown] of [
      [privatePath, out],
      [publicPath, publicKeyPath(out)],
    ] as const) {
      if (await exists(path)) throw new CliFailure(`cannot write ${shown}: file exists (use --force to replace it)`);
    }
  }
  const key = await writeSigningKeyPair(privatePath, { force: values.force === true }).catch((err: unknown) => {
    throw err instanceof KeyFileError
      ? ioFailure('write', err.which === 'public' ? publicKeyPath(out) : out, err.cause)
      : err;
  });
  const keyHash = firmware.keyHashOf(firmware.loadPublicKey(key.publicKeyPem)).toString('hex');
  io.out(`wrote ${out} (private, mode 0600) and ${publicKeyPath(out)} (public)`);
  io.out(`key hash ${keyHash}`);
  return ExitCode.ok;
}

async function exists(path: string): Promise<boolean> {
  try {
    await access(path);
    return true;
  } catch {
    return false;
  }
}
