/** `switchfleet firmware build`: a signed simulated firmware image, faults injected at build time. */
// The firmware module alone: the package root also loads the MQTT schemas, which a CLI run does not need.
import * as firmware from '@switchfleet/protocol/firmware';
import { buildSimImage, FaultError, formatFault, parseFaults, ProgramError } from '@switchfleet/firmware-sim';
import {
  checkVersion,
  CliFailure,
  ExitCode,
  need,
  noPositionals,
  parseCommand,
  readIn,
  showUsage,
  UsageError,
  writeOut,
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
  const { values, positionals } = parseCommand(
    args,
    {
      version: { type: 'string' },
      hw: { type: 'string' },
      key: { type: 'string' },
      fault: { type: 'string', multiple: true },
      size: { type: 'string' },
      out: { type: 'string', short: 'o' },
    },
    BUILD_USAGE,
  );
  if (values.help) return showUsage(io, BUILD_USAGE);
  noPositionals(positionals, BUILD_USAGE);
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
  checkVersion(version, BUILD_USAGE);

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
  await writeOut(io, out, image);
  const parsed = firmware.parseImage(image);
  io.out(`built ${out}: version ${parsed.version}, hardware ${hardwareId}, ${image.length} bytes`);
  io.out(`faults: ${faults.length === 0 ? 'none' : faults.map(formatFault).join(', ')}`);
  io.out(`hash ${parsed.hash!.toString('hex')}`);
  return ExitCode.ok;
}
