import { encodePayload, gatewayDownFilter, gatewayDownFilters, topicFor } from '@switchfleet/protocol';
import mqtt from 'mqtt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mayPublish, maySubscribe, mayWill } from '../src/broker/acl.ts';
import { mosquittoAcl } from '../src/broker/mosquitto-acl.ts';
import { MqttGateway } from '@switchfleet/testkit/mqtt-gateway';
import { connectGateway, household, randomAddress, startTestCloud, type TestCloud } from '@switchfleet/testkit/cloud';
import { eventually } from '@switchfleet/testkit/poll';

describe('the ACL rules', () => {
  const a = { kind: 'gateway', gatewayId: 'gw-a' } as const;

  it('let a gateway publish its own up topics only', () => {
    expect(mayPublish(a, topicFor('deviceState', { gatewayId: 'gw-a', address: 'c0ffee000001' }))).toBe(true);
    expect(mayPublish(a, topicFor('gatewayStatus', { gatewayId: 'gw-a' }))).toBe(true);
    expect(mayPublish(a, topicFor('deviceState', { gatewayId: 'gw-b', address: 'c0ffee000001' }))).toBe(false);
    expect(mayPublish(a, topicFor('command', { gatewayId: 'gw-a', address: 'c0ffee000001' }))).toBe(false);
    expect(mayPublish(a, '$SYS/x/heartbeat')).toBe(false);
    expect(mayPublish(a, 'anything/else')).toBe(false);
  });

  it('let a gateway subscribe to its own command topics only', () => {
    expect(maySubscribe(a, gatewayDownFilter('gw-a'))).toBe(true);
    expect(maySubscribe(a, topicFor('command', { gatewayId: 'gw-a', address: 'c0ffee000001' }))).toBe(true);
    expect(maySubscribe(a, gatewayDownFilter('gw-b'))).toBe(false);
    expect(maySubscribe(a, 'sf/v1/gw/#')).toBe(false);
    expect(maySubscribe(a, 'sf/v1/gw/+/dev/+/cmd')).toBe(false);
  });

  it('let a gateway subscribe to its own update jobs and cancels, and publish their progress and results', () => {
    for (const filter of gatewayDownFilters('gw-a')) expect(maySubscribe(a, filter)).toBe(true);
    expect(gatewayDownFilters('gw-a')).toContain('sf/v1/gw/gw-a/dev/+/update');
    expect(gatewayDownFilters('gw-a')).toContain('sf/v1/gw/gw-a/dev/+/update/cancel');
    expect(maySubscribe(a, topicFor('updateJob', { gatewayId: 'gw-a', address: 'c0ffee000001' }))).toBe(true);
    expect(maySubscribe(a, 'sf/v1/gw/gw-b/dev/+/update')).toBe(false);
    expect(maySubscribe(a, topicFor('updateResult', { gatewayId: 'gw-a', address: 'c0ffee000001' }))).toBe(false);
    const at = { gatewayId: 'gw-a', address: 'c0ffee000001' };
    expect(mayPublish(a, topicFor('updateProgress', at))).toBe(true);
    expect(mayPublish(a, topicFor('updateResult', at))).toBe(true);
    expect(mayPublish(a, topicFor('updateJob', at))).toBe(false);
    expect(mayPublish(a, topicFor('updateResult', { ...at, gatewayId: 'gw-b' }))).toBe(false);
    const patterns = mosquittoAcl('sf-cloud')
      .split('\n')
      .filter((l) => l.startsWith('pattern'));
    expect(patterns).toContain('pattern read sf/v1/gw/%u/dev/+/update');
    expect(patterns).toContain('pattern read sf/v1/gw/%u/dev/+/update/cancel');
    expect(patterns).toContain('pattern write sf/v1/gw/%u/dev/+/update/progress');
    expect(patterns).toContain('pattern write sf/v1/gw/%u/dev/+/update/result');
  });

  it('let the cloud publish commands but not pose as a gateway', () => {
    const cloud = { kind: 'internal' } as const;
    expect(mayPublish(cloud, topicFor('command', { gatewayId: 'gw-a', address: 'c0ffee000001' }))).toBe(true);
    expect(mayPublish(cloud, topicFor('deviceState', { gatewayId: 'gw-a', address: 'c0ffee000001' }))).toBe(false);
    expect(maySubscribe(cloud, 'sf/v1/gw/+/status')).toBe(true);
  });

  it('accept only the gateway status topic as its last will', () => {
    expect(mayWill(a, topicFor('gatewayStatus', { gatewayId: 'gw-a' }))).toBe(true);
    expect(mayWill(a, topicFor('gatewayStatus', { gatewayId: 'gw-b' }))).toBe(false);
    expect(mayWill(a, undefined)).toBe(true);
  });
});

