/** The fleet's trusted release signing keys: listed for operators, added and revoked by admins. */
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { SigningKey } from '@switchfleet/cloud';
import { requireRole } from '../../plugins/admin.ts';
import {
  created,
  errorResponses as e,
  NewSigningKeyBody,
  SigningKeyBody,
  SigningKeyList,
  SigningKeyParams,
} from '../../schemas.ts';

const secured = [{ bearerAuth: [] }];
const tags = ['admin'];
const view = (k: SigningKey) => ({
  ...k,
  addedAt: k.addedAt.toISOString(),
  revokedAt: k.revokedAt ? k.revokedAt.toISOString() : null,
});

const signingKeyRoutes: FastifyPluginAsyncTypebox = async (app) => {
  const { signingKeys } = app.cloud;
  const adminOnly = requireRole('admin');

  app.get(
    '/signing-keys',
    {
      schema: {
        tags,
        security: secured,
        operationId: 'listSigningKeys',
        summary: 'Release signing keys, revoked ones included, oldest first',
        response: { 200: SigningKeyList, 404: e[404], 500: e[500] },
      },
    },
    async () => (await signingKeys.list()).map(view),
  );

  app.post(
    '/signing-keys',
    {
      onRequest: adminOnly,
      config: { audit: { action: 'signing-key.add', target: 'signing-key' } },
      schema: {
        tags,
        security: secured,
        operationId: 'addSigningKey',
        summary: 'Trust a release signing key (admins only)',
        description: 'An Ed25519 public key in PEM; anything else is 422 BAD_KEY, a key already listed 409 KEY_EXISTS.',
        body: NewSigningKeyBody,
        response: {
          201: created(SigningKeyBody),
          400: e[400],
          403: e[403],
          404: e[404],
          409: e[409],
          422: e[422],
          500: e[500],
        },
      },
    },
    async (r, reply) => {
      const key = await signingKeys.add({
        publicKeyPem: r.body.publicKeyPem,
        ...(r.body.label === undefined ? {} : { label: r.body.label }),
      });
      r.audit.target = { type: 'signing-key', id: key.id };
      return reply.code(201).header('location', `${app.prefix}/signing-keys/${key.id}`).send(view(key));
    },
  );

  app.get(
    '/signing-keys/:id',
    {
      schema: {
        tags,
        security: secured,
        operationId: 'getSigningKey',
        summary: 'One release signing key',
        params: SigningKeyParams,
        response: { 200: SigningKeyBody, 400: e[400], 404: e[404], 500: e[500] },
      },
    },
    async (r) => view(await signingKeys.get(r.params.id)),
  );

  app.post(
    '/signing-keys/:id/revoke',
    {
      onRequest: adminOnly,
      config: { audit: { action: 'signing-key.revoke', target: 'signing-key' } },
      schema: {
        tags,
        security: secured,
        operationId: 'revokeSigningKey',
        summary: 'Stop trusting a signing key: uploads signed by it are refused (admins only); idempotent',
        params: SigningKeyParams,
        response: { 200: SigningKeyBody, 400: e[400], 403: e[403], 404: e[404], 500: e[500] },
      },
    },
    async (r) => view(await signingKeys.revoke(r.params.id)),
  );
};

export default signingKeyRoutes;
