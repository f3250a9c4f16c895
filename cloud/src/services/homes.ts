/** Homes and their members. A home's creator is its owner and its first member. */
import { eq } from 'drizzle-orm';
import type { Db } from '../db/database.ts';
import { homeMembers, homes } from '../db/schema.ts';
import { InvalidInputError } from '../errors.ts';
import { isUuid } from '../ids.ts';

export interface Home {
  id: string;
  name: string;
  ownerId: string;
}

export interface HomeMembership extends Home {
  role: 'owner' | 'member';
}

export class HomeService {
  constructor(private readonly db: Db) {}

  async createHome(userId: string, name: string): Promise<Home> {
    if (!isUuid(userId)) throw new InvalidInputError('userId', 'userId is not a user id');
    const trimmed = name.trim();
    if (trimmed.length === 0 || trimmed.length > 100) throw new InvalidInputError('name', 'home name must have 1 to 100 characters');
    return this.db.transaction(async (tx) => {
      const [home] = await tx
        .insert(homes)
        .values({ name: trimmed, ownerId: userId })
        .returning({ id: homes.id, name: homes.name, ownerId: homes.ownerId });
      if (!home) throw new Error('insert into homes returned no row');
      await tx.insert(homeMembers).values({ homeId: home.id, userId, role: 'owner' });
      return home;
    });
  }

  homesForUser(userId: string): Promise<HomeMembership[]> {
    if (!isUuid(userId)) return Promise.resolve([]);
    return this.db
      .select({ id: homes.id, name: homes.name, ownerId: homes.ownerId, role: homeMembers.role })
      .from(homeMembers)
      .innerJoin(homes, eq(homes.id, homeMembers.homeId))
      .where(eq(homeMembers.userId, userId))
      .orderBy(homes.createdAt);
  }
}
