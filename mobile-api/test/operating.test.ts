import { connectGateway, household, randomAddress } from '@switchfleet/testkit/cloud';
import { eventually } from '@switchfleet/testkit/poll';
import { describe, expect, it } from 'vitest';
import { bearer, login, useApi } from './support.ts';

const api = useApi({ cloud: { commandTtlMs: 500 } });

describe('operating the API', () => {
  it("echoes the caller's request id and makes one when there is none", async () => {
    const given = await api.app.inject({ method: 'GET', url: '/health', headers: { 'x-request-id': 'trace-me-42' } });
    expect(given.headers['x-request-id']).toBe('trace-me-42');
    const made = await api.app.inject({ method: 'GET', url: '/health' });
    expect(made.headers['x-request-id']).toMatch(/^[0-9a-f-]{36}$/);
  });

  it('serves Prometheus metrics: HTTP latency by route, ingest, commands by outcome and connected gateways', async () => {
    const h = await household(api.cloud);
    const token = await login(api.app, h.user.email, h.password);
    const gateway = await connectGateway(api.cloud, h.credentials);
    await gateway.announce();
    await gateway.report({ address: randomAddress(), model: 'WoHand' });
    const device = await eventually(async () => (await api.cloud.services.devices.listForUser(h.user.id))[0]);
    await gateway.publish(`sf/v1/gw/${h.credentials.gatewayId}/status`, 'not json');
    const sent = await api.app.inject({
      method: 'POST',
      url: `/v1/devices/${device.id}/commands?wait=true`,
      headers: bearer(token),
      payload: { action: 'press' },
    });
    expect(sent.json().status).toBe('expired');
    await eventually(async () => api.cloud.services.ingest.stats().malformed > 0);

    const text = (await api.app.inject({ method: 'GET', url: '/metrics' })).body;
    expect(text).toMatch(
      /sf_http_request_duration_seconds_count\{method="POST",route="\/v1\/devices\/:id\/commands",status="200"\} 1/,
    );
    expect(text).toMatch(/sf_ingest_messages_total\{kind="deviceState",outcome="deviceStates"\} [1-9]/);
    expect(text).toMatch(/sf_ingest_messages_total\{kind="gatewayStatus",outcome="malformed"\} 1/);
    // Messages only: neither the batches that wrote them nor the raw receive count are outcomes.
    expect(text).not.toMatch(/sf_ingest_messages_total\{[^}]*outcome="(reportBatches|received)"/);
    expect(text).toMatch(/sf_commands_total\{status="expired"\} [1-9]/);
    expect(text).toMatch(/sf_gateways_connected [1-9]/);
    await gateway.close();
  });

  it('documents every route with its error responses in the one error shape', async () => {
    const spec = (await api.app.inject({ method: 'GET', url: '/docs/json' })).json();
    const operations = Object.entries<
      Record<string, { responses: Record<string, { content?: Record<string, { schema: { $ref?: string } }> }> }>
    >(spec.paths).flatMap(([path, methods]) => Object.entries(methods).map(([method, op]) => ({ path, method, op })));
    expect(operations.length).toBeGreaterThan(25);
    for (const { path, method, op } of operations) {
      const errors = Object.entries(op.responses).filter(([code]) => /^[45]/.test(code));
      if (path === '/health') continue;
      expect(errors.length, `${method} ${path}`).toBeGreaterThan(0);
      for (const [code, response] of errors) {
        expect(response.content?.['application/json']?.schema.$ref, `${method} ${path} ${code}`).toMatch(/ErrorBody$/);
      }
    }
  });
});
