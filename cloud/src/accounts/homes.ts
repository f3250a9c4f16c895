/**
 * Homes, their members and rooms. A home's creator is its owner and its first member. A user sees
 * only homes they belong to: anything else answers as absent (NotFoundError), so ids cannot be
 * probed; a member who may see a home but not change it gets ForbiddenError. A change of who belongs
 * to a home is announced on the event bus, so live streams of every instance follow it at once.
 */
import { and, asc, eq } from 'drizzle-orm';
import type { Db } from '../db/database.ts';
import { homeMembers, homes, rooms, users } from '../db/schema.ts';
import { violatedUniqueKey } from '../db/constraint-errors.ts';
import { ForbiddenError, InvalidInputError, NameTakenError, NotFoundError } from '../errors.ts';
import { isUuid } from '../ids.ts';
import { notifyMembershipChangedSql } from '../events/bus.ts';

export interface Home {
  id: string;
  name: string;
  ownerId: string;
  /** IANA time zone of the home's wall clock (maintenance windows are read in it). */
  timeZone: string;
}

/** What a home's owner may change; at least one of them. */
export interface HomeChange {
  name?: string;
  timeZone?: string;
}

export interface HomeMembership extends Home {
  role: 'owner' | 'member';
}

export interface Member {
  userId: string;
  email: string;
  role: 'owner' | 'member';
}

export interface Room {
  id: string;
  homeId: string;
  name: string;
}

/** rooms(home_id, name): two rooms of one home never share a name. */
const ROOM_NAME_KEY = 'rooms_home_name_uq';
const membershipColumns = {
  id: homes.id,
  name: homes.name,
  ownerId: homes.ownerId,
  timeZone: homes.timeZone,
  role: homeMembers.role,
};

export class HomeService {
  constructor(
    private readonly db: Db,
    /** Called when someone loses access to a home, so this instance's cached views of its devices go at once. */
    private readonly onAccessRevoked: () => void = () => {},
  ) {}

  async createHome(userId: string, name: string): Promise<Home> {
    if (!isUuid(userId)) throw new InvalidInputError('userId', 'userId is not a user id');
    const trimmed = checkName(name, 100);
    return this.db.transaction(async (tx) => {
      const [home] = await tx
        .insert(homes)
        .values({ name: trimmed, ownerId: userId })
        .returning({ id: homes.id, name: homes.name, ownerId: homes.ownerId, timeZone: homes.timeZone });
      if (!home) throw new Error('insert into homes returned no row');
      await tx.insert(homeMembers).values({ homeId: home.id, userId, role: 'owner' });
      return home;
    });
  }

  homesForUser(userId: string): Promise<HomeMembership[]> {
    if (!isUuid(userId)) return Promise.resolve([]);
    return this.db
      .select(membershipColumns)
      .from(homeMembers)
      .innerJoin(homes, eq(homes.id, homeMembers.homeId))
      .where(eq(homeMembers.userId, userId))
      .orderBy(homes.createdAt);
  }

  /** The home with the caller's role; NotFoundError when the caller is not a member. */
  async membership(userId: string, homeId: string): Promise<HomeMembership> {
    if (!isUuid(userId) || !isUuid(homeId)) throw new NotFoundError('home');
    const [row] = await this.db
      .select(membershipColumns)
      .from(homeMembers)
      .innerJoin(homes, eq(homes.id, homeMembers.homeId))
      .where(and(eq(homeMembers.userId, userId), eq(homeMembers.homeId, homeId)));
    if (!row) throw new NotFoundError('home');
    return row;
  }

  /** As membership, but the caller must own the home. */
  async asOwner(userId: string, homeId: string, action: string): Promise<HomeMembership> {
    const home = await this.membership(userId, homeId);
    if (home.role !== 'owner') throw new ForbiddenError(`only the owner of a home can ${action}`);
    return home;
  }

