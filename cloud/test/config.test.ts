import { describe, expect, it } from 'vitest';
import { firmware } from '@switchfleet/protocol';
import { parseConfig } from '../src/config.ts';
import { checkTrustedKeys } from '../src/trusted-keys.ts';
import { ConfigError } from '../src/errors.ts';

describe('parseConfig', () => {
  it('falls back to the documented defaults on an empty environment', () => {
    const config = parseConfig({});
    expect(config).toMatchObject({
      databaseUrl: undefined,
      dataDir: './data',
      mqttPort: 1883,
      mqttUrl: undefined,
      instanceId: undefined,
      sharedGroup: 'sf-cloud',
      port: 3000,
      demoEmail: 'demo@switchfleet.local',
      demoPassword: 'switchfleet-demo',
      operatorEmail: 'ops@switchfleet.local',
      operatorPassword: 'switchfleet-ops',
      operatorFromEnv: false,
      jwtSecretGenerated: true,
      deviceOfflineAfterMs: 900_000,
      gatewayMaxDevices: 256,
      releaseMaxBytes: 1024 * 1024,
      hardwareModels: ['sf-sw1-r1'],
      publicUrl: undefined,
      releaseBaselineKeyFile: undefined,
    });
    expect(config.jwtSecret.length).toBeGreaterThanOrEqual(32);
  });

  it('reads every variable it documents', () => {
    const config = parseConfig({
      DATABASE_URL: 'postgres://u:p@127.0.0.1:5432/db',
      DATA_DIR: '/var/lib/sf',
      MQTT_PORT: '0',
      MQTT_URL: 'mqtt://broker:1883',
      CLOUD_INSTANCE_ID: 'cloud-a',
      MQTT_SHARED_GROUP: 'off',
      PORT: '8080',
      JWT_SECRET: 'x'.repeat(40),
      DEMO_EMAIL: 'me@example.test',
      DEMO_PASSWORD: 'hunter2hunter2',
      OPERATOR_EMAIL: 'root@example.test',
      OPERATOR_PASSWORD: 'operator-password',
      LOG_LEVEL: 'debug',
      DEVICE_OFFLINE_AFTER_S: '60',
      GATEWAY_MAX_DEVICES: '12',
      RELEASE_MAX_BYTES: '2097152',
      HARDWARE_MODELS: 'sf-sw1-r1, sf-sw2-r1',
      PUBLIC_URL: 'https://fleet.example.test',
      RELEASE_BASELINE_KEY_FILE: '/etc/switchfleet/baseline.pem',
    });
    expect(config).toMatchObject({
      databaseUrl: 'postgres://u:p@127.0.0.1:5432/db',
      dataDir: '/var/lib/sf',
      mqttPort: 0,
      mqttUrl: 'mqtt://broker:1883',
      instanceId: 'cloud-a',
      sharedGroup: null,
      port: 8080,
      jwtSecret: 'x'.repeat(40),
      jwtSecretGenerated: false,
      operatorEmail: 'root@example.test',
      operatorPassword: 'operator-password',
      operatorFromEnv: true,
      logLevel: 'debug',
      deviceOfflineAfterMs: 60_000,
      gatewayMaxDevices: 12,
      releaseMaxBytes: 2 * 1024 * 1024,
      hardwareModels: ['sf-sw1-r1', 'sf-sw2-r1'],
      publicUrl: 'https://fleet.example.test',
      releaseBaselineKeyFile: '/etc/switchfleet/baseline.pem',
    });
  });

  it('reports every bad variable at once, each by name', () => {
    let error: unknown;
    try {
      parseConfig({
        DATABASE_URL: 'mysql://x',
        MQTT_PORT: 'abc',
        PORT: '70000',
        JWT_SECRET: 'short',
        CLOUD_INSTANCE_ID: 'Cloud A',
        MQTT_SHARED_GROUP: 'a/#',
        OPERATOR_PASSWORD: 'short',
      });
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(ConfigError);
    const variables = (error as ConfigError).issues.map((i) => i.variable);
    expect(variables).toEqual([
      'DATABASE_URL',
      'JWT_SECRET',
      'OPERATOR_PASSWORD',
      'CLOUD_INSTANCE_ID',
      'MQTT_SHARED_GROUP',
      'MQTT_PORT',
      'PORT',
    ]);
    expect((error as ConfigError).message).toContain('MQTT_PORT: "abc" is not a port number');
    expect(() => parseConfig({ HARDWARE_MODELS: 'sf-sw1-r1,,x y' })).toThrow(/HARDWARE_MODELS: must be hardware ids/);
  });

  it('refuses a device offline time or cap that is not a positive whole number in range', () => {
    const bad = [
      ['DEVICE_OFFLINE_AFTER_S', '0'],
      ['DEVICE_OFFLINE_AFTER_S', '1.5'],
      ['GATEWAY_MAX_DEVICES', '-1'],
      ['GATEWAY_MAX_DEVICES', '1000000'],
      ['RELEASE_MAX_BYTES', '10'],
    ] as const;
    for (const [variable, value] of bad) {
      const message = new RegExp(`${variable}: .* is not a whole number`);
      expect(() => parseConfig({ [variable]: value }), `${variable}=${value}`).toThrow(message);
    }
  });
});

describe('PUBLIC_URL', () => {
  it('keeps a path prefix and drops a trailing slash, so download paths join it once', () => {
    expect(parseConfig({ PUBLIC_URL: 'https://fleet.example.test/api/' }).publicUrl).toBe(
      'https://fleet.example.test/api',
    );
    expect(parseConfig({ PUBLIC_URL: 'http://10.0.0.5:8080' }).publicUrl).toBe('http://10.0.0.5:8080');
  });

  it('refuses a relative, non-http, credentialed, query or fragment URL with a startup error naming it', () => {
    const bad = [
      ['/relative/path', /is not an absolute URL/],
      ['ftp://fleet.example.test', /scheme must be http or https/],
      ['https://fleet.example.test/api?x=1', /no query or fragment/],
      ['https://fleet.example.test/api#top', /no query or fragment/],
      ['https://fleet.example.test/?', /no query or fragment/],
      ['https://user:pw@fleet.example.test', /no user name or password/],
    ] as const;
    for (const [value, message] of bad) {
      let error: unknown;
      try {
        parseConfig({ PUBLIC_URL: value });
      } catch (e) {
        error = e;
      }
      expect(error, value).toBeInstanceOf(ConfigError);
      expect(
        (error as ConfigError).issues.map((i) => i.variable),
        value,
      ).toEqual(['PUBLIC_URL']);
      expect((error as ConfigError).message, value).toMatch(message);
    }
  });
});

describe('checkTrustedKeys', () => {
  it('takes Ed25519 public keys in SPKI PEM and refuses a private key or anything else, naming each', () => {
    const key = firmware.generateSigningKey();
    expect(checkTrustedKeys([key.publicKeyPem])).toEqual([key.publicKeyPem]);
    let error: unknown;
    try {
      checkTrustedKeys([key.publicKeyPem, key.privateKeyPem, 'not a key']);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as ConfigError).issues.map((i) => i.variable)).toEqual([
      'initialTrustedKeys[1]',
      'initialTrustedKeys[2]',
    ]);
  });
});
