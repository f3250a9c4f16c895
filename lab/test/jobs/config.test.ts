/** The gateway's update settings, from their defaults and the environment. */
import { describe, expect, it } from 'vitest';
import { gatewayConfigFromEnv } from '../../../gateway/src/config.ts';

describe('update job settings', () => {
  it('default to one update at a time, 30 % battery and a 32 MiB image cache', () => {
    const config = gatewayConfigFromEnv({ GATEWAY_ID: 'gw-a', MQTT_PASSWORD: 'x' });
    expect(config.updates).toMatchObject({ maxConcurrent: 1, minBatteryPercent: 30, cacheBytes: 32 * 1024 * 1024 });
  });

  it('are read from UPDATE_MAX_CONCURRENT, UPDATE_MIN_BATTERY_PERCENT and UPDATE_CACHE_BYTES, and refused when out of range', () => {
    const env = { GATEWAY_ID: 'gw-a', MQTT_PASSWORD: 'x' };
    const config = gatewayConfigFromEnv({
      ...env,
      UPDATE_MAX_CONCURRENT: '2',
      UPDATE_MIN_BATTERY_PERCENT: '45',
      UPDATE_CACHE_BYTES: '1048576',
    });
    expect(config.updates).toMatchObject({ maxConcurrent: 2, minBatteryPercent: 45, cacheBytes: 1048576 });
    expect(() => gatewayConfigFromEnv({ ...env, UPDATE_MIN_BATTERY_PERCENT: '101' })).toThrow(/minBatteryPercent/);
    expect(() => gatewayConfigFromEnv({ ...env, UPDATE_MAX_CONCURRENT: 'two' })).toThrow(/UPDATE_MAX_CONCURRENT/);
  });
});