  /** The owner renames the home or sets its time zone (who may is checked first, as for every change). */
  async update(userId: string, homeId: string, change: HomeChange): Promise<HomeMembership> {
    const home = await this.asOwner(userId, homeId, 'change it');
    const set: Partial<Pick<Home, 'name' | 'timeZone'>> = {};
    if (change.name !== undefined) set.name = checkName(change.name, 100);
    if (change.timeZone !== undefined) set.timeZone = checkTimeZone(change.timeZone);
    if (Object.keys(set).length === 0) throw new InvalidInputError('name', 'give a name or a timeZone to change');
    await this.db.update(homes).set(set).where(eq(homes.id, homeId));
    return { ...home, ...set };
  }

  async members(userId: string, homeId: string): Promise<Member[]> {
    await this.membership(userId, homeId);
    return this.db
      .select({ userId: homeMembers.userId, email: users.email, role: homeMembers.role })
      .from(homeMembers)
      .innerJoin(users, eq(users.id, homeMembers.userId))
      .where(eq(homeMembers.homeId, homeId))
      .orderBy(asc(users.email));
  }

  /** The owner removes a member (not themself: a home always keeps its owner). */
  async removeMember(userId: string, homeId: string, memberId: string): Promise<void> {
    const home = await this.asOwner(userId, homeId, 'remove members');
    if (!isUuid(memberId) || memberId === home.ownerId) throw new NotFoundError('member');
    const removed = await this.db.transaction(async (tx) => {
      const rows = await tx
        .delete(homeMembers)
        .where(and(eq(homeMembers.homeId, homeId), eq(homeMembers.userId, memberId)))
        .returning({ userId: homeMembers.userId });
      // In the same transaction: every instance hears of it before any event committed after it.
      if (rows.length > 0) await tx.execute(notifyMembershipChangedSql({ homeId, userId: memberId }));
      return rows;
    });
    if (removed.length === 0) throw new NotFoundError('member');
    this.onAccessRevoked();
  }

  async createRoom(userId: string, homeId: string, name: string): Promise<Room> {
    await this.membership(userId, homeId);
    const [room] = await this.db
      .insert(rooms)
      .values({ homeId, name: checkName(name, 64) })
      .onConflictDoNothing()
      .returning({ id: rooms.id, homeId: rooms.homeId, name: rooms.name });
    if (!room) throw new NameTakenError('room of this home');
    return room;
  }

  async rooms(userId: string, homeId: string): Promise<Room[]> {
    await this.membership(userId, homeId);
    return this.db
      .select({ id: rooms.id, homeId: rooms.homeId, name: rooms.name })
      .from(rooms)
      .where(eq(rooms.homeId, homeId))
      .orderBy(asc(rooms.name));
  }

  async renameRoom(userId: string, homeId: string, roomId: string, name: string): Promise<Room> {
    await this.membership(userId, homeId);
    if (!isUuid(roomId)) throw new NotFoundError('room');
    const [room] = await this.db
      .update(rooms)
      .set({ name: checkName(name, 64) })
      .where(and(eq(rooms.id, roomId), eq(rooms.homeId, homeId)))
      .returning({ id: rooms.id, homeId: rooms.homeId, name: rooms.name })
      .catch((e: unknown) => {
        // The unique key is the only judge that holds under concurrent renames; its violation is the user's.
        if (violatedUniqueKey(e) === ROOM_NAME_KEY) throw new NameTakenError('room of this home');
        throw e;
      });
    if (!room) throw new NotFoundError('room');
    return room;
  }
}

/**
 * An IANA time zone name as the runtime's Intl knows it (ECMA-402 §6.5.2 IsValidTimeZoneName), kept in
 * its canonical spelling: the rollout engine reads maintenance windows through the same Intl, so a name
 * accepted here is one it can read.
 */
function checkTimeZone(timeZone: string): string {
  try {
    return new Intl.DateTimeFormat('en-US', { timeZone }).resolvedOptions().timeZone;
  } catch {
    throw new InvalidInputError('timeZone', `timeZone "${timeZone.slice(0, 64)}" is not an IANA time zone name`);
  }
}

function checkName(name: string, max: number): string {
  const trimmed = name.trim();
  if (trimmed.length === 0 || trimmed.length > max)
    throw new InvalidInputError('name', `name must have 1 to ${max} characters`);
  return trimmed;
}
