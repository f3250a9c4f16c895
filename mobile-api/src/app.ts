/**
 * buildApi: the fastify instance of the mobile API, not listening. Tests drive it with `inject`, the
 * launcher calls `listen`. Plugin order follows fastify's: shared plugins (errors, cloud, auth, docs)
 * first, then the routes, which the docs plugin sees as they register.
 */
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import Fastify, { type FastifyBaseLogger, type FastifyInstance } from 'fastify';
import type { Cloud } from '@switchfleet/cloud';
import { DEFAULT_TOKEN_TTL_SECONDS, TokenIssuer } from './jwt.ts';
import admin from './plugins/admin.ts';
import auth from './plugins/auth.ts';
import cloudPlugin from './plugins/cloud.ts';
import commandWaits from './plugins/command-waits.ts';
import docs from './plugins/docs.ts';
import errors, { sendError } from './plugins/errors.ts';
import httpSemantics from './plugins/http-semantics.ts';
import observability from './plugins/observability.ts';
import rateLimits from './plugins/rate-limit.ts';
import { randomUUID } from 'node:crypto';
import authRoutes, { type AuthRouteOptions } from './routes/auth.ts';
import commandRoutes from './routes/commands.ts';
import shadowRoutes from './routes/shadow.ts';
import homeRoutes from './routes/homes.ts';
import eventRoutes from './routes/events.ts';
import scheduleRoutes from './routes/schedules.ts';
import deviceRoutes from './routes/devices.ts';
import healthRoutes from './routes/health.ts';
import adminOperatorRoutes from './routes/admin/operators.ts';
import adminAuditRoutes from './routes/admin/audit.ts';
import adminReleaseRoutes from './routes/admin/releases.ts';
import adminSigningKeyRoutes from './routes/admin/signing-keys.ts';
import adminUpdateRoutes from './routes/admin/updates.ts';
import adminEventRoutes from './routes/admin/events.ts';
import adminFleetRoutes from './routes/admin/fleet.ts';
import adminGatewayRoutes from './routes/admin/gateways.ts';
import adminRolloutRoutes from './routes/admin/rollouts.ts';
import firmwareRoutes from './routes/firmware.ts';
import { ErrorBody } from './schemas.ts';
import { partAwareValidator } from './validation.ts';

export interface ApiOptions {
  /** The composed cloud (createCloud); the API uses its services and never closes it. */
  cloud: Pick<Cloud, 'services' | 'events' | 'metrics'>;
  /** HS256 key for access tokens, at least 32 characters. */
  jwtSecret: string;
  /** A pino logger (e.g. the launcher's); omitted means no request logging. */
  logger?: FastifyBaseLogger | undefined;
  /** Access-token lifetime; default 15 minutes. */
  tokenTtlSeconds?: number | undefined;
  /** Login and registration limits; defaults in routes/auth.ts (DEFAULT_LOGIN_PER_ACCOUNT_IP, …). */
  authLimits?: AuthRouteOptions | undefined;
}

export async function buildApi(options: ApiOptions): Promise<FastifyInstance> {
  const app = Fastify({
    ...(options.logger ? { loggerInstance: options.logger } : { logger: false }),
    // Bodies are validated without type coercion, the other parts with it (validation.ts).
    schemaController: { compilersFactory: { buildValidator: partAwareValidator() } },
    // What the router refuses (bad percent-encoding, 414) leaves in the API's error shape too.
    frameworkErrors: sendError,
    // A caller's (or proxy's) request id is kept when it looks like one, so logs line up across hops.
    genReqId: (req) => {
      const given = req.headers['x-request-id'];
      return typeof given === 'string' && /^[\w.-]{1,64}$/.test(given) ? given : randomUUID();
    },
  }).withTypeProvider<TypeBoxTypeProvider>();

  app.addSchema(ErrorBody);
  await app.register(httpSemantics);
  await app.register(errors);
  await app.register(observability, { metrics: options.cloud.metrics });
  await app.register(cloudPlugin, { services: options.cloud.services, events: options.cloud.events });
  await app.register(rateLimits);
  await app.register(auth, {
    tokens: new TokenIssuer(options.jwtSecret, options.tokenTtlSeconds ?? DEFAULT_TOKEN_TTL_SECONDS),
  });
  await app.register(commandWaits);
  await app.register(docs);

  await app.register(authRoutes, { prefix: '/v1/auth', ...(options.authLimits ?? {}) });
  await app.register(deviceRoutes, { prefix: '/v1' });
  await app.register(commandRoutes, { prefix: '/v1' });
  await app.register(shadowRoutes, { prefix: '/v1' });
  await app.register(homeRoutes, { prefix: '/v1' });
  await app.register(eventRoutes, { prefix: '/v1' });
  await app.register(scheduleRoutes, { prefix: '/v1' });
  await app.register(firmwareRoutes, { prefix: '/v1' });
  await app.register(healthRoutes);
  // Operators' API, apart from the households' (plugins/admin.ts); later admin routes join this list.
  await app.register(admin, {
    prefix: '/v1/admin',
    routes: [
      adminOperatorRoutes,
      adminAuditRoutes,
      adminReleaseRoutes,
      adminSigningKeyRoutes,
      adminUpdateRoutes,
      adminEventRoutes,
      adminFleetRoutes,
      adminGatewayRoutes,
      adminRolloutRoutes,
    ],
  });
  return app as unknown as FastifyInstance;
}
