/**
 * Gateway provisioning through the admin API (POST /v1/admin/gateways, POST /v1/admin/gateways/{id}/secret):
 * admins only; the secret is in the answer once, never stored or audited in the clear, and the answer is
 * not to be cached; the claim code lets the home's owner claim the gateway once; a rotated secret replaces
 * the old one. On PGlite, and on PostgreSQL with DATABASE_URL.
 */
import { household, unique } from '@switchfleet/testkit/cloud';
import { rowsOf } from '@switchfleet/cloud';
import { sql } from 'drizzle-orm';
import { beforeAll, describe, expect, it } from 'vitest';
import { bearer, login, useApi } from './support.ts';

const api = useApi();
const PASSWORD = 'operator passphrase';
let asAdmin: Record<string, string>;
let asOperator: Record<string, string>;

async function operatorAuth(role: 'operator' | 'admin') {
  const email = `${unique(role)}@ops.test`;
  await api.cloud.services.operators.create({ email, password: PASSWORD, role });
  return bearer(await login(api.app, email, PASSWORD));
}

beforeAll(async () => {
  asAdmin = await operatorAuth('admin');
  asOperator = await operatorAuth('operator');
});

/** The gateway's stored row, as the database holds it. */
async function stored(id: string) {
  const rows = rowsOf<{ id: string; home_id: string | null; secret_hash: string }>(
    await api.cloud.db.execute(sql`select * from gateways where id = ${id}`),
  );
  return rows[0];
}

const provision = (body: object, headers = asAdmin) =>
  api.app.inject({ method: 'POST', url: '/v1/admin/gateways', headers, payload: body });

describe('provisioning a gateway through the admin API', () => {
  it('answers id, secret and claim code once; stores only a hash; the owner claims it with the code, once', async () => {
    const id = unique('gw-api')
      .toLowerCase()
      .replace(/[^a-z0-9-]/g, '-');
    const res = await provision({ id });
    expect(res.statusCode).toBe(201);
    expect(res.headers.location).toBe(`/v1/admin/gateways/${id}`);
    expect(res.headers['cache-control']).toBe('no-store');
    const made = res.json() as { gatewayId: string; secret: string; claimCode: string };
    expect(made.gatewayId).toBe(id);
    expect(made.secret.length).toBeGreaterThanOrEqual(20);
    expect(made.claimCode).toBeTruthy();

    const row = await stored(id);
    expect(row!.secret_hash.startsWith('$7$')).toBe(true);
    expect(JSON.stringify(row)).not.toContain(made.secret);
    expect(await api.cloud.services.gateways.verifySecret(id, made.secret)).toBe(true);
    const audit = await api.cloud.services.audit.list({ targetType: 'gateway', targetId: id, limit: 5 });
    expect(audit.entries.map((a) => a.action)).toEqual(['gateway.provision']);
    expect(JSON.stringify(audit.entries)).not.toContain(made.secret);
    expect(JSON.stringify(audit.entries)).not.toContain(made.claimCode);

    const h = await household(api.cloud);
    const owner = bearer(await login(api.app, h.user.email, h.password));
    const claim = () =>
      api.app.inject({
        method: 'POST',
        url: `/v1/homes/${h.home.id}/gateways/claim`,
        headers: owner,
        payload: { claimCode: made.claimCode },
      });
    expect((await claim()).statusCode).toBe(201);
    expect((await claim()).statusCode).toBe(404);
  });

  it('makes an id when none is given, and provisions straight into a home without a claim code', async () => {
    const h = await household(api.cloud);
    const res = await provision({ homeId: h.home.id });
    expect(res.statusCode).toBe(201);
    const made = res.json() as { gatewayId: string; claimCode?: string };
    expect(made.gatewayId).toMatch(/^gw-[0-9a-f]{10}$/);
    expect(made.claimCode).toBeUndefined();
    expect((await stored(made.gatewayId))!.home_id).toBe(h.home.id);
  });

  it('refuses a taken id 409, a bad id 400, an unknown home 404, an operator 403, and changes nothing', async () => {
    const id = unique('gw-taken')
      .toLowerCase()
      .replace(/[^a-z0-9-]/g, '-');
    expect((await provision({ id })).statusCode).toBe(201);
    const before = await stored(id);
    const taken = await provision({ id });
    expect(taken.statusCode).toBe(409);
    expect(taken.json()).toMatchObject({ error: { code: 'GATEWAY_EXISTS' } });
    expect((await stored(id))!.secret_hash).toBe(before!.secret_hash);
    expect((await provision({ id: 'Not An Id!' })).statusCode).toBe(400);
    expect((await provision({ homeId: '6a1f0a4e-1c2b-4d3e-8f90-123456789abc' })).statusCode).toBe(404);
    expect((await provision({ id: `${id}-op` }, asOperator)).statusCode).toBe(403);
    expect(await stored(`${id}-op`)).toBeUndefined();
  });

  it('rotates a secret: the new one is shown once and works, the old one stops', async () => {
    const id = unique('gw-rotate')
      .toLowerCase()
      .replace(/[^a-z0-9-]/g, '-');
    const first = (await provision({ id })).json() as { secret: string };
    const url = `/v1/admin/gateways/${id}/secret`;
    expect((await api.app.inject({ method: 'POST', url, headers: asOperator })).statusCode).toBe(403);
    const res = await api.app.inject({ method: 'POST', url, headers: asAdmin });
    expect(res.statusCode).toBe(200);
    expect(res.headers['cache-control']).toBe('no-store');
    const next = res.json() as { gatewayId: string; secret: string };
    expect(next.gatewayId).toBe(id);
    expect(next.secret).not.toBe(first.secret);
    expect(await api.cloud.services.gateways.verifySecret(id, next.secret)).toBe(true);
    expect(await api.cloud.services.gateways.verifySecret(id, first.secret)).toBe(false);
    const missing = await api.app.inject({
      method: 'POST',
      url: '/v1/admin/gateways/no-such-gw/secret',
      headers: asAdmin,
    });
    expect(missing.statusCode).toBe(404);
  });
});
