/** The gateway's update settings, from their defaults and the environment. */
import { describe, expect, it } from 'vitest';
import { gatewayConfigFromEnv } from '../../../gateway/src/config.ts';

describe('update job settings', () => {
  it('default to one update at a time, 30 % battery, a 32 MiB image cache and 3 link losses', () => {
    const config = gatewayConfigFromEnv({ GATEWAY_ID: 'gw-a', MQTT_PASSWORD: 'x' });
    expect(config.updates).toMatchObject({
      maxConcurrent: 1,
      minBatteryPercent: 30,
      cacheBytes: 32 * 1024 * 1024,
      linkLossLimit: 3,
    });
  });

  it('are read from UPDATE_MAX_CONCURRENT, UPDATE_MIN_BATTERY_PERCENT, UPDATE_CACHE_BYTES and UPDATE_LINK_LOSS_LIMIT, and refused when out of range', () => {
    const env = { GATEWAY_ID: 'gw-a', MQTT_PASSWORD: 'x' };
    const config = gatewayConfigFromEnv({
      ...env,
      UPDATE_MAX_CONCURRENT: '2',
      UPDATE_MIN_BATTERY_PERCENT: '45',
      UPDATE_CACHE_BYTES: '1048576',
      UPDATE_LINK_LOSS_LIMIT: '5',
    });
    expect(config.updates).toMatchObject({
      maxConcurrent: 2,
      minBatteryPercent: 45,
      cacheBytes: 1048576,
      linkLossLimit: 5,
    });
    expect(() => gatewayConfigFromEnv({ ...env, UPDATE_LINK_LOSS_LIMIT: '0' })).toThrow(/linkLossLimit/);
    expect(() => gatewayConfigFromEnv({ ...env, UPDATE_MIN_BATTERY_PERCENT: '101' })).toThrow(/minBatteryPercent/);
    expect(() => gatewayConfigFromEnv({ ...env, UPDATE_MAX_CONCURRENT: 'two' })).toThrow(/UPDATE_MAX_CONCURRENT/);
  });
});
