/** Request and response shapes of homes, members, invitations, rooms and gateway claiming. */
import { Type } from 'typebox';
import { EX } from './examples.ts';
import { Text } from './http.ts';

const Uuid = (description: string | undefined, example: string) =>
  Type.String({ format: 'uuid', examples: [example], ...(description ? { description } : {}) });
const Id = () => Type.String({ format: 'uuid' });
const Role = Type.Enum(['owner', 'member']);

export const HomeParams = Type.Object({ id: Uuid('Home id', EX.homeId) });
export const MemberParams = Type.Object({
  id: Uuid('Home id', EX.homeId),
  userId: Uuid('Member user id', EX.otherUserId),
});
export const RoomParams = Type.Object({ id: Uuid('Home id', EX.homeId), roomId: Uuid('Room id', EX.roomId) });
export const GatewayParams = Type.Object({
  id: Uuid('Home id', EX.homeId),
  gatewayId: Type.String({ minLength: 1, maxLength: 64, description: 'Gateway id', examples: [EX.gatewayId] }),
});
export const InvitationParams = Type.Object({ id: Uuid('Invitation id', EX.invitationId) });

export const NameBody = Type.Object(
  { name: Text({ minLength: 1, maxLength: 100 }) },
  { additionalProperties: false, examples: [{ name: 'Cabin' }] },
);

/** IANA time zone names run to about 30 characters (America/Argentina/ComodRivadavia). */
const TimeZone = (description: string) =>
  Type.String({ minLength: 1, maxLength: 64, description, examples: ['Europe/Berlin'] });

/** PATCH /homes/{id}: a new name, a new time zone, or both. */
export const HomeChangeBody = Type.Object(
  {
    name: Type.Optional(Text({ minLength: 1, maxLength: 100 })),
    timeZone: Type.Optional(
      TimeZone('IANA time zone name of the home (checked with Intl); maintenance windows are read in it'),
    ),
  },
  { additionalProperties: false, minProperties: 1, examples: [{ name: 'Cabin' }, { timeZone: 'Europe/Berlin' }] },
);

const homeExample = { id: EX.homeId, name: 'Home', ownerId: EX.userId, timeZone: 'UTC', role: 'owner' };
export const HomeBody = Type.Object(
  {
    id: Id(),
    name: Type.String(),
    ownerId: Id(),
    timeZone: TimeZone('IANA time zone name, UTC unless set'),
    role: Role,
  },
  { examples: [homeExample] },
);
export const HomeList = Type.Array(HomeBody, { examples: [[homeExample]] });

export const MemberList = Type.Array(Type.Object({ userId: Id(), email: Type.String(), role: Role }), {
  examples: [
    [
      { userId: EX.userId, email: 'ann@example.com', role: 'owner' },
      { userId: EX.otherUserId, email: 'bob@example.com', role: 'member' },
    ],
  ],
});

export const InviteBody = Type.Object(
  { email: Text({ format: 'email', maxLength: 254 }) },
  { additionalProperties: false, examples: [{ email: 'bob@example.com' }] },
);
const invitationExample = {
  id: EX.invitationId,
  homeId: EX.homeId,
  homeName: 'Home',
  email: 'bob@example.com',
  status: 'pending',
};
export const InvitationBody = Type.Object(
  {
    id: Id(),
    homeId: Id(),
    homeName: Type.String(),
    email: Type.String(),
    status: Type.Enum(['pending', 'accepted', 'revoked']),
  },
  { examples: [invitationExample] },
);
export const InvitationList = Type.Array(InvitationBody, { examples: [[invitationExample]] });

const roomExample = { id: EX.roomId, homeId: EX.homeId, name: 'Kitchen' };
export const RoomBody = Type.Object({ id: Id(), homeId: Id(), name: Type.String() }, { examples: [roomExample] });
export const RoomList = Type.Array(RoomBody, { examples: [[roomExample]] });

export const ClaimBody = Type.Object(
  { claimCode: Text({ minLength: 8, maxLength: 64, description: 'The one-time code printed on the gateway' }) },
  { additionalProperties: false, examples: [{ claimCode: 'K7QX2M9PZR4TB8WN' }] },
);
const gatewayExample = { id: EX.gatewayId, homeId: EX.homeId, online: true, lastSeen: EX.at };
export const GatewayBody = Type.Object(
  {
    id: Type.String(),
    homeId: Type.Union([Id(), Type.Null()]),
    online: Type.Boolean(),
    lastSeen: Type.Union([Type.String({ format: 'date-time' }), Type.Null()]),
  },
  { examples: [gatewayExample] },
);
export const GatewayList = Type.Array(GatewayBody, { examples: [[gatewayExample]] });
