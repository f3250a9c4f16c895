/** The REST calls a benchmark makes against a listening API, as the app does: log in, then JSON with a bearer token. */
export interface ApiClient {
  call(
    method: string,
    path: string,
    token: string,
    body?: unknown,
  ): Promise<{ status: number; json: Record<string, unknown> }>;
  login(email: string, password: string): Promise<string>;
}

export function apiClient(base: string): ApiClient {
  return {
    async call(method, path, token, body) {
      const res = await fetch(`${base}${path}`, {
        method,
        headers: { authorization: `Bearer ${token}`, ...(body ? { 'content-type': 'application/json' } : {}) },
        ...(body ? { body: JSON.stringify(body) } : {}),
      });
      return { status: res.status, json: (await res.json()) as Record<string, unknown> };
    },
    async login(email, password) {
      const res = await fetch(`${base}/v1/auth/login`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ email, password }),
      });
      return ((await res.json()) as { accessToken: string }).accessToken;
    },
  };
}
