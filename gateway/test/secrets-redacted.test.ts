/**
 * The gateway prints no broker password: a password written into MQTT_URL moves to the MQTT
 * password setting (the resolved configuration holds a URL without it), and the link logs its URL
 * with the password masked; a logger built as main.ts builds it drops credential fields.
 */
import { Writable } from 'node:stream';
import { LOG_REDACT_PATHS, redactUrl } from '@switchfleet/protocol';
import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { gatewayConfigFromEnv } from '../src/config.ts';

describe('broker passwords in the gateway', () => {
  it('takes credentials out of MQTT_URL into the MQTT settings', () => {
    const config = gatewayConfigFromEnv({
      GATEWAY_ID: 'gw-redact',
      MQTT_URL: 'mqtt://gw-redact:s%40cret-1@broker.example:1883',
    });
    expect(config.mqtt.url).toBe('mqtt://broker.example:1883');
    expect(config.mqtt.password).toBe('s@cret-1');
    expect(config.mqtt.username).toBe('gw-redact');
    expect(JSON.stringify(config)).not.toContain('s%40cret-1');
  });

  it('masks the password of a URL it prints and drops credential fields it logs', () => {
    expect(redactUrl('mqtt://sf-cloud:hunter2@127.0.0.1:1884')).toBe('mqtt://sf-cloud:***@127.0.0.1:1884');
    expect(redactUrl('mqtt://127.0.0.1:1883')).toBe('mqtt://127.0.0.1:1883');
    const lines: string[] = [];
    const log = pino(
      { redact: [...LOG_REDACT_PATHS] },
      new Writable({
        write: (l, _e, done) => {
          lines.push(String(l));
          done();
        },
      }),
    );
    log.info({ mqtt: { url: 'mqtt://h', username: 'gw', password: 'hunter2' }, secret: 'hunter3' }, 'config');
    expect(lines.join('')).not.toMatch(/hunter[23]/);
  });
});
