/** W3C Trace Context `traceparent` (version 00) helpers: no I/O, random ids from node:crypto. */
import { randomBytes } from 'node:crypto';

export function newTraceparent(): string {
  return `00-${randomBytes(16).toString('hex')}-${randomBytes(8).toString('hex')}-01`;
}

/** A child span id within the same trace, as the next hop's parent. */
export function childTraceparent(parent: string | undefined): string {
  if (!parent) return newTraceparent();
  const [version, traceId, , flags] = parent.split('-');
  return `${version}-${traceId}-${randomBytes(8).toString('hex')}-${flags}`;
}
