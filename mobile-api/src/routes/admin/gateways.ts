/**
 * Gateway provisioning for admins, the API beside the cloud CLI's `gateways provision|rotate`: a new
 * gateway's id, MQTT secret and claim code, or a new secret for one. The secret is in this answer
 * only (stored as a `$7$` hash), so the answer is `no-store` (RFC 9111 §5.2.2.5) and the audit log
 * records the gateway, never the secret. Behind mosquitto the operator then writes the broker's files
 * (`npm run cloud -- mosquitto files`) for the gateway to be admitted.
 */
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { newGatewayId } from '@switchfleet/cloud';
import { requireRole } from '../../plugins/admin.ts';
import {
  created,
  errorResponses as e,
  FleetGatewayParams,
  GatewayCredentialsBody,
  ProvisionGatewayBody,
} from '../../schemas.ts';

const secured = [{ bearerAuth: [] }];
const tags = ['admin'];
const BROKER = ' Behind mosquitto, `npm run cloud -- mosquitto files` then a reload admits the new secret.';

const gatewayProvisioningRoutes: FastifyPluginAsyncTypebox = async (app) => {
  const { gateways } = app.cloud;
  const adminOnly = requireRole('admin');

  app.post(
    '/gateways',
    {
      onRequest: adminOnly,
      config: { audit: { action: 'gateway.provision', target: 'gateway' } },
      schema: {
        tags,
        security: secured,
        operationId: 'provisionGateway',
        summary: 'Provision a gateway: its id, MQTT secret (shown once) and claim code (admins only)',
        description: `An id already provisioned is 409 GATEWAY_EXISTS; a homeId no home has is 404.${BROKER}`,
        body: ProvisionGatewayBody,
        response: {
          201: created(GatewayCredentialsBody),
          400: e[400],
          403: e[403],
          404: e[404],
          409: e[409],
          500: e[500],
        },
      },
    },
    async (r, reply) => {
      const made = await gateways.provisionGateway({
        gatewayId: r.body.id ?? newGatewayId(),
        ...(r.body.homeId === undefined ? {} : { homeId: r.body.homeId }),
      });
      r.audit.target = { type: 'gateway', id: made.gatewayId };
      r.audit.detail = { claimed: r.body.homeId !== undefined };
      return reply
        .code(201)
        .header('cache-control', 'no-store')
        .header('location', `${app.prefix}/gateways/${made.gatewayId}`)
        .send(made);
    },
  );

  app.post(
    '/gateways/:id/secret',
    {
      onRequest: adminOnly,
      config: { audit: { action: 'gateway.rotate-secret', target: 'gateway' } },
      schema: {
        tags,
        security: secured,
        operationId: 'rotateGatewaySecret',
        summary: "Replace a gateway's MQTT secret; the new one is shown once (admins only)",
        description: `The old secret stops working at the gateway's next connection.${BROKER}`,
        params: FleetGatewayParams,
        response: { 200: GatewayCredentialsBody, 400: e[400], 403: e[403], 404: e[404], 500: e[500] },
      },
    },
    async (r, reply) => {
      const made = await gateways.rotateSecret(r.params.id);
      r.audit.target = { type: 'gateway', id: made.gatewayId };
      return reply.header('cache-control', 'no-store').send(made);
    },
  );
};

export default gatewayProvisioningRoutes;
