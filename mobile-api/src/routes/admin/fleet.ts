/**
 * The fleet for operators, read only: switches and gateways with their versions, presence and
 * updates, a page at a time. Both roles may read. The cloud's fleet service selects no name, e-mail
 * address or other text a household typed, and the response schemas have no field for one.
 */
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { FleetDevice, FleetGateway } from '@switchfleet/cloud';
import { NotFoundError } from '@switchfleet/cloud';
import {
  errorResponses as e,
  FleetDeviceBody,
  FleetDeviceParams,
  FleetDevicePage,
  FleetDeviceQueryString,
  FleetGatewayDetailBody,
  FleetGatewayPage,
  FleetGatewayParams,
  FleetGatewayQueryString,
} from '../../schemas.ts';

const secured = [{ bearerAuth: [] }];
const tags = ['admin'];
const iso = (d: Date | null) => (d === null ? null : d.toISOString());
const PRIVACY = ' Fleet data only: never a name of a device, room or home, an e-mail address or other household text.';
const PAGING = ' In id order, a page at a time: pass `nextCursor` back as `cursor`; a cursor not returned here is 400.';

const deviceView = (d: FleetDevice) => ({ ...d, lastSeen: iso(d.lastSeen), createdAt: d.createdAt.toISOString() });
const gatewayView = <G extends FleetGateway>(g: G) => ({
  ...g,
  lastSeen: iso(g.lastSeen),
  createdAt: g.createdAt.toISOString(),
});

const fleetRoutes: FastifyPluginAsyncTypebox = async (app) => {
  const { fleet } = app.cloud;

  app.get(
    '/devices',
    {
      schema: {
        tags,
        security: secured,
        operationId: 'listFleetDevices',
        summary: 'Switches of the whole fleet, filtered by model, version, gateway, home or presence',
        description: `Every filter given must hold.${PAGING}${PRIVACY}`,
        querystring: FleetDeviceQueryString,
        response: { 200: FleetDevicePage, 400: e[400], 404: e[404], 500: e[500] },
      },
    },
    async (r) => {
      const { limit, ...filters } = r.query;
      // The schema's default fills the limit in; the fallback only satisfies the type.
      const page = await fleet.listDevices({ ...filters, limit: limit ?? 50 });
      return { items: page.items.map(deviceView), nextCursor: page.nextCursor };
    },
  );

  app.get(
    '/devices/:id',
    {
      schema: {
        tags,
        security: secured,
        operationId: 'getFleetDevice',
        summary: 'One switch: gateway, address, model, firmware and its update, presence, battery, signal',
        description: `404 for an id no switch has.${PRIVACY}`,
        params: FleetDeviceParams,
        response: { 200: FleetDeviceBody, 400: e[400], 404: e[404], 500: e[500] },
      },
    },
    async (r) => {
      const device = await fleet.getDevice(r.params.id);
      if (!device) throw new NotFoundError('device');
      return deviceView(device);
    },
  );

  app.get(
    '/gateways',
    {
      schema: {
        tags,
        security: secured,
        operationId: 'listFleetGateways',
        summary: 'Gateways of the whole fleet with their versions, switch counts and active updates',
        description: `Every filter given must hold.${PAGING}${PRIVACY}`,
        querystring: FleetGatewayQueryString,
        response: { 200: FleetGatewayPage, 400: e[400], 404: e[404], 500: e[500] },
      },
    },
    async (r) => {
      const { limit, ...filters } = r.query;
      const page = await fleet.listGateways({ ...filters, limit: limit ?? 50 });
      return { items: page.items.map(gatewayView), nextCursor: page.nextCursor };
    },
  );

  app.get(
    '/gateways/:id',
    {
      schema: {
        tags,
        security: secured,
        operationId: 'getFleetGateway',
        summary: 'One gateway: presence, version, switch counts and the update jobs on its switches',
        description: `404 for an id no gateway has.${PRIVACY}`,
        params: FleetGatewayParams,
        response: { 200: FleetGatewayDetailBody, 400: e[400], 404: e[404], 500: e[500] },
      },
    },
    async (r) => {
      const gateway = await fleet.getGateway(r.params.id);
      if (!gateway) throw new NotFoundError('gateway');
      return gatewayView(gateway);
    },
  );
};

export default fleetRoutes;
