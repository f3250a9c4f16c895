/**
 * Embedded broker adapter: aedes (MQTT 3.1.1) on a TCP port inside the cloud process. Every client
 * authenticates: a gateway with username = its gateway id and password = its provisioned secret, the
 * cloud's own client with an internal credential generated at start. Topic rights come from acl.ts.
 */
import { once } from 'node:events';
import { createServer, type Server, type Socket } from 'node:net';
import { timingSafeEqual } from 'node:crypto';
import { Aedes, type AuthenticateError, type Client } from 'aedes';
import type { Logger } from 'pino';
import { mayPublish, maySubscribe, mayWill, type Principal } from './acl.ts';

/** CONNACK return codes of MQTT 3.1.1 §3.2.2.3 (aedes' AuthErrorCode is a const enum we cannot import). */
const IDENTIFIER_REJECTED = 2;
const BAD_USERNAME_OR_PASSWORD = 4;
const NOT_AUTHORIZED = 5;

export interface InternalCredential {
  username: string;
  password: string;
}

export interface EmbeddedBrokerOptions {
  /** 0 picks an ephemeral port (tests). */
  port: number;
  host: string;
  internal: InternalCredential;
  /** Checks a gateway's secret against its stored hash; false for unknown gateways. */
  verifyGateway(gatewayId: string, secret: string): Promise<boolean>;
  logger: Logger;
}

export interface EmbeddedBroker {
  readonly port: number;
  readonly host: string;
  isUp(): boolean;
  connectedClients(): number;
  close(): Promise<void>;
}

export async function startEmbeddedBroker(options: EmbeddedBrokerOptions): Promise<EmbeddedBroker> {
  const { logger } = options;
  const principals = new WeakMap<Client, Principal>();
  const wills = new WeakMap<Client, string | undefined>();
  // aedes lets a new connection with an existing client id take over that session (and its queued
  // commands, MQTT 3.1.1 §3.1.4), so a gateway's client id is its gateway id and nothing else; the
  // cloud's own clients use ids under the prefix no gateway id may take (RESERVED_GATEWAY_PREFIX).
  const internalPassword = Buffer.from(options.internal.password);

  const broker = await Aedes.createBroker({
    // The CONNECT packet (with its will) is only visible here; authenticate() sees the client.
    preConnect(client, packet, done) {
      wills.set(client, packet.will?.topic);
      done(null, true);
    },
    authenticate(client, username, password, done) {
      const refuse = (returnCode: number, why: string) => {
        logger.warn({ clientId: client.id, username, why }, 'mqtt connection refused');
        const err = new Error(why) as AuthenticateError;
        err.returnCode = returnCode;
        done(err, false);
      };
      if (username === undefined || password === undefined) return refuse(BAD_USERNAME_OR_PASSWORD, 'no credentials');
      if (username === options.internal.username) {
        const ok = password.length === internalPassword.length && timingSafeEqual(password, internalPassword);
        if (!ok) return refuse(BAD_USERNAME_OR_PASSWORD, 'bad internal credential');
        principals.set(client, { kind: 'internal' });
        return done(null, true);
      }
      options.verifyGateway(username, password.toString()).then(
        (ok) => {
          if (!ok) return refuse(BAD_USERNAME_OR_PASSWORD, 'unknown gateway or wrong secret');
          const who: Principal = { kind: 'gateway', gatewayId: username };
          if (!mayWill(who, wills.get(client)))
            return refuse(NOT_AUTHORIZED, 'last will must be the gateway status topic');
          if (client.id !== username)
            return refuse(IDENTIFIER_REJECTED, 'a gateway connects with its gateway id as client id');
          principals.set(client, who);
          done(null, true);
        },
        (e: unknown) => {
          logger.error({ err: e, username }, 'gateway credential check failed');
          refuse(NOT_AUTHORIZED, 'credential check failed');
        },
      );
    },
    authorizePublish(client, packet, done) {
      // A null client is aedes re-publishing a stored will, which was checked at CONNECT.
      if (client === null) return done(null);
      const who = principals.get(client);
      if (who && mayPublish(who, packet.topic)) return done(null);
      logger.warn({ clientId: client.id, topic: packet.topic }, 'mqtt publish refused');
      done(new Error(`publish to ${packet.topic} is not allowed`));
    },
    authorizeSubscribe(client, subscription, done) {
      const who = principals.get(client);
      if (who && maySubscribe(who, subscription.topic)) return done(null, subscription);
      logger.warn({ clientId: client.id, topic: subscription.topic }, 'mqtt subscribe refused');
      // A null subscription is answered with SUBACK 0x80 (MQTT 3.1.1 §3.9.3) and the client stays connected.
      done(null, null);
    },
  });

  const sockets = new Set<Socket>();
  const server: Server = createServer({ noDelay: true }, (socket) => {
    sockets.add(socket);
    socket.once('close', () => sockets.delete(socket));
    broker.handle(socket);
  });
  broker.on('clientError', (client, err) =>
    logger.debug({ clientId: client.id, err: err.message }, 'mqtt client error'),
  );
  server.listen(options.port, options.host);
  try {
    await once(server, 'listening');
  } catch (e) {
    await new Promise<void>((resolve) => broker.close(() => resolve()));
    throw e;
  }
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : options.port;
  logger.info({ host: options.host, port }, 'embedded mqtt broker listening');

  let closing: Promise<void> | undefined;
  return {
    port,
    host: options.host,
    isUp: () => !broker.closed && server.listening,
    connectedClients: () => broker.connectedClients,
    close() {
      closing ??= (async () => {
        const serverClosed = new Promise<void>((resolve) => server.close(() => resolve()));
        await new Promise<void>((resolve) => broker.close(() => resolve()));
        for (const socket of sockets) socket.destroy();
        await serverClosed;
      })();
      return closing;
    },
  };
}
