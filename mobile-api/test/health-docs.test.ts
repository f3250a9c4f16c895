import { connectGateway, household } from '@switchfleet/testkit/cloud';
import { eventually } from '@switchfleet/testkit/poll';
import { describe, expect, it } from 'vitest';
import { useApi } from './support.ts';

const api = useApi();

describe('GET /health', () => {
  it('answers 503 until a gateway is online, then 200, and 503 again when it is gone', async () => {
    const before = await api.app.inject({ method: 'GET', url: '/health' });
    expect(before.statusCode).toBe(503);
    expect(before.json()).toEqual({ status: 'degraded', db: 'up', broker: 'up', gatewaysOnline: 0 });

    const { credentials } = await household(api.cloud);
    const gateway = await connectGateway(api.cloud, credentials);
    await gateway.announce();
    const up = await eventually(async () => {
      const res = await api.app.inject({ method: 'GET', url: '/health' });
      return res.statusCode === 200 ? res : null;
    });
    expect(up.json()).toEqual({ status: 'ok', db: 'up', broker: 'up', gatewaysOnline: 1 });

    await gateway.drop();
    await eventually(async () => (await api.app.inject({ method: 'GET', url: '/health' })).statusCode === 503);
  });
});

describe('the OpenAPI document', () => {
  it('is served at /docs/json and lists every route with its methods', async () => {
    const res = await api.app.inject({ method: 'GET', url: '/docs/json' });
    expect(res.statusCode).toBe(200);
    const doc = res.json() as { openapi: string; paths: Record<string, Record<string, unknown>> };
    expect(doc.openapi).toMatch(/^3\./);
    expect(Object.fromEntries(Object.entries(doc.paths).map(([path, ops]) => [path, Object.keys(ops).sort()]))).toEqual(
      {
        '/v1/auth/register': ['post'],
        '/v1/auth/login': ['post'],
        '/v1/auth/refresh': ['post'],
        '/v1/auth/logout': ['post'],
        '/v1/devices': ['get'],
        '/v1/devices/{id}': ['get', 'patch'],
        '/v1/devices/{id}/commands': ['post'],
        '/v1/devices/{id}/shadow': ['get'],
        '/v1/devices/{id}/desired': ['patch'],
        '/v1/devices/{id}/history': ['get'],
        '/v1/devices/{id}/schedules': ['get', 'post'],
        '/v1/schedules/{id}': ['delete', 'get'],
        '/v1/commands/{id}': ['get'],
        '/v1/homes': ['get', 'post'],
        '/v1/homes/{id}': ['get', 'patch'],
        '/v1/homes/{id}/members': ['get'],
        '/v1/homes/{id}/members/{userId}': ['delete'],
        '/v1/homes/{id}/invitations': ['post'],
        '/v1/invitations': ['get'],
        '/v1/invitations/{id}': ['get'],
        '/v1/invitations/{id}/accept': ['post'],
        '/v1/homes/{id}/rooms': ['get', 'post'],
        '/v1/homes/{id}/rooms/{roomId}': ['get', 'patch'],
        '/v1/homes/{id}/gateways': ['get'],
        '/v1/homes/{id}/gateways/{gatewayId}': ['get'],
        '/v1/homes/{id}/gateways/claim': ['post'],
        '/v1/events': ['get'],
        '/health': ['get'],
        '/v1/admin/me': ['get'],
        '/v1/admin/operators': ['get', 'post'],
        '/v1/admin/operators/{id}': ['get'],
        '/v1/admin/operators/{id}/disable': ['post'],
        '/v1/admin/audit': ['get'],
        '/v1/admin/releases': ['get', 'post'],
        '/v1/admin/releases/{id}': ['get'],
        '/v1/admin/releases/{id}/report': ['get'],
        '/v1/admin/releases/{id}/test': ['post'],
        '/v1/admin/releases/{id}/revoke': ['post'],
        '/v1/admin/signing-keys': ['get', 'post'],
        '/v1/admin/signing-keys/{id}': ['get'],
        '/v1/admin/signing-keys/{id}/revoke': ['post'],
        '/v1/admin/devices/{id}/updates': ['post'],
        '/v1/admin/updates': ['get'],
        '/v1/admin/updates/{id}': ['get'],
        '/v1/admin/updates/{id}/cancel': ['post'],
        '/v1/admin/events': ['get'],
        '/v1/admin/devices': ['get'],
        '/v1/admin/devices/{id}': ['get'],
        '/v1/admin/gateways': ['get', 'post'],
        '/v1/admin/gateways/{id}': ['get'],
        '/v1/admin/gateways/{id}/secret': ['post'],
        '/v1/admin/rollouts': ['get', 'post'],
        '/v1/admin/rollouts/plan': ['post'],
        '/v1/admin/rollouts/{id}': ['get'],
        '/v1/admin/rollouts/{id}/devices': ['get'],
        '/v1/admin/rollouts/{id}/pause': ['post'],
        '/v1/admin/rollouts/{id}/resume': ['post'],
        '/v1/admin/rollouts/{id}/cancel': ['post'],
        '/v1/admin/rollouts/{id}/approve': ['post'],
        '/v1/firmware/{sha256}': ['get'],
      },
    );
  });

  it('describes the command body from the same schema that validates it', async () => {
    const doc = (await api.app.inject({ method: 'GET', url: '/docs/json' })).json();
    const body = doc.paths['/v1/devices/{id}/commands'].post.requestBody.content['application/json'].schema;
    expect(body).toMatchObject({
      properties: { action: { enum: ['on', 'off', 'toggle', 'press'] }, ttlMs: { maximum: 600_000 } },
      additionalProperties: false,
    });
  });

  it('is browsable at /docs', async () => {
    const res = await api.app.inject({ method: 'GET', url: '/docs/' });
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toMatch(/text\/html/);
  });
});

describe('unknown routes', () => {
  it('answer 404 in the error shape', async () => {
    const res = await api.app.inject({ method: 'GET', url: '/v1/nothing-here' });
    expect(res.statusCode).toBe(404);
    expect(res.json()).toEqual({
      error: { code: 'NOT_FOUND', message: 'no route for GET /v1/nothing-here', details: [] },
    });
  });
});
