/**
 * The admin API over HTTP (fetch) with the saved session: the access token is refreshed shortly
 * before it expires (the refresh token rotates, so the new pair is saved at once). Answers outside
 * 2xx become a CliExit carrying the API's own code and message.
 */
import { CliExit, ExitCode } from '../io.ts';
import type { OpsConfig } from './config.ts';
import { loadSession, notLoggedIn, saveSession, sessionFrom, type SavedSession, type TokenAnswer } from './session.ts';

/** Refreshed this long before its expiry, so a token does not run out on the way. */
const REFRESH_MARGIN_MS = 30_000;

export interface Answer {
  status: number;
  body: unknown;
}

interface ErrorAnswer {
  error?: { code?: string; message?: string; details?: { field?: string; message?: string }[] };
}

/** fetch, with failing to reach the API (refused, DNS, TLS) turned into exit 4. */
async function reach(url: string, init: RequestInit): Promise<Response> {
  try {
    return await fetch(url, init);
  } catch (e) {
    const cause = (e as { cause?: { code?: string; message?: string } }).cause;
    const why = cause?.code ?? cause?.message ?? (e as Error).message;
    throw new CliExit(`cannot reach ${new URL(url).origin}: ${why}`, ExitCode.unreachable);
  }
}

async function answerOf(res: Response): Promise<Answer> {
  const text = await res.text();
  let body: unknown = text;
  try {
    body = text ? JSON.parse(text) : null;
  } catch {
    // Not JSON (a proxy's error page): kept as text for the message.
  }
  return { status: res.status, body };
}

/** Any HTTP call to the API: only failing to reach it (refused, DNS, TLS) is turned into exit 4. */
export async function send(url: string, init: RequestInit): Promise<Answer> {
  return answerOf(await reach(url, init));
}

/** A JSON request body for AdminClient.call. */
export function jsonBody(value: unknown): { bytes: Buffer; type: string } {
  return { bytes: Buffer.from(JSON.stringify(value)), type: 'application/json' };
}

/** "422 BAD_SIGNATURE: the signature does not verify" from the API's error body. */
export function apiFailure(answer: Answer, exitCode: number = ExitCode.failed): CliExit {
  const error = (answer.body as ErrorAnswer | null)?.error;
  if (!error?.code) return new CliExit(`the API answered ${answer.status}`, exitCode);
  return new CliExit(`${answer.status} ${error.code}: ${error.message ?? ''}`, exitCode);
}

export class AdminClient {
  private constructor(
    private readonly config: OpsConfig,
    private session: SavedSession,
  ) {}

  static async open(config: OpsConfig): Promise<AdminClient> {
    return new AdminClient(config, await loadSession(config.tokenFile, config.url));
  }

  /** A call to /v1/admin<path>; the answer when 2xx, a CliExit with the API's code otherwise. */
  async call(method: string, path: string, body?: { bytes: Buffer; type: string }): Promise<unknown> {
    const token = await this.accessToken();
    const answer = await send(`${this.config.url}/v1/admin${path}`, {
      method,
      headers: { authorization: `Bearer ${token}`, ...(body ? { 'content-type': body.type } : {}) },
      ...(body ? { body: new Uint8Array(body.bytes) } : {}),
    });
    if (answer.status < 300) return answer.body;
    throw this.refused(answer);
  }

  /**
   * Opens the server-sent event stream at /v1/admin<path> and returns its body; a refusal becomes
   * the CliExit `call` would give. Aborting `signal` closes the stream.
   */
  async events(path: string, signal: AbortSignal): Promise<AsyncIterable<Uint8Array>> {
    const token = await this.accessToken();
    const res = await reach(`${this.config.url}/v1/admin${path}`, {
      headers: { authorization: `Bearer ${token}`, accept: 'text/event-stream' },
      signal,
    });
    if (res.ok && res.body) return res.body;
    throw this.refused(await answerOf(res));
  }

  private refused(answer: Answer): CliExit {
    // The admin scope answers a token it does not take (an ended session, a disabled operator) as
    // a path without a route: 404 with "no route for". A missing release says "release not found".
    const message = (answer.body as ErrorAnswer | null)?.error?.message ?? '';
    if (answer.status === 404 && message.startsWith('no route for')) {
      return notLoggedIn('the API does not take this session (ended, or the operator was disabled)');
    }
    return apiFailure(answer);
  }

  /** GET, with 404 as undefined (a report that does not exist yet). */
  async find(path: string): Promise<unknown> {
    try {
      return await this.call('GET', path);
    } catch (e) {
      if (e instanceof CliExit && e.message.startsWith('404 NOT_FOUND')) return undefined;
      throw e;
    }
  }

  private async accessToken(): Promise<string> {
    if (Date.parse(this.session.accessExpiresAt) - REFRESH_MARGIN_MS > Date.now()) return this.session.accessToken;
    if (Date.parse(this.session.refreshExpiresAt) <= Date.now()) throw notLoggedIn('the session expired');
    const answer = await send(`${this.config.url}/v1/auth/refresh`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ refreshToken: this.session.refreshToken }),
    });
    if (answer.status === 401) throw notLoggedIn('the session ended');
    if (answer.status !== 200) throw apiFailure(answer);
    this.session = sessionFrom(this.config.url, this.session.email, answer.body as TokenAnswer);
    await saveSession(this.config.tokenFile, this.session);
    return this.session.accessToken;
  }
}
