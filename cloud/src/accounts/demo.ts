/**
 * Idempotent demo seeding for a launcher: the demo account, its home and one gateway with a fresh
 * secret, and the first operator. Run it on every start: an existing account is logged into, an
 * existing home reused, an existing gateway's secret rotated (the launcher never has to store the
 * secret) and an existing operator kept as it is.
 */
import { CloudError, EmailTakenError, GatewayExistsError } from '../errors.ts';
import type { AuditService } from '../audit/audit.ts';
import type { OperatorRole } from '../db/schema.ts';
import { verifySecret } from '../secrets.ts';
import type { Operator, OperatorService } from './operators.ts';
import type { AccountService, User } from './accounts.ts';
import type { GatewayCredentials, GatewayService } from '../devices/gateways.ts';
import type { Home, HomeService } from './homes.ts';

export interface DemoSeed {
  email: string;
  password: string;
  gatewayId: string;
  homeName?: string;
}

export interface DemoAccount {
  user: User;
  home: Home;
  gateway: GatewayCredentials;
}

export class DemoSeedError extends CloudError {
  constructor(message: string) {
    super('INVALID_INPUT', message);
  }
}

export async function ensureDemo(
  services: { accounts: AccountService; homes: HomeService; gateways: GatewayService },
  seed: DemoSeed,
): Promise<DemoAccount> {
  const user = await registerOrLogin(services.accounts, seed.email, seed.password);
  const [existing] = await services.homes.homesForUser(user.id);
  const home = existing ?? (await services.homes.createHome(user.id, seed.homeName ?? 'Demo home'));
  const known = await services.gateways.get(seed.gatewayId);
  if (known && known.homeId !== home.id) throw new GatewayExistsError(seed.gatewayId);
  const gateway = known
    ? await services.gateways.rotateSecret(seed.gatewayId)
    : await services.gateways.provisionGateway({ gatewayId: seed.gatewayId, homeId: home.id });
  return { user, home: { id: home.id, name: home.name, ownerId: home.ownerId, timeZone: home.timeZone }, gateway };
}

async function registerOrLogin(accounts: AccountService, email: string, password: string): Promise<User> {
  try {
    return await accounts.register(email, password);
  } catch (e) {
    if (!(e instanceof EmailTakenError)) throw e;
    const user = await accounts.verifyLogin(email, password);
    if (!user) throw new DemoSeedError(`the demo account ${email} exists with a different password`);
    return user;
  }
}

export interface DemoOperatorSeed {
  email: string;
  password: string;
  /** Default admin: the first operator must be able to make the others and manage signing keys. */
  role?: OperatorRole;
}

/**
 * The launcher's operator (OPERATOR_EMAIL / OPERATOR_PASSWORD): made once, with an audit entry by
 * the system; on later starts the existing one must have this password (it is never reset behind
 * its owner's back) and is otherwise left as it is.
 */
export async function ensureDemoOperator(
  services: { operators: OperatorService; audit: AuditService },
  seed: DemoOperatorSeed,
): Promise<{ operator: Operator; created: boolean }> {
  const role = seed.role ?? 'admin';
  try {
    const operator = await services.operators.create({ email: seed.email, password: seed.password, role });
    await services.audit.record({
      actor: 'system',
      action: 'operator.create',
      target: { type: 'operator', id: operator.id },
      outcome: 'success',
      detail: { role, by: 'launcher' },
    });
    return { operator, created: true };
  } catch (e) {
    if (!(e instanceof EmailTakenError)) throw e;
    const known = await services.operators.forLogin(seed.email);
    if (!known || !(await verifySecret(seed.password, known.passwordHash))) {
      throw new DemoSeedError(
        `the operator account ${seed.email} exists with a different password, or is a household's`,
      );
    }
    return { operator: await services.operators.get(known.id), created: false };
  }
}
