/**
 * Operators' accounts through the admin API and the audit log of what they do: logins (failed ones
 * too), operator management with its outcomes (success, failure with the error code, denied for
 * want of a role), read back newest first a page at a time with filters.
 */
import { household, unique } from '@switchfleet/testkit/cloud';
import { describe, expect, it } from 'vitest';
import { bearer, login, useApi } from './support.ts';

const api = useApi();
const PASSWORD = 'operator passphrase';

interface Entry {
  id: string;
  at: string;
  actor: { id: string; email: string } | null;
  action: string;
  target: { type: string; id: string } | null;
  outcome: string;
  detail: Record<string, unknown>;
}

async function makeOperator(role: 'operator' | 'admin') {
  const email = `${unique(role)}@ops.test`;
  const operator = await api.cloud.services.operators.create({ email, password: PASSWORD, role });
  return { ...operator, auth: bearer(await login(api.app, email, PASSWORD)) };
}

async function audit(
  auth: Record<string, string>,
  query: string,
): Promise<{ items: Entry[]; nextCursor: string | null }> {
  const res = await api.app.inject({ method: 'GET', url: `/v1/admin/audit?${query}`, headers: auth });
  expect(res.statusCode, res.body).toBe(200);
  return res.json();
}

function tryLogin(email: string, password: string) {
  return api.app.inject({ method: 'POST', url: '/v1/auth/login', payload: { email, password } });
}

describe('operator logins', () => {
  it('answer with operator tokens carrying the role; refresh keeps the kind, logout ends the session', async () => {
    const email = `${unique('ops')}@ops.test`;
    const account = await api.cloud.services.operators.create({ email, password: PASSWORD, role: 'operator' });
    const res = await tryLogin(email, PASSWORD);
    expect(res.json()).toMatchObject({ kind: 'operator', role: 'operator', tokenType: 'Bearer' });
    const refreshed = await api.app.inject({
      method: 'POST',
      url: '/v1/auth/refresh',
      payload: { refreshToken: res.json().refreshToken },
    });
    expect(refreshed.json()).toMatchObject({ kind: 'operator', role: 'operator' });
    const me = () =>
      api.app.inject({ method: 'GET', url: '/v1/admin/me', headers: bearer(refreshed.json().accessToken) });
    expect((await me()).statusCode).toBe(200);
    const out = await api.app.inject({
      method: 'POST',
      url: '/v1/auth/logout',
      payload: { refreshToken: refreshed.json().refreshToken },
    });
    expect(out.statusCode).toBe(204);
    expect((await me()).statusCode).toBe(404);
    const entries = await api.cloud.services.audit.list({ targetType: 'operator', targetId: account.id, limit: 10 });
    expect(entries.entries.map((e) => `${e.action} ${e.outcome}`)).toEqual([
      'auth.logout success',
      'auth.login success',
    ]);
  });

  it("leave an operator's address to the operator: registering it as a household makes no account", async () => {
    const email = `${unique('taken')}@ops.test`;
    await api.cloud.services.operators.create({ email, password: PASSWORD, role: 'operator' });
    const register = await api.app.inject({
      method: 'POST',
      url: '/v1/auth/register',
      payload: { email, password: 'household password' },
    });
    expect(register.statusCode).toBe(202);
    expect((await tryLogin(email, 'household password')).statusCode).toBe(401);
    expect(await api.cloud.services.accounts.findByEmail(email)).toBeNull();
    expect((await tryLogin(email, PASSWORD)).json()).toMatchObject({ kind: 'operator' });
  });

  it('are written to the audit log, success and failure alike, and households are not', async () => {
    const admin = await makeOperator('admin');
    const watched = await makeOperator('operator');
    expect((await tryLogin(watched.email, 'wrong password')).statusCode).toBe(401);
    const h = await household(api.cloud);
    await login(api.app, h.user.email, h.password);

    const { items } = await audit(admin.auth, `action=auth.login&actorId=${watched.id}`);
    expect(items.map((e) => [e.outcome, e.detail.reason ?? null])).toEqual([
      ['failure', 'wrong_password'],
      ['success', null],
    ]);
    expect(items[0]).toMatchObject({
      actor: { id: watched.id, email: watched.email },
      target: { type: 'operator', id: watched.id },
      detail: { ip: expect.any(String) },
    });
    expect(Date.parse(items[0]!.at)).toBeGreaterThan(Date.now() - 60_000);
    const everything = await api.app.inject({ method: 'GET', url: '/v1/admin/audit?limit=200', headers: admin.auth });
    expect(everything.body).not.toContain(h.user.email);
  });
});

