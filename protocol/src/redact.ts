/**
 * Keeping secrets out of logs and banners. A broker or database URL may carry a password in its
 * userinfo (RFC 3986 §3.2.1, which deprecates exactly that); whatever prints a URL prints it through
 * redactUrl, and loggers drop the fields named in LOG_REDACT_PATHS wherever an object is logged.
 */

const MASK = '***';

/** The URL with its password (if any) replaced by `***`; text that is no URL is masked whole if it has an `@`. */
export function redactUrl(text: string): string {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    return text.includes('@') ? MASK : text;
  }
  if (url.password === '') return text;
  url.password = MASK;
  return url.toString();
}

/** Splits the userinfo out of a URL: the URL without it, and the decoded username and password. */
export function splitUrlCredentials(text: string): { url: string; username?: string; password?: string } {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    return { url: text };
  }
  if (url.username === '' && url.password === '') return { url: text };
  const username = decodeURIComponent(url.username);
  const password = decodeURIComponent(url.password);
  url.username = '';
  url.password = '';
  return { url: url.toString(), ...(username ? { username } : {}), ...(password ? { password } : {}) };
}

/** pino `redact` paths: credential fields at the top and up to two levels down of a logged object. */
export const LOG_REDACT_PATHS: readonly string[] = ['password', 'secret', 'token', 'authorization'].flatMap((key) => [
  key,
  `*.${key}`,
  `*.*.${key}`,
]);
