/** `switchfleet login <email>`: an operator's login, saved for the other operator commands. */
import { parseArgs } from 'node:util';
import { CliExit, ExitCode, parseOrUsage, showUsage, UsageError, type CliIo } from '../io.ts';
import { LOGIN_USAGE } from '../usage.ts';
import { apiFailure, send } from './client.ts';
import { opsConfig } from './config.ts';
import { askSecret, readAll } from './prompt.ts';
import { saveSession, sessionFrom, type TokenAnswer } from './session.ts';

export async function login(args: string[], io: CliIo): Promise<number> {
  const { values, positionals } = parseOrUsage(
    () =>
      parseArgs({
        args,
        allowPositionals: true,
        options: { 'password-stdin': { type: 'boolean' }, help: { type: 'boolean', short: 'h' } },
      }),
    LOGIN_USAGE,
  );
  if (values.help) return showUsage(io, LOGIN_USAGE);
  const [email, ...extra] = positionals;
  if (email === undefined || extra.length > 0) throw new UsageError('expected exactly one email address', LOGIN_USAGE);
  const config = opsConfig(io.env ?? {}, LOGIN_USAGE);
  const password = await passwordOf(io, values['password-stdin'] === true);
  if (password === '') throw new UsageError('the password is empty', LOGIN_USAGE);

  const answer = await send(`${config.url}/v1/auth/login`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ email, password }),
  });
  if (answer.status === 401) throw apiFailure(answer, ExitCode.auth);
  if (answer.status !== 200) throw apiFailure(answer);
  const tokens = answer.body as TokenAnswer;
  if (tokens.kind !== 'operator') {
    // A household's session is of no use here: end it rather than leave it open.
    await send(`${config.url}/v1/auth/logout`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ refreshToken: tokens.refreshToken }),
    });
    throw new CliExit(`${email} is a household account; these commands need an operator's`, ExitCode.auth);
  }
  await saveSession(config.tokenFile, sessionFrom(config.url, email, tokens));
  io.out(`logged in to ${config.url} as ${email} (${tokens.role ?? 'operator'}); session saved in ${config.tokenFile}`);
  return ExitCode.ok;
}

async function passwordOf(io: CliIo, fromStdin: boolean): Promise<string> {
  const input = io.stdin;
  if (fromStdin) {
    if (!input) throw new UsageError('--password-stdin: no standard input', LOGIN_USAGE);
    return readAll(input);
  }
  if (!input?.isTTY) {
    throw new UsageError('no terminal to ask the password on: pipe it in with --password-stdin', LOGIN_USAGE);
  }
  return askSecret('password: ', input, io.prompt ?? ((s) => io.err(s)));
}
