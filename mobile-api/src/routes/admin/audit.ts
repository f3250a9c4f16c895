/** GET /v1/admin/audit: the audit log, newest first, a page at a time (admins only). */
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { AuditEntry } from '@switchfleet/cloud';
import { requireRole } from '../../plugins/admin.ts';
import { AuditPageBody, AuditQueryString, errorResponses as e } from '../../schemas.ts';

const view = (entry: AuditEntry) => ({ ...entry, id: String(entry.id), at: entry.at.toISOString() });

const auditRoutes: FastifyPluginAsyncTypebox = async (app) => {
  app.get(
    '/audit',
    {
      onRequest: requireRole('admin'),
      schema: {
        tags: ['admin'],
        security: [{ bearerAuth: [] }],
        operationId: 'listAuditEntries',
        summary: 'Operator actions (who, what, target, outcome, when), newest first (admins only)',
        description:
          "Every filter given must hold. Logins of operators are there, failed ones too; households' actions are not.",
        querystring: AuditQueryString,
        response: { 200: AuditPageBody, 400: e[400], 403: e[403], 404: e[404], 500: e[500] },
      },
    },
    async (r) => {
      const { since, until, limit, ...rest } = r.query;
      const page = await app.cloud.audit.list({
        ...rest,
        // The schema's default fills it in; the fallback only satisfies the type.
        limit: limit ?? 50,
        since: since === undefined ? undefined : new Date(since),
        until: until === undefined ? undefined : new Date(until),
      });
      return { items: page.entries.map(view), nextCursor: page.nextCursor };
    },
  );
};

export default auditRoutes;
