/** Homes, members, invitations, rooms and gateway claiming. Everything of a home not the caller's is 404. */
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { Gateway } from '@switchfleet/cloud';
import { Type } from 'typebox';
import {
  ClaimBody,
  GatewayBody,
  GatewayList,
  HomeBody,
  HomeList,
  HomeParams,
  InvitationBody,
  InvitationList,
  InvitationParams,
  InviteBody,
  MemberList,
  MemberParams,
  NameBody,
  RoomBody,
  RoomList,
  RoomParams,
} from '../schemas.ts';
import { errorResponses } from '../schemas.ts';

const secured = [{ bearerAuth: [] }];
const tags = ['homes'];
const e = errorResponses;
const gatewayView = (g: Gateway) => ({ id: g.id, homeId: g.homeId, online: g.online, lastSeen: g.lastSeen ? g.lastSeen.toISOString() : null });

const homeRoutes: FastifyPluginAsyncTypebox = async (app) => {
  app.addHook('onRequest', app.authenticate);
  const { homes, invitations, gateways } = app.cloud;

  app.get('/homes', { schema: { tags, security: secured, summary: 'Homes the caller belongs to', response: { 200: HomeList, 401: e[401], 500: e[500] } } }, (r) =>
    homes.homesForUser(r.userId),
  );
  app.post(
    '/homes',
    { schema: { tags, security: secured, summary: 'Create a home (the caller owns it)', body: NameBody, response: { 201: HomeBody, 400: e[400], 401: e[401], 500: e[500] } } },
    async (r, reply) => reply.code(201).send({ ...(await homes.createHome(r.userId, r.body.name)), role: 'owner' as const }),
  );
  app.get(
    '/homes/:id',
    { schema: { tags, security: secured, summary: 'One home', params: HomeParams, response: { 200: HomeBody, 400: e[400], 401: e[401], 404: e[404], 500: e[500] } } },
    (r) => homes.membership(r.userId, r.params.id),
  );
  app.patch(
    '/homes/:id',
    {
      schema: { tags, security: secured, summary: 'Rename a home (owner)', params: HomeParams, body: NameBody, response: { 200: HomeBody, 400: e[400], 401: e[401], 403: e[403], 404: e[404], 500: e[500] } },
    },
    (r) => homes.rename(r.userId, r.params.id, r.body.name),
  );
  app.get(
    '/homes/:id/members',
    { schema: { tags, security: secured, summary: 'Members and their roles', params: HomeParams, response: { 200: MemberList, 400: e[400], 401: e[401], 404: e[404], 500: e[500] } } },
    (r) => homes.members(r.userId, r.params.id),
  );
  app.delete(
    '/homes/:id/members/:userId',
    {
      schema: {
        tags,
        security: secured,
        summary: 'Remove a member (owner)',
        params: MemberParams,
        response: { 204: Type.Null({ description: 'Removed' }), 400: e[400], 401: e[401], 403: e[403], 404: e[404], 500: e[500] },
      },
    },
    async (r, reply) => {
      await homes.removeMember(r.userId, r.params.id, r.params.userId);
      return reply.code(204).send(null);
    },
  );
  app.post(
    '/homes/:id/invitations',
    {
      schema: {
        tags,
        security: secured,
        summary: 'Invite someone by email (owner)',
        params: HomeParams,
        body: InviteBody,
        response: { 201: InvitationBody, 400: e[400], 401: e[401], 403: e[403], 404: e[404], 409: e[409], 500: e[500] },
      },
    },
    async (r, reply) => reply.code(201).send(await invitations.invite(r.userId, r.params.id, r.body.email)),
  );
  app.get('/invitations', { schema: { tags, security: secured, summary: 'Pending invitations addressed to the caller', response: { 200: InvitationList, 401: e[401], 500: e[500] } } }, (r) =>
    invitations.pendingFor(r.userId),
  );
  app.post(
    '/invitations/:id/accept',
    {
      schema: { tags, security: secured, summary: 'Accept an invitation addressed to the caller', params: InvitationParams, response: { 200: HomeBody, 400: e[400], 401: e[401], 404: e[404], 500: e[500] } },
    },
    (r) => invitations.accept(r.userId, r.params.id),
  );
  app.get(
    '/homes/:id/rooms',
    { schema: { tags, security: secured, summary: 'Rooms of a home', params: HomeParams, response: { 200: RoomList, 400: e[400], 401: e[401], 404: e[404], 500: e[500] } } },
    (r) => homes.rooms(r.userId, r.params.id),
  );
  app.post(
    '/homes/:id/rooms',
    { schema: { tags, security: secured, summary: 'Add a room', params: HomeParams, body: NameBody, response: { 201: RoomBody, 400: e[400], 401: e[401], 404: e[404], 500: e[500] } } },
    async (r, reply) => reply.code(201).send(await homes.createRoom(r.userId, r.params.id, r.body.name)),
  );
  app.patch(
    '/homes/:id/rooms/:roomId',
    { schema: { tags, security: secured, summary: 'Rename a room', params: RoomParams, body: NameBody, response: { 200: RoomBody, 400: e[400], 401: e[401], 404: e[404], 500: e[500] } } },
    (r) => homes.renameRoom(r.userId, r.params.id, r.params.roomId, r.body.name),
  );
  app.get(
    '/homes/:id/gateways',
    { schema: { tags, security: secured, summary: 'Gateways of a home', params: HomeParams, response: { 200: GatewayList, 400: e[400], 401: e[401], 404: e[404], 500: e[500] } } },
    async (r) => {
      await homes.membership(r.userId, r.params.id);
      return (await gateways.listForHome(r.userId, r.params.id)).map(gatewayView);
    },
  );
  app.post(
    '/homes/:id/gateways/claim',
    {
      schema: {
        tags,
        security: secured,
        summary: 'Claim a provisioned gateway into the home with its one-time code (owner)',
        params: HomeParams,
        body: ClaimBody,
        response: { 201: GatewayBody, 400: e[400], 401: e[401], 403: e[403], 404: e[404], 500: e[500] },
      },
    },
    async (r, reply) => reply.code(201).send(gatewayView(await gateways.claim(r.userId, r.params.id, r.body.claimCode))),
  );
};

export default homeRoutes;
