/**
 * Idempotent demo seeding for a launcher: the demo account, its home and one gateway with a fresh
 * secret. Run it on every start: an existing account is logged into, an existing home reused and an
 * existing gateway's secret rotated (the launcher never has to store the secret).
 */
import { CloudError, EmailTakenError, GatewayExistsError } from '../errors.ts';
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
  return { user, home: { id: home.id, name: home.name, ownerId: home.ownerId }, gateway };
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
