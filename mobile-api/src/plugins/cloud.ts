/**
 * Makes the cloud's services available as `app.cloud`. The cloud is composed and owned by the caller
 * (launcher or test), which closes it after the API; this plugin only borrows it.
 */
import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';
import type { CloudServices, EventBus } from '@switchfleet/cloud';

declare module 'fastify' {
  interface FastifyInstance {
    cloud: CloudServices & { events: EventBus };
  }
}

export interface CloudPluginOptions {
  services: CloudServices;
  events: EventBus;
}

export default fp(
  async function cloud(app: FastifyInstance, options: CloudPluginOptions) {
    app.decorate('cloud', { ...options.services, events: options.events });
  },
  { name: 'cloud', fastify: '5.x' },
);
