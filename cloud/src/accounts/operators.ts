/**
 * Operator accounts: the fleet's staff, kept apart from households (own table, own sessions, own
 * API scope). Nothing turns a household user into an operator; operators are made by an admin or,
 * for the first one, by the launcher (ensureOperator). An email is either a household's or an
 * operator's, so one login route can tell them apart. Passwords are scrypt hashes, as users' are.
 */
import { and, asc, eq, isNull, ne, sql } from 'drizzle-orm';
import type { Db } from '../db/database.ts';
import { operators, users, type OperatorRole } from '../db/schema.ts';
import { EmailTakenError, InvalidInputError, LastAdminError, NotFoundError } from '../errors.ts';
import { isUuid } from '../ids.ts';
import { hashSecret } from '../secrets.ts';
import { MIN_PASSWORD_LENGTH, normalizeEmail } from './accounts.ts';
import type { SessionService } from './sessions.ts';

/** Who is acting, as the admin API and the audit log know an operator. */
export interface OperatorIdentity {
  id: string;
  email: string;
  role: OperatorRole;
}

export interface Operator extends OperatorIdentity {
  disabled: boolean;
  createdAt: Date;
}

export interface NewOperator {
  email: string;
  password: string;
  role: OperatorRole;
}

const columns = {
  id: operators.id,
  email: operators.email,
  role: operators.role,
  disabledAt: operators.disabledAt,
  createdAt: operators.createdAt,
};

export class OperatorService {
  constructor(
    private readonly db: Db,
    private readonly sessions: SessionService,
  ) {}

  async create(input: NewOperator): Promise<Operator> {
    const email = checkEmail(input.email);
    if (input.password.length < MIN_PASSWORD_LENGTH) {
      throw new InvalidInputError('password', `password must have at least ${MIN_PASSWORD_LENGTH} characters`);
    }
    // A household's address stays the household's: one login route must find one account for it.
    const [household] = await this.db.select({ id: users.id }).from(users).where(eq(users.email, email));
    if (household) throw new EmailTakenError(email);
    const passwordHash = await hashSecret(input.password);
    const [row] = await this.db
      .insert(operators)
      .values({ email, passwordHash, role: input.role })
      .onConflictDoNothing({ target: operators.email })
      .returning(columns);
    if (!row) throw new EmailTakenError(email);
    return toOperator(row);
  }

  list(): Promise<Operator[]> {
    return this.db
      .select(columns)
      .from(operators)
      .orderBy(asc(operators.email))
      .then((rows) => rows.map(toOperator));
  }

  async get(id: string): Promise<Operator> {
    if (!isUuid(id)) throw new NotFoundError('operator');
    const [row] = await this.db.select(columns).from(operators).where(eq(operators.id, id));
    if (!row) throw new NotFoundError('operator');
    return toOperator(row);
  }

  /** The operator behind a token, read on every admin request so that a disable takes effect at once. */
  async active(id: string): Promise<OperatorIdentity | null> {
    if (!isUuid(id)) return null;
    const [row] = await this.db
      .select({ id: operators.id, email: operators.email, role: operators.role })
      .from(operators)
      .where(and(eq(operators.id, id), isNull(operators.disabledAt)));
    return row ?? null;
  }

  /**
   * Disables an operator and ends its sessions on every instance; idempotent. The last active admin
   * stays (LastAdminError), so somebody can always manage operators.
   */
  async disable(id: string): Promise<Operator> {
    const target = await this.get(id);
    if (!target.disabled) {
      const otherAdmins = sql`exists (select 1 from ${operators} o
        where o.role = 'admin' and o.disabled_at is null and o.id <> ${id})`;
      const [row] = await this.db
        .update(operators)
        .set({ disabledAt: new Date() })
        .where(
          and(
            eq(operators.id, id),
            isNull(operators.disabledAt),
            sql`(${ne(operators.role, 'admin')} or ${otherAdmins})`,
          ),
        )
        .returning(columns);
      if (!row && target.role === 'admin') throw new LastAdminError();
    }
    await this.sessions.revokeOperator(id);
    return this.get(id);
  }

  /** The operator's row for a login, password hash included; null for an unknown address. */
  async forLogin(email: string): Promise<(OperatorIdentity & { passwordHash: string; disabled: boolean }) | null> {
    const [row] = await this.db
      .select({ ...columns, passwordHash: operators.passwordHash })
      .from(operators)
      .where(eq(operators.email, normalizeEmail(email)));
    if (!row) return null;
    return { id: row.id, email: row.email, role: row.role, passwordHash: row.passwordHash, disabled: !!row.disabledAt };
  }
}

function checkEmail(email: string): string {
  const normalized = normalizeEmail(email);
  if (!/^[^\s@]+@[^\s@]+$/.test(normalized)) throw new InvalidInputError('email', 'email is not an address');
  return normalized;
}

function toOperator(row: { id: string; email: string; role: OperatorRole; disabledAt: Date | null; createdAt: Date }) {
  return { id: row.id, email: row.email, role: row.role, disabled: row.disabledAt !== null, createdAt: row.createdAt };
}
