/** `switchfleet firmware verify`: the same verifyImage the gateway and the switch run, with a summary. */
import { readFile } from 'node:fs/promises';
import { parseArgs } from 'node:util';
// The firmware module alone: the package root also loads the MQTT schemas, which a CLI run does not need.
import * as firmware from '@switchfleet/protocol/firmware/index';
import { decodeProgram, formatFault } from '../../image/index.ts';
import { CliFailure, ExitCode, ioFailure, parseOrUsage, pathIn, UsageError, type CliIo } from '../io.ts';
import { VERIFY_USAGE } from '../usage.ts';

export async function verify(args: string[], io: CliIo): Promise<number> {
  const { values, positionals } = parseOrUsage(
    () => parseArgs({
      args,
      allowPositionals: true,
      options: {
        pub: { type: 'string', multiple: true },
        hw: { type: 'string' },
        running: { type: 'string' },
        help: { type: 'boolean', short: 'h' },
      },
    }),
    VERIFY_USAGE,
  );
  if (values.help) {
    io.out(VERIFY_USAGE);
    return ExitCode.ok;
  }
  if (positionals.length !== 1) throw new UsageError('expected exactly one image file', VERIFY_USAGE);
  const file = positionals[0]!;
  const pubFiles = values.pub ?? [];
  if (pubFiles.length === 0) throw new UsageError('missing --pub <key.pub>', VERIFY_USAGE);
  if (values.running !== undefined) {
    try {
      firmware.parseVersion(values.running);
    } catch (err) {
      throw new UsageError(`--running: ${(err as Error).message}`, VERIFY_USAGE);
    }
  }

  const publicKeys: string[] = [];
  for (const pub of pubFiles) {
    try {
      publicKeys.push(await readFile(pathIn(io, pub), 'utf8'));
    } catch (err) {
      throw ioFailure('read', pub, err);
    }
  }
  let image: Buffer;
  try {
    image = await readFile(pathIn(io, file));
  } catch (err) {
    throw ioFailure('read', file, err);
  }

  let result: firmware.VerifyResult;
  try {
    result = firmware.verifyImage(image, {
      publicKeys,
      ...(values.hw === undefined ? {} : { hardwareId: values.hw }),
      ...(values.running === undefined ? {} : { runningVersion: values.running }),
    });
  } catch (err) {
    if (err instanceof firmware.ImageError) throw new CliFailure(`trusted key: ${err.message}`);
    throw err;
  }
  if (!result.ok) {
    const detail = result.detail ? ` (${result.detail})` : '';
    throw new CliFailure(`${file}: ${result.code}${detail}: ${result.reason}`);
  }
  const parsed = result.image;
  io.out(`${file}: OK`);
  io.out(`version ${parsed.version}, hardware ${parsed.hardwareId ?? '(none)'}, security counter ${parsed.securityCounter ?? '(none)'}`);
  io.out(`${parsed.totalLength} bytes, payload ${parsed.payload.length} bytes`);
  io.out(`hash ${parsed.hash!.toString('hex')}`);
  io.out(`signed by key ${result.keyHash.toString('hex')}`);
  io.out(describeProgram(parsed.payload));
  return ExitCode.ok;
}

/** A signed image is not necessarily a good release: show what faults it was built with. */
function describeProgram(payload: Buffer): string {
  try {
    const program = decodeProgram(payload);
    return `faults: ${program.faults.length === 0 ? 'none' : program.faults.map(formatFault).join(', ')}`;
  } catch (err) {
    return `payload is not a simulated program (${(err as Error).message})`;
  }
}
