/** The admin API's own accounts: who am I, and operators management (admins only). */
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { Operator } from '@switchfleet/cloud';
import { requireRole } from '../../plugins/admin.ts';
import {
  created,
  errorResponses as e,
  NewOperatorBody,
  OperatorBody,
  OperatorList,
  OperatorMe,
  OperatorParams,
} from '../../schemas.ts';

const secured = [{ bearerAuth: [] }];
const tags = ['admin'];
const view = (o: Operator) => ({ ...o, createdAt: o.createdAt.toISOString() });

const operatorRoutes: FastifyPluginAsyncTypebox = async (app) => {
  const { operators } = app.cloud;
  const adminOnly = requireRole('admin');

  app.get(
    '/me',
    {
      schema: {
        tags,
        security: secured,
        operationId: 'adminMe',
        summary: 'The operator the token belongs to, with its role',
        response: { 200: OperatorMe, 404: e[404], 500: e[500] },
      },
    },
    (r) => r.operator,
  );

  app.get(
    '/operators',
    {
      onRequest: adminOnly,
      schema: {
        tags,
        security: secured,
        operationId: 'listOperators',
        summary: 'Every operator, disabled ones included (admins only)',
        response: { 200: OperatorList, 403: e[403], 404: e[404], 500: e[500] },
      },
    },
    async () => (await operators.list()).map(view),
  );

  app.post(
    '/operators',
    {
      onRequest: adminOnly,
      config: { audit: { action: 'operator.create', target: 'operator' } },
      schema: {
        tags,
        security: secured,
        operationId: 'createOperator',
        summary: 'Make an operator or an admin (admins only)',
        description: 'An address that already has an account, a household or an operator, is 409 EMAIL_TAKEN.',
        body: NewOperatorBody,
        response: { 201: created(OperatorBody), 400: e[400], 403: e[403], 404: e[404], 409: e[409], 500: e[500] },
      },
    },
    async (r, reply) => {
      r.audit.detail = { role: r.body.role };
      const operator = await operators.create(r.body);
      r.audit.target = { type: 'operator', id: operator.id };
      return reply.code(201).header('location', `${app.prefix}/operators/${operator.id}`).send(view(operator));
    },
  );

  app.get(
    '/operators/:id',
    {
      onRequest: adminOnly,
      schema: {
        tags,
        security: secured,
        operationId: 'getOperator',
        summary: 'One operator (admins only)',
        params: OperatorParams,
        response: { 200: OperatorBody, 400: e[400], 403: e[403], 404: e[404], 500: e[500] },
      },
    },
    async (r) => view(await operators.get(r.params.id)),
  );

  app.post(
    '/operators/:id/disable',
    {
      onRequest: adminOnly,
      config: { audit: { action: 'operator.disable', target: 'operator' } },
      schema: {
        tags,
        security: secured,
        operationId: 'disableOperator',
        summary: 'Disable an operator: no more logins, its sessions end at once (admins only); idempotent',
        description: 'The last active admin cannot be disabled (409 LAST_ADMIN). The account stays for the audit log.',
        params: OperatorParams,
        response: {
          200: OperatorBody,
          400: e[400],
          403: e[403],
          404: e[404],
          409: e[409],
          500: e[500],
        },
      },
    },
    async (r) => view(await operators.disable(r.params.id)),
  );
};

export default operatorRoutes;
