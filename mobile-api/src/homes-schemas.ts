/** Request and response shapes of homes, members, invitations, rooms and gateway claiming. */
import { Type } from 'typebox';

const Uuid = (description?: string) => Type.String({ format: 'uuid', ...(description ? { description } : {}) });
const Role = Type.Enum(['owner', 'member']);

export const HomeParams = Type.Object({ id: Uuid('Home id') });
export const MemberParams = Type.Object({ id: Uuid('Home id'), userId: Uuid('Member user id') });
export const RoomParams = Type.Object({ id: Uuid('Home id'), roomId: Uuid('Room id') });
export const InvitationParams = Type.Object({ id: Uuid('Invitation id') });

export const NameBody = Type.Object({ name: Type.String({ minLength: 1, maxLength: 100 }) }, { additionalProperties: false, examples: [{ name: 'Cabin' }] });

export const HomeBody = Type.Object(
  { id: Uuid(), name: Type.String(), ownerId: Uuid(), role: Role },
  { examples: [{ id: '1b7f2a4e-3c1d-4f5e-9a8b-7c6d5e4f3a2b', name: 'Home', ownerId: '2b7f2a4e-3c1d-4f5e-9a8b-7c6d5e4f3a2b', role: 'owner' }] },
);
export const HomeList = Type.Array(HomeBody);

export const MemberList = Type.Array(Type.Object({ userId: Uuid(), email: Type.String(), role: Role }));

export const InviteBody = Type.Object({ email: Type.String({ format: 'email', maxLength: 254 }) }, { additionalProperties: false, examples: [{ email: 'ann@example.com' }] });
export const InvitationBody = Type.Object({
  id: Uuid(),
  homeId: Uuid(),
  homeName: Type.String(),
  email: Type.String(),
  status: Type.Enum(['pending', 'accepted', 'revoked']),
});
export const InvitationList = Type.Array(InvitationBody);

export const RoomBody = Type.Object({ id: Uuid(), homeId: Uuid(), name: Type.String() });
export const RoomList = Type.Array(RoomBody);

export const ClaimBody = Type.Object(
  { claimCode: Type.String({ minLength: 8, maxLength: 64, description: 'The one-time code printed on the gateway' }) },
  { additionalProperties: false, examples: [{ claimCode: 'K7QX2M9PZR4TB8WN' }] },
);
export const GatewayBody = Type.Object({
  id: Type.String(),
  homeId: Type.Union([Uuid(), Type.Null()]),
  online: Type.Boolean(),
  lastSeen: Type.Union([Type.String({ format: 'date-time' }), Type.Null()]),
});
export const GatewayList = Type.Array(GatewayBody);
