/**
 * `switchfleet firmware test`: the release test suite on one image. Prints a summary, writes the
 * JSON report when asked, and exits 0 only when every case passed (1 when any failed).
 */
import { readFile, writeFile } from 'node:fs/promises';
import { parseArgs } from 'node:util';
import * as firmware from '@switchfleet/protocol/firmware/index';
import { formatSummary, runReleaseSuite, SuiteError, type ReleaseSuiteOptions } from '../../suite/index.ts';
import { CliFailure, ExitCode, ioFailure, parseOrUsage, pathIn, UsageError, type CliIo } from '../io.ts';
import { TEST_USAGE } from '../usage.ts';

export async function test(args: string[], io: CliIo): Promise<number> {
  const { values, positionals } = parseOrUsage(
    () => parseArgs({
      args,
      allowPositionals: true,
      options: {
        pub: { type: 'string', multiple: true },
        key: { type: 'string' },
        previous: { type: 'string' },
        json: { type: 'string' },
        seed: { type: 'string' },
        case: { type: 'string', multiple: true },
        help: { type: 'boolean', short: 'h' },
      },
    }),
    TEST_USAGE,
  );
  if (values.help) {
    io.out(TEST_USAGE);
    return ExitCode.ok;
  }
  if (positionals.length !== 1) throw new UsageError('expected exactly one image file', TEST_USAGE);
  const file = positionals[0]!;
  const pubFiles = values.pub ?? [];
  if (pubFiles.length === 0 && values.key === undefined) throw new UsageError('missing --pub <key.pub>', TEST_USAGE);
  let seed: number | undefined;
  if (values.seed !== undefined) {
    seed = Number(values.seed);
    if (!/^\d+$/.test(values.seed) || seed > 0xffff_ffff) throw new UsageError(`--seed "${values.seed}" is not a whole number 0..4294967295`, TEST_USAGE);
  }

  const publicKeys = await Promise.all(pubFiles.map((f) => read(io, f, 'utf8')));
  const options: ReleaseSuiteOptions = { image: await read(io, file), publicKeys };
  if (values.key !== undefined) {
    options.privateKeyPem = await read(io, values.key, 'utf8');
    // Without --pub, the releases are the ones this key signs.
    if (publicKeys.length === 0) options.publicKeys = [publicHalf(options.privateKeyPem, values.key)];
  }
  if (values.previous !== undefined) options.previousImage = await read(io, values.previous);
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
    try {
      await writeFile(pathIn(io, values.json), `${JSON.stringify(report, null, 2)}\n`);
    } catch (err) {
      throw ioFailure('write', values.json, err);
    }
    io.out(`report written to ${values.json}`);
  }
  return report.failed === 0 ? ExitCode.ok : ExitCode.failed;
}

function read(io: CliIo, file: string): Promise<Buffer>;
function read(io: CliIo, file: string, encoding: 'utf8'): Promise<string>;
async function read(io: CliIo, file: string, encoding?: 'utf8'): Promise<Buffer | string> {
  try {
    return encoding ? await readFile(pathIn(io, file), encoding) : await readFile(pathIn(io, file));
  } catch (err) {
    throw ioFailure('read', file, err);
  }
}

function publicHalf(privateKeyPem: string, file: string): string {
  try {
    return firmware.publicKeyPemOf(privateKeyPem);
  } catch (err) {
    throw new CliFailure(`${file}: ${(err as Error).message}`);
  }
}
