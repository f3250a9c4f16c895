/**
 * Where the operator commands find the cloud and keep their session: the environment's only reader.
 * SWITCHFLEET_URL (default http://127.0.0.1:3000), SWITCHFLEET_TOKEN_FILE (default
 * `$XDG_CONFIG_HOME/switchfleet/session.json`, or `~/.config/switchfleet/session.json`).
 */
import { homedir } from 'node:os';
import { join } from 'node:path';
import { UsageError } from '../io.ts';

export const DEFAULT_URL = 'http://127.0.0.1:3000';

export interface OpsConfig {
  /** The API's origin, without a trailing slash. */
  url: string;
  tokenFile: string;
}

export function opsConfig(env: Readonly<Record<string, string | undefined>>, usage: string): OpsConfig {
  const raw = env.SWITCHFLEET_URL?.trim() || DEFAULT_URL;
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new UsageError(`SWITCHFLEET_URL "${raw}" is not a URL`, usage);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new UsageError(`SWITCHFLEET_URL must be http:// or https://, not ${url.protocol}`, usage);
  }
  if (url.username || url.password) throw new UsageError('SWITCHFLEET_URL must carry no credentials', usage);
  const configHome = env.XDG_CONFIG_HOME?.trim() || join(env.HOME?.trim() || homedir(), '.config');
  return {
    url: url.href.replace(/\/+$/, ''),
    tokenFile: env.SWITCHFLEET_TOKEN_FILE?.trim() || join(configHome, 'switchfleet', 'session.json'),
  };
}
