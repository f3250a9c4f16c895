/** docs/rollouts.md's API section against the OpenAPI document: every rollout route, its operationId and statuses. */
import { readFile } from 'node:fs/promises';
import { expect, it } from 'vitest';
import { useApi } from './support.ts';

const api = useApi();
const DOC = new URL('../../docs/rollouts.md', import.meta.url);

it('names every /v1/admin/rollouts route with its operationId and every error status it answers', async () => {
  const doc = await readFile(DOC, 'utf8');
  const section = doc.slice(doc.indexOf('## API'), doc.indexOf('## CLI'));
  const paths = (await api.app.inject({ method: 'GET', url: '/docs/json' })).json().paths as Record<
    string,
    Record<string, { operationId: string; responses: Record<string, unknown> }>
  >;
  const routes = Object.entries(paths).filter(([path]) => path.startsWith('/v1/admin/rollouts'));
  expect(routes.length).toBeGreaterThanOrEqual(8);
  for (const [path, methods] of routes) {
    for (const [method, op] of Object.entries(methods)) {
      const route = `${method.toUpperCase()} ${path.slice('/v1/admin'.length)}`;
      expect(section, route).toMatch(
        new RegExp(`\`${route.replace(/[{}?]/g, '\\$&')}[?\`].*\\(\`${op.operationId}\`\\)`),
      );
      for (const status of Object.keys(op.responses).filter((s) => s >= '400' && s !== '500')) {
        expect(section, `${route} ${status}`).toContain(`| \`${status}\` |`);
      }
    }
  }
});
