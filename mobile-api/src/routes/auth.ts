/** POST /v1/auth/register and /v1/auth/login: the only /v1 routes without a token. */
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { UnauthorizedError } from '../http-errors.ts';
import { errorResponses, LoginBody, RegisterBody, TokenBody, UserBody } from '../schemas.ts';

const authRoutes: FastifyPluginAsyncTypebox = async (app) => {
  app.post(
    '/register',
    {
      schema: {
        tags: ['auth'],
        summary: 'Create an account',
        body: RegisterBody,
        response: { 201: UserBody, 400: errorResponses[400], 409: errorResponses[409] },
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
        summary: 'Exchange email and password for a short-lived access token',
        body: LoginBody,
        response: { 200: TokenBody, 400: errorResponses[400], 401: errorResponses[401] },
      },
    },
    async (request) => {
      const user = await app.cloud.accounts.verifyLogin(request.body.email, request.body.password);
      // One answer for an unknown email and a wrong password, so the endpoint does not reveal accounts.
      if (!user) throw new UnauthorizedError('email or password is wrong');
      const { token, expiresIn } = app.tokens.sign(user.id);
      return { accessToken: token, tokenType: 'Bearer' as const, expiresIn };
    },
  );
};

export default authRoutes;
