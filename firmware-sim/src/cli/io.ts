/**
 * What a command needs from the outside world, passed in so commands hold no process globals:
 * two output streams and the directory relative paths resolve against.
 */
import { resolve } from 'node:path';

export interface CliIo {
  out(text: string): void;
  err(text: string): void;
  cwd: string;
}

export const ExitCode = { ok: 0, failed: 1, usage: 2 } as const;

/** Wrong or missing arguments: exit 2, with the command's usage text. */
export class UsageError extends Error {
  readonly code = 'USAGE';
  constructor(
    message: string,
    readonly usage: string,
  ) {
    super(message);
    this.name = 'UsageError';
  }
}

/** The command ran and the answer is no (a defect, an unreadable file): exit 1. */
export class CliFailure extends Error {
  readonly code = 'FAILED';
  constructor(message: string) {
    super(message);
    this.name = 'CliFailure';
  }
}

/** Runs node:util parseArgs, turning its errors (unknown option, missing value) into UsageError. */
export function parseOrUsage<T>(parse: () => T, usage: string): T {
  try {
    return parse();
  } catch (err) {
    const code = (err as { code?: string }).code;
    if (typeof code === 'string' && code.startsWith('ERR_PARSE_ARGS')) throw new UsageError((err as Error).message, usage);
    throw err;
  }
}

export function need<T>(value: T | undefined, flag: string, usage: string): T {
  if (value === undefined) throw new UsageError(`missing ${flag}`, usage);
  return value;
}

export function pathIn(io: CliIo, file: string): string {
  return resolve(io.cwd, file);
}

/** A readable "cannot read key.pem: no such file" instead of a stack trace. */
export function ioFailure(action: string, file: string, err: unknown): CliFailure {
  const e = err as NodeJS.ErrnoException;
  const why = e.code === 'ENOENT' ? 'no such file' : e.code === 'EEXIST' ? 'file exists (use --force to replace it)' : e.message;
  return new CliFailure(`cannot ${action} ${file}: ${why}`);
}
