/**
 * `switchfleet firmware test`: the release test suite. The suite itself is not written yet; until
 * it is, this command says so and exits 2 rather than pretending an image passed.
 */
import { parseArgs } from 'node:util';
import { ExitCode, parseOrUsage, UsageError, type CliIo } from '../io.ts';
import { TEST_USAGE } from '../usage.ts';

export async function test(args: string[], io: CliIo): Promise<number> {
  const { values, positionals } = parseOrUsage(
    () => parseArgs({
      args,
      allowPositionals: true,
      options: { json: { type: 'string' }, help: { type: 'boolean', short: 'h' } },
    }),
    TEST_USAGE,
  );
  if (values.help) {
    io.out(TEST_USAGE);
    return ExitCode.ok;
  }
  if (positionals.length !== 1) throw new UsageError('expected exactly one image file', TEST_USAGE);
  io.err('switchfleet firmware test: the release suite is not available yet');
  return ExitCode.usage;
}
