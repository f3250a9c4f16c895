/**
 * Bearer authentication: `app.tokens` issues and checks access tokens, `app.authenticate` is the
 * onRequest hook household scopes add, and `request.userId` carries the verified subject. A token of
 * a session that ended (logout, or a refresh token presented twice), or that is not its subject's, is
 * refused although unexpired. An operator's token does not reach household routes: they answer it as
 * a path without a route (404), since operators use the admin API alone (plugins/admin.ts).
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import fp from 'fastify-plugin';
import type { TokenClaims, TokenIssuer, InvalidTokenError } from '../jwt.ts';
import { NoRouteError, UnauthorizedError } from '../http-errors.ts';

declare module 'fastify' {
  interface FastifyInstance {
    tokens: TokenIssuer;
    authenticate(request: FastifyRequest, reply: FastifyReply): Promise<void>;
    /** The verified claims of the request's Bearer token; throws UnauthorizedError without a valid one. */
    bearerClaims(request: FastifyRequest): Promise<TokenClaims>;
  }
  interface FastifyRequest {
    /** The authenticated user's id; empty outside authenticated scopes. */
    userId: string;
    /** The login session (refresh-token family) of the caller's token; empty outside authenticated scopes. */
    sessionId: string;
  }
}

export interface AuthPluginOptions {
  tokens: TokenIssuer;
}

export default fp(
  async function auth(app: FastifyInstance, options: AuthPluginOptions) {
    app.decorate('tokens', options.tokens);
    app.decorateRequest('userId', '');
    app.decorateRequest('sessionId', '');
    app.decorate('bearerClaims', async function bearerClaims(request: FastifyRequest) {
      const header = request.headers.authorization;
      const match = header ? /^Bearer\s+(\S+)$/i.exec(header) : null;
      if (!match?.[1]) throw new UnauthorizedError('a Bearer access token is required');
      try {
        return await options.tokens.verify(match[1]);
      } catch (e) {
        throw new UnauthorizedError((e as InvalidTokenError).message);
      }
    });
    app.decorate('authenticate', async function authenticate(request: FastifyRequest) {
      const claims = await app.bearerClaims(request);
      if (claims.access.kind !== 'user') throw new NoRouteError(request.method, request.url);
      // The session must be the subject's own: a token naming another user's session is refused.
      if (!(await app.cloud.sessions.isActive(claims.sid, claims.sub, 'user'))) {
        throw new UnauthorizedError('the session of this token has ended');
      }
      request.userId = claims.sub;
      request.sessionId = claims.sid;
    });
  },
  { name: 'auth', fastify: '5.x', dependencies: ['cloud'] },
);