describe('the embedded broker', () => {
  let t: TestCloud;
  beforeAll(async () => {
    t = await startTestCloud();
  });
  afterAll(async () => {
    await t?.close();
  });

  it('refuses a gateway with the wrong secret', async () => {
    const { credentials } = await household(t.cloud);
    await expect(connectGateway(t.cloud, { ...credentials, secret: 'not-the-secret' })).rejects.toThrow(
      /bad username or password/i,
    );
  });

  it('refuses an unknown gateway and a client without credentials', async () => {
    await expect(connectGateway(t.cloud, { gatewayId: 'never-provisioned', secret: 'whatever' })).rejects.toThrow(
      /bad username or password/i,
    );
    await expect(mqtt.connectAsync(t.cloud.broker.url, { protocolVersion: 4, reconnectPeriod: 0 })).rejects.toThrow(
      /bad username or password/i,
    );
  });

  it('refuses a gateway whose last will names another gateway', async () => {
    const a = await household(t.cloud);
    const b = await household(t.cloud);
    const connecting = mqtt.connectAsync(t.cloud.broker.url, {
      protocolVersion: 4,
      clientId: a.credentials.gatewayId,
      username: a.credentials.gatewayId,
      password: a.credentials.secret,
      reconnectPeriod: 0,
      will: {
        topic: topicFor('gatewayStatus', { gatewayId: b.credentials.gatewayId }),
        payload: encodePayload('gatewayStatus', { v: 1, online: false, ts: new Date().toISOString() }),
        qos: 1,
        retain: true,
      },
    });
    await expect(connecting).rejects.toThrow(/not authorized/i);
  });

  it('does not let a gateway take over a client id another gateway uses', async () => {
    const a = await household(t.cloud);
    const b = await household(t.cloud);
    const gatewayB = await connectGateway(t.cloud, b.credentials);
    const impostor = MqttGateway.connect({
      url: t.cloud.broker.url,
      ...a.credentials,
      clientId: b.credentials.gatewayId,
    });
    await expect(impostor).rejects.toThrow(/identifier rejected/i);
    expect(gatewayB.client.connected).toBe(true);
    await gatewayB.close();
  });

  it('does not let gateway A subscribe to the commands of gateway B', async () => {
    const a = await household(t.cloud);
    const b = await household(t.cloud);
    const gatewayA = await connectGateway(t.cloud, a.credentials);
    await expect(
      gatewayA.client.subscribeAsync(gatewayDownFilter(b.credentials.gatewayId), { qos: 1 }),
    ).rejects.toThrow(/subscribe error/i);
    await expect(gatewayA.client.subscribeAsync('sf/v1/gw/#', { qos: 1 })).rejects.toThrow(/subscribe error/i);
    await expect(
      gatewayA.client.subscribeAsync(gatewayDownFilter(a.credentials.gatewayId), { qos: 1 }),
    ).resolves.toBeDefined();
    await gatewayA.close();
  });

  it('disconnects gateway A when it publishes under gateway B, and ingests nothing from it', async () => {
    const a = await household(t.cloud);
    const b = await household(t.cloud);
    const gatewayA = await connectGateway(t.cloud, a.credentials);
    const gatewayB = await connectGateway(t.cloud, b.credentials);
    const closed = new Promise<void>((resolve) => gatewayA.client.once('close', () => resolve()));
    const forged = randomAddress();
    const report = encodePayload('deviceState', {
      v: 1,
      seq: 1,
      ts: new Date().toISOString(),
      device: { address: forged, model: 'WoHand' },
      online: true,
    });
    gatewayA.client.publish(topicFor('deviceState', { gatewayId: b.credentials.gatewayId, address: forged }), report, {
      qos: 1,
    });
    await closed;

    // B's own report goes through the same ingest after A's attempt: once it is in, A's would be too.
    const own = randomAddress();
    await gatewayB.report({ address: own, model: 'WoHand' });
    const devices = await eventually(async () => {
      const list = await t.cloud.services.devices.listForUser(b.user.id);
      return list.length > 0 ? list : null;
    });
    expect(devices.map((d) => d.name)).toEqual([`WoHand ${own.slice(-4)}`]);
    await gatewayA.close();
    await gatewayB.close();
  });
});
