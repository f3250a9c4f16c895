/**
 * `switchfleet` entry: dispatches to one file per command and maps outcomes to exit codes
 * (0 ok, 1 the answer is no or a file could not be used, 2 usage, 3 not logged in, 4 the API could
 * not be reached: ExitCode). bin/switchfleet.js calls runCli.
 */
import { CliExit, CliFailure, ExitCode, UsageError, type CliIo } from './io.ts';
import { MAIN_USAGE } from './usage.ts';

type Command = (args: string[], io: CliIo) => Promise<number>;

/** Loaded on demand, so `--help` and one command do not pay for loading every other one. */
const firmwareCommands = new Map<string, () => Promise<Command>>([
  ['keygen', async () => (await import('./firmware/keygen.ts')).keygen],
  ['build', async () => (await import('./firmware/build.ts')).build],
  ['verify', async () => (await import('./firmware/verify.ts')).verify],
  ['test', async () => (await import('./firmware/test.ts')).test],
]);

export async function runCli(argv: string[], io: CliIo): Promise<number> {
  const [group, name, ...rest] = argv;
  try {
    if (group === undefined || group === '--help' || group === '-h' || group === 'help') {
      io.out(MAIN_USAGE);
      return group === undefined ? ExitCode.usage : ExitCode.ok;
    }
    if (group === 'login') return await (await import('./ops/login.ts')).login(argv.slice(1), io);
    if (group === 'release') return await (await import('./ops/release.ts')).release(argv.slice(1), io);
    if (group === 'update') return await (await import('./ops/update.ts')).update(argv.slice(1), io);
    if (group === 'fleet') return await (await import('./ops/fleet.ts')).fleet(argv.slice(1), io);
    if (group === 'rollout') return await (await import('./ops/rollout.ts')).rollout(argv.slice(1), io);
    if (group !== 'firmware') throw new UsageError(`unknown command "${group}"`, MAIN_USAGE);
    if (name === undefined || name === '--help' || name === '-h') {
      io.out(MAIN_USAGE);
      return name === undefined ? ExitCode.usage : ExitCode.ok;
    }
    const load = firmwareCommands.get(name);
    if (!load) throw new UsageError(`unknown command "firmware ${name}"`, MAIN_USAGE);
    return await (await load())(rest, io);
  } catch (err) {
    if (err instanceof UsageError) {
      io.err(`switchfleet: ${err.message}\n\n${err.usage}`);
      return ExitCode.usage;
    }
    if (err instanceof CliExit) {
      io.err(`switchfleet: ${err.message}`);
      return err.exitCode;
    }
    if (err instanceof CliFailure) {
      io.err(`switchfleet: ${err.message}`);
      return ExitCode.failed;
    }
    throw err;
  }
}
