/**
 * What a command needs from the outside world, passed in so commands hold no process globals:
 * two output streams, the directory relative paths resolve against, and for the commands that talk
 * to the cloud, the environment (read by ops/config.ts alone) and the input a password comes from.
 */
import { readFile, writeFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { parseArgs, type ParseArgsConfig } from 'node:util';
// The firmware module alone: the package root also loads the MQTT schemas, which a CLI run does not need.
import { parseVersion } from '@switchfleet/protocol/firmware';

export interface CliIo {
  out(text: string): void;
  err(text: string): void;
  cwd: string;
  env?: Readonly<Record<string, string | undefined>>;
  stdin?: NodeJS.ReadStream;
  /** Writes to the terminal without a line break (a prompt); stderr, so stdout stays the command's output. */
  prompt?: (text: string) => void;
  /** Standard output when it is a terminal: progress is drawn there in place; absent for a pipe or a file. */
  terminal?: Terminal;
}

/** A terminal to draw on: text written as is, and its width in columns. */
export interface Terminal {
  write(text: string): void;
  columns(): number;
}

/** 3: not logged in, the session ended or the login was refused; 4: the API could not be reached. */
export const ExitCode = { ok: 0, failed: 1, usage: 2, auth: 3, unreachable: 4 } as const;

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

/** The cloud answered, or could not be asked: exit with `exitCode` (ExitCode.failed, auth or unreachable). */
export class CliExit extends Error {
  constructor(
    message: string,
    readonly exitCode: number,
  ) {
    super(message);
    this.name = 'CliExit';
  }
}

/** Runs node:util parseArgs, turning its errors (unknown option, missing value) into UsageError. */
export function parseOrUsage<T>(parse: () => T, usage: string): T {
  try {
    return parse();
  } catch (err) {
    const code = (err as { code?: string }).code;
    if (typeof code === 'string' && code.startsWith('ERR_PARSE_ARGS'))
      throw new UsageError((err as Error).message, usage);
    throw err;
  }
}

const HELP = { help: { type: 'boolean', short: 'h' } } as const;

/** A command's arguments: its options plus --help/-h, positionals allowed, parse errors as UsageError. */
export function parseCommand<const O extends NonNullable<ParseArgsConfig['options']>>(
  args: string[],
  options: O,
  usage: string,
) {
  return parseOrUsage(() => parseArgs({ args, allowPositionals: true, options: { ...options, ...HELP } }), usage);
}

/** Refuses arguments to a command that takes options only. */
export function noPositionals(positionals: string[], usage: string): void {
  if (positionals.length > 0) throw new UsageError(`unexpected argument ${positionals[0]}`, usage);
}

/** A 32-bit unsigned option value (seeds, security counters), or UsageError naming the flag. */
export function uint32Option(text: string, flag: string, usage: string): number {
  const value = Number(text);
  if (!/^\d+$/.test(text) || value > 0xffff_ffff)
    throw new UsageError(`${flag} "${text}" is not a whole number 0..4294967295`, usage);
  return value;
}

/** A version the image header can hold (parseVersion), or UsageError with `prefix` before its reason. */
export function checkVersion(text: string, usage: string, prefix = ''): void {
  try {
    parseVersion(text);
  } catch (err) {
    throw new UsageError(`${prefix}${(err as Error).message}`, usage);
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
  const why =
    e.code === 'ENOENT' ? 'no such file' : e.code === 'EEXIST' ? 'file exists (use --force to replace it)' : e.message;
  return new CliFailure(`cannot ${action} ${file}: ${why}`);
}

/** A file named on the command line, read relative to the working directory; a CliFailure naming it otherwise. */
export function readIn(io: CliIo, file: string): Promise<Buffer>;
export function readIn(io: CliIo, file: string, encoding: 'utf8'): Promise<string>;
export async function readIn(io: CliIo, file: string, encoding?: 'utf8'): Promise<Buffer | string> {
  try {
    return encoding ? await readFile(pathIn(io, file), encoding) : await readFile(pathIn(io, file));
  } catch (err) {
    throw ioFailure('read', file, err);
  }
}

/** Writes a file named on the command line, relative to the working directory; a CliFailure naming it otherwise. */
export async function writeOut(io: CliIo, file: string, data: string | Buffer): Promise<void> {
  try {
    await writeFile(pathIn(io, file), data);
  } catch (err) {
    throw ioFailure('write', file, err);
  }
}

/** The trusted public keys (PEM) in these files, read in order so a missing one is named first. */
export async function readTrustedKeys(io: CliIo, files: string[]): Promise<string[]> {
  const keys: string[] = [];
  for (const file of files) keys.push(await readIn(io, file, 'utf8'));
  return keys;
}

/** The one image file an image command takes as its argument, and the --pub files it was given. */
export function imageArgs(
  positionals: string[],
  pub: string[] | undefined,
  usage: string,
): { file: string; pubFiles: string[] } {
  const [file, ...rest] = positionals;
  if (file === undefined || rest.length > 0) throw new UsageError('expected exactly one image file', usage);
  return { file, pubFiles: pub ?? [] };
}

/** Answers --help: the usage text on stdout, exit 0. */
export function showUsage(io: CliIo, usage: string): number {
  io.out(usage);
  return ExitCode.ok;
}
