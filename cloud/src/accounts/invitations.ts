/**
 * Invitations into a home: the owner invites an email address; the account with that address (now
 * or later registered) sees the invitation and accepts it, becoming a member. Nobody else can see or
 * accept it (404), and accepting twice is harmless.
 */
import { and, eq, isNotNull, or } from 'drizzle-orm';
import type { Db } from '../db/database.ts';
import { homeInvitations, homeMembers, homes, users } from '../db/schema.ts';
import { AlreadyMemberError, InvalidInputError, NotFoundError } from '../errors.ts';
import { isUuid } from '../ids.ts';
import { normalizeEmail } from './accounts.ts';
import { notifyMembershipChangedSql } from '../events/bus.ts';
import type { HomeMembership, HomeService } from './homes.ts';

export interface Invitation {
  id: string;
  homeId: string;
  homeName: string;
  email: string;
  status: 'pending' | 'accepted' | 'revoked';
}

export class InvitationService {
  constructor(
    private readonly db: Db,
    private readonly homes: HomeService,
  ) {}

  async invite(userId: string, homeId: string, email: string): Promise<Invitation> {
    const home = await this.homes.asOwner(userId, homeId, 'invite members');
    const normalized = normalizeEmail(email);
    if (!/^[^\s@]+@[^\s@]+$/.test(normalized)) throw new InvalidInputError('email', 'email is not an address');
    const [member] = await this.db
      .select({ id: users.id })
      .from(users)
      .innerJoin(homeMembers, and(eq(homeMembers.userId, users.id), eq(homeMembers.homeId, homeId)))
      .where(eq(users.email, normalized));
    if (member) throw new AlreadyMemberError();
    await this.db
      .insert(homeInvitations)
      .values({ homeId, email: normalized, invitedBy: userId })
      .onConflictDoNothing();
    // A second invitation to the same address is the first one again.
    const [row] = await this.db
      .select()
      .from(homeInvitations)
      .where(
        and(
          eq(homeInvitations.homeId, homeId),
          eq(homeInvitations.email, normalized),
          eq(homeInvitations.status, 'pending'),
        ),
      );
    if (!row) throw new Error('invitation vanished');
    return { id: row.id, homeId, homeName: home.name, email: normalized, status: row.status };
  }

  /** Pending invitations addressed to the user's email. */
  async pendingFor(userId: string): Promise<Invitation[]> {
    const email = await this.emailOf(userId);
    if (!email) return [];
    return this.db
      .select({
        id: homeInvitations.id,
        homeId: homeInvitations.homeId,
        homeName: homes.name,
        email: homeInvitations.email,
        status: homeInvitations.status,
      })
      .from(homeInvitations)
      .innerJoin(homes, eq(homes.id, homeInvitations.homeId))
      .where(and(eq(homeInvitations.email, email), eq(homeInvitations.status, 'pending')));
  }

  /** One invitation, for the person it is addressed to and the home's owner; NotFoundError for anyone else. */
  async get(userId: string, invitationId: string): Promise<Invitation> {
    const email = await this.emailOf(userId);
    if (!email || !isUuid(invitationId)) throw new NotFoundError('invitation');
    const owner = and(
      eq(homeMembers.homeId, homeInvitations.homeId),
      eq(homeMembers.userId, userId),
      eq(homeMembers.role, 'owner'),
    );
    const { id, homeId, email: invited, status } = homeInvitations;
    const [row] = await this.db
      .select({ id, homeId, homeName: homes.name, email: invited, status })
      .from(homeInvitations)
      .innerJoin(homes, eq(homes.id, homeInvitations.homeId))
      .leftJoin(homeMembers, owner)
      .where(and(eq(id, invitationId), or(eq(invited, email), isNotNull(homeMembers.userId))));
    if (!row) throw new NotFoundError('invitation');
    return row;
  }

  /** Accepts an invitation addressed to the user; NotFoundError for anyone else's or an unknown one. */
  async accept(userId: string, invitationId: string): Promise<HomeMembership> {
    const email = await this.emailOf(userId);
    if (!email || !isUuid(invitationId)) throw new NotFoundError('invitation');
    const homeId = await this.db.transaction(async (tx) => {
      const [invitation] = await tx
        .update(homeInvitations)
        .set({ status: 'accepted', acceptedAt: new Date() })
        .where(
          and(
            eq(homeInvitations.id, invitationId),
            eq(homeInvitations.email, email),
            eq(homeInvitations.status, 'pending'),
          ),
        )
        .returning({ homeId: homeInvitations.homeId });
      if (!invitation) return null;
      await tx.insert(homeMembers).values({ homeId: invitation.homeId, userId, role: 'member' }).onConflictDoNothing();
      // The new member's open live streams widen to this home.
      await tx.execute(notifyMembershipChangedSql({ homeId: invitation.homeId, userId }));
      return invitation.homeId;
    });
    if (!homeId) throw new NotFoundError('invitation');
    return this.homes.membership(userId, homeId);
  }

  private async emailOf(userId: string): Promise<string | null> {
    if (!isUuid(userId)) return null;
    const [row] = await this.db.select({ email: users.email }).from(users).where(eq(users.id, userId));
    return row?.email ?? null;
  }
}
