import { describe, expect, it } from 'vitest';
import {
  commandRequest,
  decodePayload,
  encodePayload,
  parseTopic,
  switchbot,
  topicFor,
  TopicError,
} from '../src/index.ts';

describe('switchbot frames', () => {
  it('encodes the documented press, on and off requests', () => {
    expect(switchbot.encodeActionRequest('press').toString('hex')).toBe('570100');
    expect(switchbot.encodeActionRequest('on').toString('hex')).toBe('570101');
    expect(switchbot.encodeActionRequest('off').toString('hex')).toBe('570102');
  });

  it('decodes the documented basic info answer', () => {
    const res = switchbot.decodeResponse(Buffer.from('01642c64000000a10000004800', 'hex'));
    expect(res.status).toBe('ok');
    const info = switchbot.decodeBasicInfo(res.payload);
    expect(info).toMatchObject({ battery: 100, firmwareTenths: 44, mode: 'press' });
  });

  it('round-trips service data, with state bit 6 meaning off', () => {
    const data = switchbot.encodeServiceData({
      deviceType: 0x48,
      mode: 'switch',
      on: false,
      battery: 87,
      changeCounter: 3,
    });
    expect(data[1]! & 0x40).toBe(0x40);
    expect(switchbot.decodeServiceData(data)).toEqual({
      deviceType: 0x48,
      mode: 'switch',
      on: false,
      battery: 87,
      changeCounter: 3,
    });
  });

  it('refuses frames that are not requests, and frames over the documented 20 bytes', () => {
    expect(() => switchbot.decodeRequest(Buffer.from([0x12, 0x01]))).toThrow(switchbot.SwitchbotFrameError);
    const twenty = Buffer.concat([Buffer.from('570101', 'hex'), Buffer.alloc(17)]);
    expect(switchbot.decodeRequest(twenty)).toEqual({ kind: 'action', action: 'on' });
    const twentyOne = Buffer.concat([twenty, Buffer.alloc(1)]);
    expect(() => switchbot.decodeRequest(twentyOne)).toThrow(switchbot.SwitchbotFrameError);
  });

  it("reads the header's version and encryption bits instead of masking them away", () => {
    const decode = (hex: string) => switchbot.decodeRequest(Buffer.from(hex, 'hex'));
    expect(decode('57410100')).toEqual({ kind: 'incompatibleVersion', version: 1 });
    expect(decode('5711aabbccdd01')).toEqual({ kind: 'encrypted', mode: 1 });
    expect(decode('570103')).toEqual({ kind: 'action', action: 'pushStop' });
    expect(decode('570104')).toEqual({ kind: 'action', action: 'back' });
    expect(decode('570f0803')).toEqual({ kind: 'setLongPress', seconds: 3 });
    expect(decode('57036310')).toEqual({ kind: 'setMode', strength: 0x63, mode: 'switch', inverse: false });
    expect(decode('570802')).toEqual({ kind: 'getTimeInfo', query: { what: 'count' } });
    expect(decode('57090203')).toEqual({ kind: 'setTimeInfo', setting: { what: 'count', count: 3 } });
    expect(decode('5703')).toMatchObject({ kind: 'malformed', command: 3 });
  });

  it('round-trips a timer task and refuses one out of the documented ranges', () => {
    const interval = { hours: 5, minutes: 0, seconds: 50 };
    const task = { repeat: 0x7f, hour: 7, minute: 30, actionMode: 1, job: 2, sum: 3, interval };
    const frame = switchbot.encodeSetTimeInfoRequest({ what: 'task', index: 4, count: 5, task });
    // Subcommand 0x43 (timer 4), Num 5, Index 4, then the task; 50 seconds is 0x32.
    expect(frame.toString('hex')).toBe('57 09 43 05 04 7f 07 1e 01 02 03 05 00 32'.replace(/ /g, ''));
    const setting = { what: 'task', index: 4, count: 5, task };
    expect(switchbot.decodeRequest(frame)).toEqual({ kind: 'setTimeInfo', setting });
    const answer = { count: 5, index: 4, task };
    expect(switchbot.decodeTimerAnswer(switchbot.encodeTimerAnswer(answer))).toEqual(answer);
    expect(() => switchbot.decodeTimerTask(Buffer.from('7f0700000100000005', 'hex'))).toThrow(/interval seconds/);
  });

  it('recognises a Bot by its service data under 0x0D00 or 0xFD3D, and nothing else', () => {
    const bot = switchbot.encodeServiceData({ deviceType: 0x48, mode: 'switch', on: true, battery: 90 });
    const meter = Buffer.from('540064', 'hex');
    expect(switchbot.botServiceData(new Map([['0d00', bot]]))).toMatchObject({ on: true, battery: 90 });
    expect(switchbot.botServiceData(new Map([['fd3d', bot]]))).toMatchObject({ on: true, battery: 90 });
    expect(switchbot.botServiceData(new Map([['fd3d', meter]]))).toBeUndefined();
    expect(switchbot.botServiceData(new Map([['180f', bot]]))).toBeUndefined();
  });
});

