/**
 * /v1/auth: register, login (rate-limited per email and per client IP), refresh (rotating refresh
 * tokens) and logout (revokes the session). The only /v1 routes without an access token.
 */
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { normalizeEmail, type IssuedRefreshToken, type LimitRule } from '@switchfleet/cloud';
import { Type } from 'typebox';
import { RateLimitedError, UnauthorizedError } from '../http-errors.ts';
import { errorResponses, LoginBody, RefreshBody, RegisterBody, TokenBody, UserBody } from '../schemas.ts';

export interface AuthRouteOptions {
  loginPerEmail?: LimitRule;
  loginPerIp?: LimitRule;
}

export const DEFAULT_LOGIN_PER_EMAIL: LimitRule = { max: 5, windowMs: 60_000 };
export const DEFAULT_LOGIN_PER_IP: LimitRule = { max: 100, windowMs: 60_000 };

const authRoutes: FastifyPluginAsyncTypebox<AuthRouteOptions> = async (app, options) => {
  const perEmail = options.loginPerEmail ?? DEFAULT_LOGIN_PER_EMAIL;
  const perIp = options.loginPerIp ?? DEFAULT_LOGIN_PER_IP;

  const tokens = async (session: IssuedRefreshToken) => {
    const { token, expiresIn } = await app.tokens.sign(session.userId, session.familyId);
    return {
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
      schema: {
        tags: ['auth'],
        summary: 'Create an account',
        body: RegisterBody,
        response: { 201: UserBody, 400: errorResponses[400], 409: errorResponses[409], 500: errorResponses[500] },
      },
    },
    async (request, reply) => {
      const user = await app.cloud.accounts.register(request.body.email, request.body.password);
      return reply.code(201).send(user);
    },
  );

  app.post(
    '/login',
    {
      schema: {
        tags: ['auth'],
        summary: 'Exchange email and password for an access token and a refresh token',
        description: 'Limited per email and per client address; past the limit the answer is 429 with Retry-After.',
        body: LoginBody,
        response: { 200: TokenBody, 400: errorResponses[400], 401: errorResponses[401], 429: errorResponses[429], 500: errorResponses[500] },
      },
    },
    async (request) => {
      // Both budgets are spent on every attempt, so neither a spray over many emails nor many IPs on
      // one email escapes; they live in the database, so every API instance spends the same ones.
      const limit = await app.cloud.rateLimits.consume([
        { key: `login-email:${normalizeEmail(request.body.email)}`, rule: perEmail },
        { key: `login-ip:${request.ip}`, rule: perIp },
      ]);
      if (!limit.allowed) throw new RateLimitedError('too many login attempts; retry later', limit.retryAfterS);
      const user = await app.cloud.accounts.verifyLogin(request.body.email, request.body.password);
      // One answer for an unknown email and a wrong password, so the endpoint does not reveal accounts.
      if (!user) throw new UnauthorizedError('email or password is wrong');
      return tokens(await app.cloud.sessions.start(user.id));
    },
  );

  app.post(
    '/refresh',
    {
      schema: {
        tags: ['auth'],
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
        summary: 'End the session of a refresh token (its family is revoked); idempotent',
        description: 'The access tokens issued in that session stop working at once, on every cloud instance.',
        body: RefreshBody,
        response: { 204: Type.Null({ description: 'Logged out' }), 400: errorResponses[400], 500: errorResponses[500] },
      },
    },
    async (request, reply) => {
      await app.cloud.sessions.revoke(request.body.refreshToken);
      return reply.code(204).send(null);
    },
  );
};

export default authRoutes;
