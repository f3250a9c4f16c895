/**
 * /v1/auth: register, login, refresh (rotating refresh tokens) and logout (revokes the session). The
 * only /v1 routes without an access token. Register and login are rate-limited through the shared
 * database store (plugins/rate-limit.ts), so every API instance spends one budget.
 */
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import {
  EmailTakenError,
  normalizeEmail,
  type IssuedRefreshToken,
  type LimitRule,
  type OperatorIdentity,
} from '@switchfleet/cloud';
import type { TokenAccess } from '../jwt.ts';
import type { FastifyRequest } from 'fastify';
import { Type } from 'typebox';
import { RateLimitedError, UnauthorizedError } from '../http-errors.ts';
import { clientKey, retryAfterSeconds } from '../plugins/rate-limit.ts';
import { errorResponses, LoginBody, RefreshBody, RegisterAccepted, RegisterBody, TokenBody } from '../schemas.ts';

export interface AuthRouteOptions {
  /** Login attempts per (email, client address): a guesser elsewhere does not lock the account's owner out. */
  loginPerAccountIp?: LimitRule;
  /** Login attempts per client address, whatever the email: a spray over many accounts. */
  loginPerIp?: LimitRule;
  /** Registrations per client address. */
  registerPerIp?: LimitRule;
}

export const DEFAULT_LOGIN_PER_ACCOUNT_IP: LimitRule = { max: 5, windowMs: 60_000 };
export const DEFAULT_LOGIN_PER_IP: LimitRule = { max: 100, windowMs: 60_000 };
export const DEFAULT_REGISTER_PER_IP: LimitRule = { max: 10, windowMs: 3_600_000 };

const REGISTER_ACCEPTED = 'If this address had no account, it has one now: log in with it.';

