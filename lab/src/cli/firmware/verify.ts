/** `switchfleet firmware verify`: the same verifyImage the gateway and the switch run, with a summary. */
// The firmware module alone: the package root also loads the MQTT schemas, which a CLI run does not need.
import * as firmware from '@switchfleet/protocol/firmware';
import { decodeProgram, formatFault } from '@switchfleet/firmware-sim';
import {
  checkVersion,
  CliFailure,
  ExitCode,
  imageArgs,
  parseCommand,
  readIn,
  readTrustedKeys,
  showUsage,
  uint32Option,
  UsageError,
  type CliIo,
} from '../io.ts';
import { VERIFY_USAGE } from '../usage.ts';

export async function verify(args: string[], io: CliIo): Promise<number> {
  const { values, positionals } = parseCommand(
    args,
    {
      pub: { type: 'string', multiple: true },
      hw: { type: 'string' },
      running: { type: 'string' },
      counter: { type: 'string' },
    },
    VERIFY_USAGE,
  );
  if (values.help) return showUsage(io, VERIFY_USAGE);
  const { file, pubFiles } = imageArgs(positionals, values.pub, VERIFY_USAGE);
  if (pubFiles.length === 0) throw new UsageError('missing --pub <key.pub>', VERIFY_USAGE);
  if (values.running !== undefined) checkVersion(values.running, VERIFY_USAGE, '--running: ');
  const counter = values.counter === undefined ? undefined : uint32Option(values.counter, '--counter', VERIFY_USAGE);

  const publicKeys = await readTrustedKeys(io, pubFiles);
  const image = await readIn(io, file);

  let result: firmware.VerifyResult;
  try {
    result = firmware.verifyImage(image, {
      publicKeys,
      ...(values.hw === undefined ? {} : { hardwareId: values.hw }),
      ...(values.running === undefined ? {} : { runningVersion: values.running }),
      ...(counter === undefined ? {} : { minSecurityCounter: counter }),
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
  io.out(
    `version ${parsed.version}, hardware ${parsed.hardwareId ?? '(none)'}, security counter ${parsed.securityCounter ?? '(none)'}`,
  );
  io.out(`${parsed.totalLength} bytes, payload ${parsed.payload.length} bytes`);
  if (parsed.padding) io.out(describePadding(parsed.padding));
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

/** What imgtool --pad left after the TLVs, and what MCUboot makes of its trailer. */
function describePadding(p: firmware.ImagePadding): string {
  const erased = `0x${p.erasedValue.toString(16).padStart(2, '0')}`;
  if (!p.bootMagic) return `padded with ${p.length} bytes of ${erased}, no image trailer`;
  const swap = p.imageOk ? 'image_ok set: swapped in permanently' : 'image_ok unset: swapped in for test';
  return `padded with ${p.length} bytes of ${erased} ending in an MCUboot trailer (max align ${p.maxAlign}, ${swap})`;
}
