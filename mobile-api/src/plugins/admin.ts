/**
 * The admin scope: everything under /v1/admin, for operators alone. Its onRequest hook takes an
 * operator's token whose session is active and whose account is not disabled, and sets
 * `request.operator` and `request.sessionId`; anyone else (a household's token, none, an expired or
 * forged one) gets the answer of a path without a route (404), on every path and method of the
 * scope, so its existence is not revealed. `requireRole('admin')` guards admin-only routes (403 for
 * an operator).
 *
 * Auditing: a route with `config.audit` ({ action, target }) is written to the audit log with the
 * operator, the target (the route's `id` parameter, or what the handler puts in
 * `request.audit.target`), the outcome by status (403: denied) and the error code, before its answer
 * leaves, success or not.
 */
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { AuditTarget, OperatorIdentity, OperatorRole } from '@switchfleet/cloud';
import { ForbiddenError } from '@switchfleet/cloud';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import fp from 'fastify-plugin';
import { NoRouteError, UnauthorizedError } from '../http-errors.ts';
import { sendNoRoute } from './errors.ts';

declare module 'fastify' {
  interface FastifyRequest {
    /** The authenticated operator; set only inside the admin scope (null elsewhere). */
    operator: OperatorIdentity;
    /** What the handler learnt for the audit entry of its route (`config.audit`). */
    audit: { target?: AuditTarget; detail?: Record<string, unknown>; errorCode?: string };
  }
  interface FastifyContextConfig {
    /** Write this route's every answer to the audit log as `action`, on a `target` of this type. */
    audit?: { action: string; target?: string };
  }
}

export interface AdminScopeOptions {
  /** The admin API's route plugins, registered inside the scope (their paths are relative to /v1/admin). */
  routes: FastifyPluginAsyncTypebox[];
}

const RANK: Record<OperatorRole, number> = { operator: 0, admin: 1 };

/** An onRequest (or preHandler) hook for admin-scope routes: the operator must hold `role` or above. */
export function requireRole(role: OperatorRole) {
  return async function roleGuard(request: FastifyRequest): Promise<void> {
    if (RANK[request.operator.role] < RANK[role]) throw new ForbiddenError(`only an ${role} may do this`);
  };
}

/** The operator a request's token stands for, or null when it stands for none (never throws for a bad token). */
async function operatorOf(app: FastifyInstance, request: FastifyRequest): Promise<OperatorIdentity | null> {
  let claims;
  try {
    claims = await app.bearerClaims(request);
  } catch (e) {
    if (e instanceof UnauthorizedError) return null;
    throw e;
  }
  if (claims.access.kind !== 'operator') return null;
  if (!(await app.cloud.sessions.isActive(claims.sid, claims.sub, 'operator'))) return null;
  const operator = await app.cloud.operators.active(claims.sub);
  // What ends with the session (a live stream) follows it by this id, as on the household routes.
  if (operator) request.sessionId = claims.sid;
  return operator;
}

export default fp(
  async function admin(app: FastifyInstance, options: AdminScopeOptions) {
    app.decorateRequest('operator', null as unknown as OperatorIdentity);
    app.decorateRequest('audit', null as unknown as FastifyRequest['audit']);

    app.addHook('onRequest', async (request) => {
      request.audit = {};
      const operator = await operatorOf(app, request);
      if (!operator) throw new NoRouteError(request.method, request.url);
      request.operator = operator;
    });

    // The scope's onRequest hook runs before its not-found handler too: a path or method no route
    // serves is told apart (405 with Allow, or 404) to an operator only.
    app.setNotFoundHandler((request, reply) => sendNoRoute(app, request, reply));

    app.addHook('onError', async (request, _reply, error) => {
      if (request.audit && typeof error.code === 'string') request.audit.errorCode = error.code;
    });

    app.addHook('onSend', async (request, reply, payload) => {
      const audited = request.routeOptions.config.audit;
      if (!audited || !request.operator) return payload;
      const status = reply.statusCode;
      const id = (request.params as { id?: unknown } | undefined)?.id;
      const target =
        request.audit.target ?? (audited.target && typeof id === 'string' ? { type: audited.target, id } : null);
      const { errorCode } = request.audit;
      try {
        await app.cloud.audit.record({
          actor: { id: request.operator.id, email: request.operator.email },
          action: audited.action,
          target,
          outcome: status < 400 ? 'success' : status === 403 ? 'denied' : 'failure',
          detail: { status, ...(errorCode ? { code: errorCode } : {}), ...request.audit.detail },
        });
      } catch (e) {
        // The action has happened (or been refused); the answer says so even when its entry could not be written.
        request.log.error({ err: e, action: audited.action }, 'audit entry not written');
      }
      return payload;
    });

    for (const routes of options.routes) await app.register(routes);
  },
  { name: 'admin', fastify: '5.x', encapsulate: true, dependencies: ['auth', 'cloud', 'errors'] },
);