describe('operators management', () => {
  it('records who, what, target and outcome of each action: created, refused as taken, denied to an operator', async () => {
    const admin = await makeOperator('admin');
    const plain = await makeOperator('operator');
    const body = { email: `${unique('new')}@ops.test`, password: PASSWORD, role: 'operator' };
    const post = (auth: Record<string, string>) =>
      api.app.inject({ method: 'POST', url: '/v1/admin/operators', headers: auth, payload: body });

    const made = await post(admin.auth);
    expect(made.statusCode).toBe(201);
    expect(made.headers.location).toBe(`/v1/admin/operators/${made.json().id}`);
    const again = await post(admin.auth);
    expect(again.statusCode).toBe(409);
    expect((await post(plain.auth)).statusCode).toBe(403);
    const householdEmail = (await household(api.cloud)).user.email;
    const taken = await api.app.inject({
      method: 'POST',
      url: '/v1/admin/operators',
      headers: admin.auth,
      payload: { ...body, email: householdEmail },
    });
    expect(taken.json().error.code).toBe('EMAIL_TAKEN');

    const { items } = await audit(admin.auth, 'action=operator.create&limit=4');
    expect(items.map((e) => [e.actor?.email, e.outcome, e.target?.id ?? null, e.detail.status, e.detail.code])).toEqual(
      [
        [admin.email, 'failure', null, 409, 'EMAIL_TAKEN'],
        [plain.email, 'denied', null, 403, 'FORBIDDEN'],
        [admin.email, 'failure', null, 409, 'EMAIL_TAKEN'],
        [admin.email, 'success', made.json().id, 201, undefined],
      ],
    );
  });

  it('disables an operator: its tokens stop at once, its logins fail, and that is audited', async () => {
    const admin = await makeOperator('admin');
    const email = `${unique('leaver')}@ops.test`;
    const leaver = await api.cloud.services.operators.create({ email, password: PASSWORD, role: 'operator' });
    const tokens = (await tryLogin(email, PASSWORD)).json();
    const off = await api.app.inject({
      method: 'POST',
      url: `/v1/admin/operators/${leaver.id}/disable`,
      headers: admin.auth,
    });
    expect(off.json()).toMatchObject({ id: leaver.id, disabled: true });
    const me = await api.app.inject({ method: 'GET', url: '/v1/admin/me', headers: bearer(tokens.accessToken) });
    expect(me.statusCode).toBe(404);
    const refresh = await api.app.inject({
      method: 'POST',
      url: '/v1/auth/refresh',
      payload: { refreshToken: tokens.refreshToken },
    });
    expect(refresh.statusCode).toBe(401);
    expect((await tryLogin(email, PASSWORD)).statusCode).toBe(401);

    const { items } = await audit(admin.auth, `targetType=operator&targetId=${leaver.id}`);
    expect(items.map((e) => [e.action, e.outcome, e.actor?.id, e.detail.reason])).toEqual([
      ['auth.login', 'failure', leaver.id, 'disabled'],
      ['operator.disable', 'success', admin.id, undefined],
      ['auth.login', 'success', leaver.id, undefined],
    ]);
  });

  it('keeps the last active admin', async () => {
    const last = await makeOperator('admin');
    for (const o of await api.cloud.services.operators.list()) {
      if (o.role === 'admin' && o.id !== last.id && !o.disabled) await api.cloud.services.operators.disable(o.id);
    }
    const res = await api.app.inject({
      method: 'POST',
      url: `/v1/admin/operators/${last.id}/disable`,
      headers: last.auth,
    });
    expect(res.statusCode).toBe(409);
    expect(res.json().error.code).toBe('LAST_ADMIN');
    expect((await api.app.inject({ method: 'GET', url: '/v1/admin/me', headers: last.auth })).statusCode).toBe(200);
  });
});

describe('reading the audit log', () => {
  it('pages newest first with a cursor, and filters by actor, action and time', async () => {
    const admin = await makeOperator('admin');
    const actor = { id: admin.id, email: admin.email };
    const started = new Date();
    for (let i = 0; i < 5; i++) {
      await api.cloud.services.audit.record({
        actor,
        action: 'test.step',
        target: { type: 'thing', id: `t${i}` },
        outcome: 'success',
      });
    }
    const seen: string[] = [];
    let cursor: string | null = null;
    do {
      const page: { items: Entry[]; nextCursor: string | null } = await audit(
        admin.auth,
        `action=test.step&actorId=${admin.id}&limit=2${cursor ? `&cursor=${cursor}` : ''}`,
      );
      expect(page.items.length).toBeLessThanOrEqual(2);
      seen.push(...page.items.map((e) => e.target!.id));
      cursor = page.nextCursor;
    } while (cursor);
    expect(seen).toEqual(['t4', 't3', 't2', 't1', 't0']);

    const later = new Date(Date.now() + 60_000).toISOString();
    expect((await audit(admin.auth, `action=test.step&since=${later}`)).items).toEqual([]);
    const window = `since=${started.toISOString()}&until=${later}&action=test.step&actorId=${admin.id}`;
    expect((await audit(admin.auth, window)).items).toHaveLength(5);
    const bad = await api.app.inject({ method: 'GET', url: '/v1/admin/audit?cursor=zz', headers: admin.auth });
    expect(bad.statusCode).toBe(400);
    expect(bad.json().error.details[0].field).toBe('cursor');
  });
});
