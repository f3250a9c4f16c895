/**
 * The one login of households and operators (POST /v1/auth/login): an address names a household
 * user or an operator, never both (each service refuses the other's addresses). Every attempt on an
 * operator's address is written to the audit log, success or not; attempts on unknown addresses
 * spend the same scrypt work as real ones, so timing does not reveal which addresses exist.
 */
import type { AuditService } from '../audit/audit.ts';
import type { AccountService, User } from './accounts.ts';
import type { OperatorIdentity, OperatorService } from './operators.ts';
import { verifySecret } from '../secrets.ts';

export type LoginOutcome = { kind: 'user'; user: User } | { kind: 'operator'; operator: OperatorIdentity } | null;

export interface LoginContext {
  /** The client's address, kept in the audit entry of an operator's attempt. */
  ip?: string | undefined;
}

export class LoginService {
  constructor(
    private readonly accounts: AccountService,
    private readonly operators: OperatorService,
    private readonly audit: AuditService,
  ) {}

  /** Who a correct email/password pair belongs to; null for a wrong pair, an unknown address or a disabled operator. */
  async verify(email: string, password: string, context: LoginContext = {}): Promise<LoginOutcome> {
    const operator = await this.operators.forLogin(email);
    if (operator) {
      const matches = await verifySecret(password, operator.passwordHash);
      const identity = { id: operator.id, email: operator.email, role: operator.role };
      const reason = !matches ? 'wrong_password' : operator.disabled ? 'disabled' : null;
      await this.audit.record({
        actor: identity,
        action: 'auth.login',
        target: { type: 'operator', id: operator.id },
        outcome: reason === null ? 'success' : 'failure',
        detail: { ...(reason === null ? {} : { reason }), ...(context.ip ? { ip: context.ip } : {}) },
      });
      return reason === null ? { kind: 'operator', operator: identity } : null;
    }
    const user = await this.accounts.forLogin(email);
    if (!user) {
      await this.accounts.spendDecoy(password);
      return null;
    }
    return (await verifySecret(password, user.passwordHash))
      ? { kind: 'user', user: { id: user.id, email: user.email } }
      : null;
  }
}
