/**
 * What every operator command (`release`, `fleet`, `update`, `rollout`) starts with: its flags parsed
 * (node:util parseArgs, errors as UsageError), help shown on -h/--help or a missing subcommand, and a
 * client of the admin API opened from the saved session only when the subcommand needs the cloud.
 */
import type { ParseArgsConfig } from 'node:util';
import { ExitCode, parseCommand, showUsage, type CliIo } from '../io.ts';
import { AdminClient } from './client.ts';
import { opsConfig } from './config.ts';

/** A flag that takes a value. */
export const VALUE = { type: 'string' } as const;

/** Opens the admin API client from the environment and the saved session. */
export const opsClient = (io: CliIo, usage: string) => () => AdminClient.open(opsConfig(io.env ?? {}, usage));

/** `<command> <sub> [flags] [operands]`: the subcommand, flags and operands, or the exit code once help was shown. */
export function opsSubcommand<const O extends NonNullable<ParseArgsConfig['options']>>(
  args: string[],
  io: CliIo,
  options: O,
  usage: string,
) {
  const [sub, ...rest] = args;
  const { values, positionals } = parseCommand(rest, options, usage);
  if (sub === undefined || sub === '--help' || sub === '-h' || (values as { help?: boolean }).help) {
    showUsage(io, usage);
    return { exit: sub === undefined ? ExitCode.usage : ExitCode.ok } as const;
  }
  return { exit: null, sub, values, positionals, connect: opsClient(io, usage) } as const;
}
