/** `switchfleet firmware build`: a signed simulated firmware image, faults injected at build time. */
import { writeFile } from 'node:fs/promises';
import { parseArgs } from 'node:util';
// The firmware module alone: the package root also loads the MQTT schemas, which a CLI run does not need.
import * as firmware from '@switchfleet/protocol/firmware';
import { buildSimImage, FaultError, formatFault, parseFaults, ProgramError } from '@switchfleet/firmware-sim';
import {
  CliFailure,
  ExitCode,
  ioFailure,
  need,
  parseOrUsage,
  pathIn,
  readIn,
  showUsage,
  UsageError,
  type CliIo,
} from '../io.ts';
import { BUILD_USAGE } from '../usage.ts';

export const DEFAULT_PAYLOAD_BYTES = 64 * 1024;

/** "262144", "256k", "256KiB", "1m" → bytes. */
export function parseSize(text: string): number | null {
  const m = /^(\d+)\s*(k|kib|m|mib)?$/i.exec(text.trim());
  if (!m) return null;
  const unit = (m[2] ?? '').toLowerCase();
  const scale = unit.startsWith('k') ? 1024 : unit.startsWith('m') ? 1024 * 1024 : 1;
  return Number(m[1]) * scale;
}

export async function build(args: string[], io: CliIo): Promise<number> {
  const { values, positionals } = parseOrUsage(
    () =>
      parseArgs({
        args,
        allowPositionals: true,
        options: {
          version: { type: 'string' },
          hw: { type: 'string' },
          key: { type: 'string' },
          fault: { type: 'string', multiple: true },
          size: { type: 'string' },
          out: { type: 'string', short: 'o' },
          help: { type: 'boolean', short: 'h' },
        },
      }),
    BUILD_USAGE,
  );
  if (values.help) return showUsage(io, BUILD_USAGE);
  if (positionals.length > 0) throw new UsageError(`unexpected argument ${positionals[0]}`, BUILD_USAGE);
  const version = need(values.version, '--version', BUILD_USAGE);
  const hardwareId = need(values.hw, '--hw', BUILD_USAGE);
  const keyFile = need(values.key, '--key', BUILD_USAGE);
  const out = need(values.out, '-o <fw.img>', BUILD_USAGE);
  const sizeBytes = values.size === undefined ? DEFAULT_PAYLOAD_BYTES : parseSize(values.size);
  if (sizeBytes === null) throw new UsageError(`--size "${values.size}" is not a byte count`, BUILD_USAGE);

  let faults;
  try {
    faults = parseFaults(values.fault ?? []);
  } catch (err) {
    if (err instanceof FaultError) throw new UsageError(err.message, BUILD_USAGE);
    throw err;
  }
  try {
    firmware.parseVersion(version);
  } catch (err) {
    throw new UsageError((err as Error).message, BUILD_USAGE);
  }

  const privateKeyPem = await readIn(io, keyFile, 'utf8');

  let image: Buffer;
  try {
    image = buildSimImage({ version, hardwareId, privateKeyPem, faults, sizeBytes });
  } catch (err) {
    if (err instanceof firmware.ImageError && err.code === 'BAD_KEY')
      throw new CliFailure(`${keyFile}: ${err.message}`);
    if (err instanceof firmware.ImageError || err instanceof ProgramError)
      throw new UsageError(err.message, BUILD_USAGE);
    throw err;
  }
  try {
    await writeFile(pathIn(io, out), image);
  } catch (err) {
    throw ioFailure('write', out, err);
  }
  const parsed = firmware.parseImage(image);
  io.out(`built ${out}: version ${parsed.version}, hardware ${hardwareId}, ${image.length} bytes`);
  io.out(`faults: ${faults.length === 0 ? 'none' : faults.map(formatFault).join(', ')}`);
  io.out(`hash ${parsed.hash!.toString('hex')}`);
  return ExitCode.ok;
}