const authRoutes: FastifyPluginAsyncTypebox<AuthRouteOptions> = async (app, options) => {
  const perAccountIp = options.loginPerAccountIp ?? DEFAULT_LOGIN_PER_ACCOUNT_IP;
  const perIp = options.loginPerIp ?? DEFAULT_LOGIN_PER_IP;
  const registerPerIp = options.registerPerIp ?? DEFAULT_REGISTER_PER_IP;

  // Throttled by source, not by account (OWASP Authentication Cheat Sheet, "Login Throttling"): wrong
  // passwords from one address cannot lock the account's owner out from theirs.
  const loginLimits = [
    app.createRateLimit({
      max: perAccountIp.max,
      timeWindow: perAccountIp.windowMs,
      keyGenerator: (r) => `login:${normalizeEmail((r.body as { email: string }).email)}|${clientKey(r)}`,
    }),
    app.createRateLimit({
      max: perIp.max,
      timeWindow: perIp.windowMs,
      keyGenerator: (r) => `login-ip:${clientKey(r)}`,
    }),
  ];
  /** Both budgets are spent on every attempt, so neither a spray over many emails nor one email escapes. */
  const limitLogin = async (request: FastifyRequest) => {
    let refusedForMs = 0;
    for (const limit of await Promise.all(loginLimits.map((check) => check(request)))) {
      if (!limit.isAllowed && limit.isExceeded) refusedForMs = Math.max(refusedForMs, limit.ttl, 1);
    }
    if (refusedForMs > 0) {
      throw new RateLimitedError('too many login attempts; retry later', retryAfterSeconds(refusedForMs));
    }
  };

  /** Tokens for a session; an operator's carry its role as it is now (a disabled operator gets none). */
  const tokens = async (session: IssuedRefreshToken, known?: OperatorIdentity) => {
    let access: TokenAccess = { kind: 'user' };
    if (session.kind === 'operator') {
      const operator = known ?? (await app.cloud.operators.active(session.subjectId));
      if (!operator) {
        await app.cloud.sessions.revoke(session.refreshToken);
        throw new UnauthorizedError('this operator account is disabled');
      }
      access = { kind: 'operator', role: operator.role };
    }
    const { token, expiresIn } = await app.tokens.sign(session.subjectId, session.familyId, access);
    return {
      ...access,
      accessToken: token,
      tokenType: 'Bearer' as const,
      expiresIn,
      refreshToken: session.refreshToken,
      refreshExpiresAt: session.expiresAt.toISOString(),
    };
  };

  app.post(
    '/register',
    {
      config: {
        rateLimit: {
          max: registerPerIp.max,
          timeWindow: registerPerIp.windowMs,
          keyGenerator: (r) => `register-ip:${clientKey(r)}`,
        },
      },
      schema: {
        tags: ['auth'],
        operationId: 'register',
        security: [],
        summary: 'Create an account',
        description:
          'Answers 202 with the same body whether or not the address already had an account, so the endpoint ' +
          'does not reveal which addresses are registered; an existing account is left unchanged (its password ' +
          'too). Log in next. Limited per client address; past the limit the answer is 429 with Retry-After.',
        body: RegisterBody,
        response: {
          202: RegisterAccepted,
          400: errorResponses[400],
          429: errorResponses[429],
          500: errorResponses[500],
        },
      },
    },
    async (request, reply) => {
      // Both paths hash the password and run one INSERT, so their times do not tell them apart either.
      const email = await app.cloud.accounts.register(request.body.email, request.body.password).then(
        (user) => user.email,
        (e: unknown) => {
          if (e instanceof EmailTakenError) return normalizeEmail(request.body.email);
          throw e;
        },
      );
      return reply.code(202).send({ email, message: REGISTER_ACCEPTED });
    },
  );

  app.post(
    '/login',
    {
      preHandler: limitLogin,
      schema: {
        tags: ['auth'],
        operationId: 'login',
        security: [],
        summary: 'Exchange email and password for an access token and a refresh token',
        description:
          "A household's or an operator's account alike; `kind` (and an operator's `role`) says which. " +
          'Operator tokens reach the admin API (/v1/admin) only, household tokens everything else. ' +
          'Limited per (email, client address) and per client address, never per account alone, so nobody can ' +
          "lock an account's owner out; past a limit the answer is 429 with Retry-After.",
        body: LoginBody,
        response: {
          200: TokenBody,
          400: errorResponses[400],
          401: errorResponses[401],
          429: errorResponses[429],
          500: errorResponses[500],
        },
      },
    },
    async (request) => {
      const { email, password } = request.body;
      const who = await app.cloud.logins.verify(email, password, { ip: request.ip });
      // One answer for an unknown email and a wrong password, so the endpoint does not reveal accounts.
      if (!who) throw new UnauthorizedError('email or password is wrong');
      if (who.kind === 'user') return tokens(await app.cloud.sessions.start(who.user.id));
      return tokens(await app.cloud.sessions.start(who.operator.id, 'operator'), who.operator);
    },
  );

  app.post(
    '/refresh',
    {
      schema: {
        tags: ['auth'],
        operationId: 'refreshTokens',
        security: [],
        summary: 'Exchange a refresh token for new tokens (the old refresh token stops working)',
        description: 'Presenting a refresh token a second time revokes its whole session: a copy must have leaked.',
        body: RefreshBody,
        response: { 200: TokenBody, 400: errorResponses[400], 401: errorResponses[401], 500: errorResponses[500] },
      },
    },
    async (request) => tokens(await app.cloud.sessions.rotate(request.body.refreshToken)),
  );

  app.post(
    '/logout',
    {
      schema: {
        tags: ['auth'],
        operationId: 'logout',
        security: [],
        summary: 'End the session of a refresh token (its family is revoked); idempotent',
        description: 'The access tokens issued in that session stop working at once, on every cloud instance.',
        body: RefreshBody,
        response: { 204: Type.Null({ description: 'Logged out' }), 400: errorResponses[400], 500: errorResponses[500] },
      },
    },
    async (request, reply) => {
      const ended = await app.cloud.sessions.revoke(request.body.refreshToken);
      // An operator's logout is one of its actions, so the audit log has it.
      const operator = ended?.kind === 'operator' ? await app.cloud.operators.get(ended.subjectId) : null;
      if (operator) {
        await app.cloud.audit.record({
          actor: { id: operator.id, email: operator.email },
          action: 'auth.logout',
          target: { type: 'operator', id: operator.id },
          outcome: 'success',
        });
      }
      return reply.code(204).send(null);
    },
  );
};

export default authRoutes;
