/**
 * `switchfleet firmware test`: the release test suite on one image. Prints a summary, writes the
 * JSON report when asked, and exits 0 only when every case passed (1 when any failed).
 */
import * as firmware from '@switchfleet/protocol/firmware';
import { formatSummary, runReleaseSuite, SuiteError, type ReleaseSuiteOptions } from '../../suite/index.ts';
import {
  CliFailure,
  ExitCode,
  imageArgs,
  parseCommand,
  readIn,
  readTrustedKeys,
  showUsage,
  uint32Option,
  UsageError,
  writeOut,
  type CliIo,
} from '../io.ts';
import { TEST_USAGE } from '../usage.ts';

export async function test(args: string[], io: CliIo): Promise<number> {
  const { values, positionals } = parseCommand(
    args,
    {
      pub: { type: 'string', multiple: true },
      key: { type: 'string' },
      previous: { type: 'string' },
      json: { type: 'string' },
      seed: { type: 'string' },
      case: { type: 'string', multiple: true },
    },
    TEST_USAGE,
  );
  if (values.help) return showUsage(io, TEST_USAGE);
  const { file, pubFiles } = imageArgs(positionals, values.pub, TEST_USAGE);
  if (pubFiles.length === 0 && values.key === undefined) throw new UsageError('missing --pub <key.pub>', TEST_USAGE);
  const seed = values.seed === undefined ? undefined : uint32Option(values.seed, '--seed', TEST_USAGE);

  const publicKeys = await readTrustedKeys(io, pubFiles);
  const options: ReleaseSuiteOptions = { image: await readIn(io, file), publicKeys };
  if (values.key !== undefined) {
    options.privateKeyPem = await readIn(io, values.key, 'utf8');
    // Without --pub, the releases are the ones this key signs.
    if (publicKeys.length === 0) options.publicKeys = [publicHalf(options.privateKeyPem, values.key)];
  }
  if (values.previous !== undefined) options.previousImage = await readIn(io, values.previous);
  if (seed !== undefined) options.seed = seed;
  if (values.case !== undefined) options.cases = values.case;
  options.onCase = (c) => io.err(`${c.status === 'passed' ? 'pass' : 'FAIL'} ${c.name} (${c.durationMs} ms)`);

  let report;
  try {
    report = await runReleaseSuite(options);
  } catch (err) {
    if (err instanceof SuiteError) {
      if (err.code === 'UNKNOWN_CASE') throw new UsageError(err.message, TEST_USAGE);
      throw new CliFailure(`${file}: ${err.message}`);
    }
    throw err;
  }
  io.out(formatSummary(report, file));
  if (values.json !== undefined) {
    await writeOut(io, values.json, `${JSON.stringify(report, null, 2)}\n`);
    io.out(`report written to ${values.json}`);
  }
  return report.failed === 0 ? ExitCode.ok : ExitCode.failed;
}

function publicHalf(privateKeyPem: string, file: string): string {
  try {
    return firmware.publicKeyPemOf(privateKeyPem);
  } catch (err) {
    throw new CliFailure(`${file}: ${(err as Error).message}`);
  }
}
