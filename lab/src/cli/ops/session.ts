/**
 * The operator's saved session: the token pair of the last `switchfleet login`, in a file only its
 * owner can read (mode 0600, in a 0700 directory). The tokens are secrets: never printed.
 */
import { chmod, mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { CliExit, ExitCode } from '../io.ts';

export interface SavedSession {
  /** The API these tokens are for. */
  url: string;
  email: string;
  role: string;
  accessToken: string;
  /** ISO time the access token expires at. */
  accessExpiresAt: string;
  refreshToken: string;
  refreshExpiresAt: string;
}

/** What POST /v1/auth/login and /v1/auth/refresh answer. */
export interface TokenAnswer {
  kind: 'user' | 'operator';
  role?: string;
  accessToken: string;
  expiresIn: number;
  refreshToken: string;
  refreshExpiresAt: string;
}

export function sessionFrom(url: string, email: string, answer: TokenAnswer, now = Date.now()): SavedSession {
  return {
    url,
    email,
    role: answer.role ?? 'operator',
    accessToken: answer.accessToken,
    accessExpiresAt: new Date(now + answer.expiresIn * 1000).toISOString(),
    refreshToken: answer.refreshToken,
    refreshExpiresAt: answer.refreshExpiresAt,
  };
}

export const notLoggedIn = (why: string) => new CliExit(`${why}: run "switchfleet login <email>"`, ExitCode.auth);

export async function loadSession(file: string, url: string): Promise<SavedSession> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') throw notLoggedIn('not logged in');
    throw new CliExit(`cannot read the session file ${file}: ${(e as Error).message}`, ExitCode.failed);
  }
  let saved: SavedSession;
  try {
    saved = JSON.parse(text) as SavedSession;
  } catch {
    throw notLoggedIn(`the session file ${file} is not one this CLI wrote`);
  }
  if (typeof saved.accessToken !== 'string' || typeof saved.refreshToken !== 'string') {
    throw notLoggedIn(`the session file ${file} is not one this CLI wrote`);
  }
  if (saved.url !== url) throw notLoggedIn(`logged in to ${saved.url}, not ${url}`);
  return saved;
}

/** Written whole beside the old file, then renamed over it: a crash leaves the old session or the new one. */
export async function saveSession(file: string, session: SavedSession): Promise<void> {
  try {
    await mkdir(dirname(file), { recursive: true, mode: 0o700 });
    const temporary = `${file}.${process.pid}.tmp`;
    await writeFile(temporary, `${JSON.stringify(session, null, 2)}\n`, { mode: 0o600 });
    // The mode given to writeFile applies only when it creates the file, and the umask may narrow it.
    await chmod(temporary, 0o600);
    await rename(temporary, file);
  } catch (e) {
    throw new CliExit(`cannot save the session to ${file}: ${(e as Error).message}`, ExitCode.failed);
  }
}
