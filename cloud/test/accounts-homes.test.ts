import { describe, expect, it } from 'vitest';
import { EmailTakenError, GatewayExistsError, InvalidInputError, NotFoundError } from '../src/errors.ts';
import { ensureDemo } from '../src/accounts/demo.ts';
import { connectGateway, household, randomAddress, useTestCloud, unique } from '@switchfleet/testkit/cloud';
import { eventually } from '@switchfleet/testkit/poll';

const t = useTestCloud();

describe('accounts', () => {
  it('register a user and let them log in with that password only', async () => {
    const { accounts } = t.cloud.services;
    const email = `${unique('ann')}@example.test`;
    const user = await accounts.register(email, 'long enough secret');
    expect(user.email).toBe(email);
    expect(await accounts.verifyLogin(email, 'long enough secret')).toEqual(user);
    expect(await accounts.verifyLogin(email, 'wrong password!')).toBeNull();
    expect(await accounts.verifyLogin(`nobody-${email}`, 'long enough secret')).toBeNull();
  });

  it('treat emails case-insensitively and refuse a second account for one', async () => {
    const { accounts } = t.cloud.services;
    const email = `${unique('bob')}@example.test`;
    await accounts.register(email, 'long enough secret');
    await expect(accounts.register(email.toUpperCase(), 'another secret!')).rejects.toBeInstanceOf(EmailTakenError);
    expect(await accounts.verifyLogin(email.toUpperCase(), 'long enough secret')).not.toBeNull();
  });

  it('refuse a password shorter than 8 characters, naming the field', async () => {
    const refused = t.cloud.services.accounts.register(`${unique('c')}@example.test`, 'short');
    await expect(refused).rejects.toBeInstanceOf(InvalidInputError);
    await expect(refused).rejects.toMatchObject({ field: 'password' });
  });
});

describe('homes and gateways', () => {
  it('provision a gateway whose secret verifies and is stored only as a hash', async () => {
    const { credentials } = await household(t.cloud);
    const { gateways } = t.cloud.services;
    expect(await gateways.verifySecret(credentials.gatewayId, credentials.secret)).toBe(true);
    expect(await gateways.verifySecret(credentials.gatewayId, `${credentials.secret}x`)).toBe(false);
    const rotated = await gateways.rotateSecret(credentials.gatewayId);
    expect(await gateways.verifySecret(credentials.gatewayId, credentials.secret)).toBe(false);
    expect(await gateways.verifySecret(credentials.gatewayId, rotated.secret)).toBe(true);
  });

  it('refuse a gateway id twice, an id that cannot be a topic level, and an unknown home', async () => {
    const { home, credentials } = await household(t.cloud);
    const { gateways } = t.cloud.services;
    await expect(
      gateways.provisionGateway({ gatewayId: credentials.gatewayId, homeId: home.id }),
    ).rejects.toBeInstanceOf(GatewayExistsError);
    await expect(gateways.provisionGateway({ gatewayId: 'Bad/Id', homeId: home.id })).rejects.toBeInstanceOf(
      InvalidInputError,
    );
    await expect(
      gateways.provisionGateway({ gatewayId: unique('gw'), homeId: '00000000-0000-4000-8000-000000000000' }),
    ).rejects.toBeInstanceOf(NotFoundError);
  });

  it('make the creator of a home its owner', async () => {
    const { user, home } = await household(t.cloud);
    expect(await t.cloud.services.homes.homesForUser(user.id)).toEqual([{ ...home, role: 'owner' }]);
  });
});

describe('devices', () => {
  it('are listed for the owner of their home and hidden from everyone else', async () => {
    const owner = await household(t.cloud);
    const stranger = await household(t.cloud);
    const gateway = await connectGateway(t.cloud, owner.credentials);
    await gateway.announce();
    await gateway.report({ address: randomAddress(), model: 'WoHand', name: 'Porch' }, { state: { on: false } });
    const [device] = await eventually(async () => {
      const list = await t.cloud.services.devices.listForUser(owner.user.id);
      return list.length > 0 ? list : null;
    });
    expect(await t.cloud.services.devices.getForUser(owner.user.id, device!.id)).toEqual(device);
    expect(await t.cloud.services.devices.getForUser(stranger.user.id, device!.id)).toBeNull();
    expect(await t.cloud.services.devices.listForUser(stranger.user.id)).toEqual([]);
    expect(await t.cloud.services.devices.getForUser(owner.user.id, 'not-a-uuid')).toBeNull();
    await gateway.close();
  });
});

describe('demo seeding', () => {
  it('can run on every start: same account and home, a fresh working gateway secret', async () => {
    const seed = { email: `${unique('demo')}@example.test`, password: 'switchfleet-demo', gatewayId: unique('sim-gw') };
    const first = await ensureDemo(t.cloud.services, seed);
    const second = await ensureDemo(t.cloud.services, seed);
    expect(second.user).toEqual(first.user);
    expect(second.home).toEqual(first.home);
    expect(second.gateway.secret).not.toBe(first.gateway.secret);
    const gateway = await connectGateway(t.cloud, second.gateway);
    expect(gateway.client.connected).toBe(true);
    await gateway.close();
  });
});
