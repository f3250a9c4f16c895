/**
 * Request budgets through @fastify/rate-limit, with its counts kept in the cloud's database (the
 * `rate_limit_windows` table, through RateLimitService) instead of the plugin's per-process memory:
 * every API instance on one database spends the same budget, on PGlite and PostgreSQL alike. No
 * route is limited unless it asks (`config.rateLimit`, or a limiter made with `app.createRateLimit`).
 * Past a budget the answer is the API's error body, 429 RATE_LIMITED with Retry-After (RFC 6585 §4,
 * RFC 9110 §10.2.3).
 */
import rateLimit, { normalizeIP, type FastifyRateLimitStore } from '@fastify/rate-limit';
import type { RateLimitService } from '@switchfleet/cloud';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import fp from 'fastify-plugin';
import { RateLimitedError } from '../http-errors.ts';

type IncrCallback = Parameters<FastifyRateLimitStore['incr']>[1];

/**
 * A store class for @fastify/rate-limit whose windows live in the database. The plugin hands it the
 * window and budget of each limit; the database's clock decides when a window ends, so instances
 * whose clocks differ still agree.
 */
export function databaseStore(limits: RateLimitService) {
  return class DatabaseRateLimitStore implements FastifyRateLimitStore {
    incr(key: string, callback: IncrCallback, timeWindow: number, max: number): void {
      limits.count([{ key, rule: { max, windowMs: timeWindow } }]).then(
        ([window]) => callback(null, { current: window!.attempts, ttl: window!.remainingMs }),
        (e: unknown) => callback(e instanceof Error ? e : new Error(String(e))),
      );
    }

    /** One table for every limit: keys are namespaced by their limiter, so a child is the same store. */
    child(): FastifyRateLimitStore {
      return this;
    }
  };
}

/**
 * The client address as limits key it: an IPv6 client by its /64 (one host commonly holds a whole
 * /64, RFC 6177), IPv4 and IPv4-mapped addresses as they are.
 */
export function clientKey(request: FastifyRequest): string {
  return normalizeIP(request.ip);
}

/** Seconds a refused client should wait, from a window's remaining milliseconds (at least 1). */
export function retryAfterSeconds(ttlMs: number): number {
  return Math.max(1, Math.ceil(ttlMs / 1000));
}

export default fp(
  async function limits(app: FastifyInstance) {
    await app.register(rateLimit, {
      global: false,
      store: databaseStore(app.cloud.rateLimits),
      errorResponseBuilder: (_request, context) =>
        new RateLimitedError('too many attempts; retry later', retryAfterSeconds(context.ttl)),
    });
  },
  { name: 'rate-limits', fastify: '5.x', dependencies: ['cloud'] },
);
