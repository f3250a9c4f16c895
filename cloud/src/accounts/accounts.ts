/** User accounts: registration and password check. Passwords are stored as scrypt hashes only. */
import { eq } from 'drizzle-orm';
import type { Db } from '../db/database.ts';
import { operators, users } from '../db/schema.ts';
import { EmailTakenError, InvalidInputError } from '../errors.ts';
import { hashSecret, newSecret, verifySecret } from '../secrets.ts';

export const MIN_PASSWORD_LENGTH = 8;

export interface User {
  id: string;
  email: string;
}

/** Emails compare case-insensitively: "Ann@x.io" and "ann@x.io" are one account. */
export function normalizeEmail(email: string): string {
  return email.trim().toLowerCase();
}

export class AccountService {
  #decoy: Promise<string> | undefined;

  constructor(private readonly db: Db) {}

  async register(email: string, password: string): Promise<User> {
    const normalized = normalizeEmail(email);
    if (!/^[^\s@]+@[^\s@]+$/.test(normalized)) throw new InvalidInputError('email', 'email is not an address');
    if (password.length < MIN_PASSWORD_LENGTH) {
      throw new InvalidInputError('password', `password must have at least ${MIN_PASSWORD_LENGTH} characters`);
    }
    const passwordHash = await hashSecret(password);
    // An operator's address is not a household's: one login route must find one account for it.
    const [operator] = await this.db
      .select({ id: operators.id })
      .from(operators)
      .where(eq(operators.email, normalized));
    if (operator) throw new EmailTakenError(normalized);
    // ON CONFLICT DO NOTHING instead of catching a driver-specific unique-violation error.
    const [row] = await this.db
      .insert(users)
      .values({ email: normalized, passwordHash })
      .onConflictDoNothing({ target: users.email })
      .returning({ id: users.id, email: users.email });
    if (!row) throw new EmailTakenError(normalized);
    return row;
  }

  /** The user for a correct email/password pair, otherwise null (unknown email and wrong password alike). */
  async verifyLogin(email: string, password: string): Promise<User | null> {
    const row = await this.forLogin(email);
    if (!row) {
      await this.spendDecoy(password);
      return null;
    }
    return (await verifySecret(password, row.passwordHash)) ? { id: row.id, email: row.email } : null;
  }

  /** The user's row for a login, password hash included; null for an unknown address. */
  async forLogin(email: string): Promise<(User & { passwordHash: string }) | null> {
    const [row] = await this.db
      .select({ id: users.id, email: users.email, passwordHash: users.passwordHash })
      .from(users)
      .where(eq(users.email, normalizeEmail(email)));
    return row ?? null;
  }

  /** The scrypt work of a real check, for an unknown address: response time does not reveal which emails exist. */
  async spendDecoy(password: string): Promise<void> {
    await verifySecret(password, await this.decoyHash());
  }

  async findByEmail(email: string): Promise<User | null> {
    const [row] = await this.db
      .select({ id: users.id, email: users.email })
      .from(users)
      .where(eq(users.email, normalizeEmail(email)));
    return row ?? null;
  }

  private decoyHash(): Promise<string> {
    this.#decoy ??= hashSecret(newSecret());
    return this.#decoy;
  }
}