describe('topic map', () => {
  it('builds and parses device topics', () => {
    const t = topicFor('deviceState', { gatewayId: 'gw-1', address: 'c0ffee000001' });
    expect(t).toBe('sf/v1/gw/gw-1/dev/c0ffee000001/state');
    expect(parseTopic(t)).toEqual({ name: 'deviceState', gatewayId: 'gw-1', address: 'c0ffee000001' });
    expect(parseTopic('sf/v1/gw/gw-1/elsewhere')).toBeNull();
  });

  it('refuses ids that would escape the gateway prefix', () => {
    expect(() => topicFor('gatewayStatus', { gatewayId: 'gw/+' })).toThrow(TopicError);
  });

  it('decodes a valid command and names the field of an invalid one', () => {
    const ok = decodePayload(
      'command',
      JSON.stringify({
        v: 1,
        commandId: 'c1',
        action: 'toggle',
        issuedAt: new Date().toISOString(),
        expiresAt: new Date().toISOString(),
      }),
    );
    expect(ok.ok).toBe(true);
    const bad = decodePayload(
      'command',
      JSON.stringify({ v: 1, commandId: 'c1', action: 'explode', issuedAt: 'x', expiresAt: 'y' }),
    );
    expect(bad.ok).toBe(false);
    if (!bad.ok) expect(bad.error.message).toMatch(/\/(action|issuedAt)/);
    const notJson = decodePayload('command', '{nope');
    expect(notJson.ok ? null : notJson.error.code).toBe('PAYLOAD_NOT_JSON');
    const big = decodePayload('command', 'x'.repeat(20_000));
    expect(big.ok ? null : big.error.code).toBe('PAYLOAD_TOO_LARGE');
  });

  it('refuses a time a Date cannot hold (leap second, zone-name suffix) or not in UTC, and names the field', () => {
    const status = (ts: string) => decodePayload('gatewayStatus', JSON.stringify({ v: 1, online: true, ts }));
    const refused = [
      '2016-12-31T23:59:60Z',
      '2026-01-01T00:00:00Z[Europe/Paris]',
      '2026-02-30T00:00:00Z',
      '2026-01-01T02:00:00+02:00',
      '2026-01-01T00:00:00+00:00',
    ];
    for (const ts of refused) {
      const decoded = status(ts);
      expect(decoded.ok ? null : decoded.error.field, ts).toBe('/ts');
    }
    for (const ts of [new Date().toISOString(), '2026-01-01t00:00:00.5z', '2024-02-29T23:59:59Z']) {
      expect(status(ts).ok, ts).toBe(true);
      expect(Number.isFinite(Date.parse(ts)), ts).toBe(true);
    }
  });

  it('refuses to encode a payload that breaks its schema', () => {
    expect(() => encodePayload('gatewayStatus', { v: 1, online: true, ts: 'not a date' })).toThrow(/ts/);
  });
});

describe('command requests', () => {
  it('are issued now, expire after their TTL, carry a trace context only when given, and encode as the map says', () => {
    const now = Date.parse('2026-11-22T10:00:00.000Z');
    const plain = commandRequest('c-1', 'toggle', 30_000, { now });
    expect(plain).toEqual({
      v: 1,
      commandId: 'c-1',
      action: 'toggle',
      issuedAt: '2026-11-22T10:00:00.000Z',
      expiresAt: '2026-11-22T10:00:30.000Z',
    });
    const traced = commandRequest('c-2', 'on', 5_000, {
      now,
      traceparent: '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01',
    });
    const decoded = decodePayload('command', encodePayload('command', traced));
    expect(decoded.ok && decoded.value.traceparent).toBe('00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01');
  });
});
