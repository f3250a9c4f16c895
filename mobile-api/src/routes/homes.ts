/** Homes, members, invitations, rooms and gateway claiming. Everything of a home not the caller's is 404. */
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { NotFoundError, type Gateway } from '@switchfleet/cloud';
import { Type } from 'typebox';
import {
  ClaimBody,
  created,
  GatewayBody,
  GatewayList,
  GatewayParams,
  HomeBody,
  HomeChangeBody,
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
const gatewayView = (g: Gateway) => ({
  id: g.id,
  homeId: g.homeId,
  online: g.online,
  lastSeen: g.lastSeen ? g.lastSeen.toISOString() : null,
});

const homeRoutes: FastifyPluginAsyncTypebox = async (app) => {
  app.addHook('onRequest', app.authenticate);
  const { homes, invitations, gateways } = app.cloud;
  /** RFC 9110 §15.3.2: a 201's Location names the created resource. */
  const at = (path: string) => `${app.prefix}${path}`;

  app.get(
    '/homes',
    {
      schema: {
        tags,
        security: secured,
        operationId: 'listHomes',
        summary: 'Homes the caller belongs to',
        response: { 200: HomeList, 401: e[401], 500: e[500] },
      },
    },
    (r) => homes.homesForUser(r.userId),
  );
  app.post(
    '/homes',
    {
      schema: {
        tags,
        security: secured,
        operationId: 'createHome',
        summary: 'Create a home (the caller owns it)',
        body: NameBody,
        response: { 201: created(HomeBody), 400: e[400], 401: e[401], 500: e[500] },
      },
    },
    async (r, reply) => {
      const home = await homes.createHome(r.userId, r.body.name);
      return reply
        .code(201)
        .header('location', at(`/homes/${home.id}`))
        .send({ ...home, role: 'owner' as const });
    },
  );
  app.get(
    '/homes/:id',
    {
      schema: {
        tags,
        security: secured,
        operationId: 'getHome',
        summary: 'One home',
        params: HomeParams,
        response: { 200: HomeBody, 400: e[400], 401: e[401], 404: e[404], 500: e[500] },
      },
    },
    (r) => homes.membership(r.userId, r.params.id),
  );
  app.patch(
    '/homes/:id',
    {
      schema: {
        tags,
        security: secured,
        operationId: 'renameHome',
        summary: 'Rename a home or set its time zone (owner)',
        description:
          'timeZone is an IANA name such as Europe/Berlin; rollouts read maintenance windows in it. ' +
          'A name the runtime does not know answers 400 INVALID_INPUT.',
        params: HomeParams,
        body: HomeChangeBody,
        response: { 200: HomeBody, 400: e[400], 401: e[401], 403: e[403], 404: e[404], 500: e[500] },
      },
    },
    (r) => homes.update(r.userId, r.params.id, r.body),
  );
  app.get(
    '/homes/:id/members',
    {
      schema: {
        tags,
        security: secured,
        operationId: 'listMembers',
        summary: 'Members and their roles',
        params: HomeParams,
        response: { 200: MemberList, 400: e[400], 401: e[401], 404: e[404], 500: e[500] },
      },
    },
    (r) => homes.members(r.userId, r.params.id),
  );
  app.delete(
    '/homes/:id/members/:userId',
    {
      schema: {
        tags,
        security: secured,
        operationId: 'removeMember',
        summary: 'Remove a member (owner)',
        params: MemberParams,
        response: {
          204: Type.Null({ description: 'Removed' }),
          400: e[400],
          401: e[401],
          403: e[403],
          404: e[404],
          500: e[500],
        },
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
        operationId: 'inviteMember',
        summary: 'Invite someone by email (owner)',
        params: HomeParams,
        body: InviteBody,
        response: {
          201: created(InvitationBody),
          400: e[400],
          401: e[401],
          403: e[403],
          404: e[404],
          409: e[409],
          500: e[500],
        },
      },
    },
    async (r, reply) => {
      const invitation = await invitations.invite(r.userId, r.params.id, r.body.email);
      return reply
        .code(201)
        .header('location', at(`/invitations/${invitation.id}`))
        .send(invitation);
    },
  );
  app.get(
    '/invitations/:id',
    {
      schema: {
        tags,
        security: secured,
        operationId: 'getInvitation',
        summary: "One invitation, for the person invited and the home's owner",
        params: InvitationParams,
        response: { 200: InvitationBody, 400: e[400], 401: e[401], 404: e[404], 500: e[500] },
      },
    },
    (r) => invitations.get(r.userId, r.params.id),
  );
  app.get(
    '/invitations',
    {
      schema: {
        tags,
        security: secured,
        operationId: 'listInvitations',
        summary: 'Pending invitations addressed to the caller',
        response: { 200: InvitationList, 401: e[401], 500: e[500] },
      },
    },
    (r) => invitations.pendingFor(r.userId),
  );
  app.post(
    '/invitations/:id/accept',
    {
      schema: {
        tags,
        security: secured,
        operationId: 'acceptInvitation',
        summary: 'Accept an invitation addressed to the caller',
        params: InvitationParams,
        response: { 200: HomeBody, 400: e[400], 401: e[401], 404: e[404], 500: e[500] },
      },
    },
    (r) => invitations.accept(r.userId, r.params.id),
  );
  app.get(
    '/homes/:id/rooms',
    {
      schema: {
        tags,
        security: secured,
        operationId: 'listRooms',
        summary: 'Rooms of a home',
        params: HomeParams,
        response: { 200: RoomList, 400: e[400], 401: e[401], 404: e[404], 500: e[500] },
      },
    },
    (r) => homes.rooms(r.userId, r.params.id),
  );
  app.post(
    '/homes/:id/rooms',
    {
      schema: {
        tags,
        security: secured,
        operationId: 'createRoom',
        summary: 'Add a room (409 NAME_TAKEN when another room of the home has that name)',
        params: HomeParams,
        body: NameBody,
        response: { 201: created(RoomBody), 400: e[400], 401: e[401], 404: e[404], 409: e[409], 500: e[500] },
      },
    },
    async (r, reply) => {
      const room = await homes.createRoom(r.userId, r.params.id, r.body.name);
      return reply
        .code(201)
        .header('location', at(`/homes/${room.homeId}/rooms/${room.id}`))
        .send(room);
    },
  );
  app.get(
    '/homes/:id/rooms/:roomId',
    {
      schema: {
        tags,
        security: secured,
        operationId: 'getRoom',
        summary: 'One room of a home',
        params: RoomParams,
        response: { 200: RoomBody, 400: e[400], 401: e[401], 404: e[404], 500: e[500] },
      },
    },
    async (r) => {
      const room = (await homes.rooms(r.userId, r.params.id)).find((x) => x.id === r.params.roomId);
      if (!room) throw new NotFoundError('room');
      return room;
    },
  );
  app.patch(
    '/homes/:id/rooms/:roomId',
    {
      schema: {
        tags,
        security: secured,
        operationId: 'renameRoom',
        summary: 'Rename a room (409 NAME_TAKEN when another room of the home has that name)',
        params: RoomParams,
        body: NameBody,
        response: { 200: RoomBody, 400: e[400], 401: e[401], 404: e[404], 409: e[409], 500: e[500] },
      },
    },
    (r) => homes.renameRoom(r.userId, r.params.id, r.params.roomId, r.body.name),
  );
  app.get(
    '/homes/:id/gateways',
    {
      schema: {
        tags,
        security: secured,
        operationId: 'listGateways',
        summary: 'Gateways of a home',
        params: HomeParams,
        response: { 200: GatewayList, 400: e[400], 401: e[401], 404: e[404], 500: e[500] },
      },
    },
    async (r) => {
      await homes.membership(r.userId, r.params.id);
      return (await gateways.listForHome(r.userId, r.params.id)).map(gatewayView);
    },
  );
  app.get(
    '/homes/:id/gateways/:gatewayId',
    {
      schema: {
        tags,
        security: secured,
        operationId: 'getGateway',
        summary: 'One gateway of a home',
        params: GatewayParams,
        response: { 200: GatewayBody, 400: e[400], 401: e[401], 404: e[404], 500: e[500] },
      },
    },
    async (r) => {
      await homes.membership(r.userId, r.params.id);
      const gateway = (await gateways.listForHome(r.userId, r.params.id)).find((g) => g.id === r.params.gatewayId);
      if (!gateway) throw new NotFoundError('gateway');
      return gatewayView(gateway);
    },
  );
  app.post(
    '/homes/:id/gateways/claim',
    {
      schema: {
        tags,
        security: secured,
        operationId: 'claimGateway',
        summary: 'Claim a provisioned gateway into the home with its one-time code (owner)',
        params: HomeParams,
        body: ClaimBody,
        response: { 201: created(GatewayBody), 400: e[400], 401: e[401], 403: e[403], 404: e[404], 500: e[500] },
      },
    },
    async (r, reply) => {
      const gateway = gatewayView(await gateways.claim(r.userId, r.params.id, r.body.claimCode));
      return reply
        .code(201)
        .header('location', at(`/homes/${r.params.id}/gateways/${gateway.id}`))
        .send(gateway);
    },
  );
};

export default homeRoutes;
