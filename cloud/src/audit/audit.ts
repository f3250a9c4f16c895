/**
 * The audit log: who did what to what, how it ended and when, for every operator action (and what
 * the cloud does on its own, such as a release's test run, under the actor "system"). Entries are
 * only ever appended. Callers may pass their transaction, so an entry commits or rolls back with the
 * change it records. `detail` is for codes and figures, never for secrets or households' personal data.
 */
import { and, desc, eq, gte, lt, lte, type SQL } from 'drizzle-orm';
import type { Db } from '../db/database.ts';
import { auditLog, type AuditOutcome } from '../db/schema.ts';
import { InvalidInputError } from '../errors.ts';
import { isUuid } from '../ids.ts';

/** An operator as the log names it; `'system'` is the cloud acting on its own. */
export interface AuditActor {
  id: string;
  email: string;
}

export interface AuditTarget {
  /** What kind of thing: `operator`, `release`, `signing-key`, `device`, `update`, … */
  type: string;
  id: string;
}

export interface AuditRecord {
  actor: AuditActor | 'system';
  /** Dotted, resource first: `auth.login`, `operator.create`, `release.upload`. */
  action: string;
  target?: AuditTarget | null | undefined;
  outcome: AuditOutcome;
  detail?: Record<string, unknown> | undefined;
}

export interface AuditEntry {
  id: number;
  at: Date;
  /** Null for the cloud itself. */
  actor: AuditActor | null;
  action: string;
  target: AuditTarget | null;
  outcome: AuditOutcome;
  detail: Record<string, unknown>;
}

export interface AuditQuery {
  actorId?: string | undefined;
  action?: string | undefined;
  targetType?: string | undefined;
  targetId?: string | undefined;
  /** Entries at or after this time. */
  since?: Date | undefined;
  /** Entries at or before this time. */
  until?: Date | undefined;
  /** The `nextCursor` of the page before: entries older than it. */
  cursor?: string | undefined;
  limit: number;
}

export interface AuditPage {
  /** Newest first. */
  entries: AuditEntry[];
  /** Null on the last page. */
  nextCursor: string | null;
}

const ACTION = /^[a-z][a-z0-9-]*(\.[a-z][a-z0-9-]*)+$/;
export const MAX_AUDIT_PAGE = 200;

export class AuditService {
  constructor(private readonly db: Db) {}

  /** Appends one entry; in `tx` when given, so it shares the fate of the change it records. */
  async record(entry: AuditRecord, tx: Db = this.db): Promise<AuditEntry> {
    if (!ACTION.test(entry.action))
      throw new InvalidInputError('action', `"${entry.action}" is not a dotted action name`);
    const actor = entry.actor === 'system' ? null : entry.actor;
    const [row] = await tx
      .insert(auditLog)
      .values({
        actorId: actor?.id ?? null,
        actorEmail: actor?.email ?? null,
        action: entry.action,
        targetType: entry.target?.type ?? null,
        targetId: entry.target?.id ?? null,
        outcome: entry.outcome,
        detail: entry.detail ?? {},
      })
      .returning();
    if (!row) throw new Error('insert into audit_log returned no row');
    return toEntry(row);
  }

  /** A page of entries, newest first, filtered by every criterion given. */
  async list(query: AuditQuery): Promise<AuditPage> {
    const limit = Math.max(1, Math.min(MAX_AUDIT_PAGE, Math.trunc(query.limit)));
    const where: SQL[] = [];
    if (query.actorId !== undefined) {
      // Not an operator id: nothing can match, and it must not reach a uuid cast.
      if (!isUuid(query.actorId)) return { entries: [], nextCursor: null };
      where.push(eq(auditLog.actorId, query.actorId));
    }
    if (query.action !== undefined) where.push(eq(auditLog.action, query.action));
    if (query.targetType !== undefined) where.push(eq(auditLog.targetType, query.targetType));
    if (query.targetId !== undefined) where.push(eq(auditLog.targetId, query.targetId));
    if (query.since !== undefined) where.push(gte(auditLog.at, query.since));
    if (query.until !== undefined) where.push(lte(auditLog.at, query.until));
    if (query.cursor !== undefined) where.push(lt(auditLog.id, decodeCursor(query.cursor)));
    const rows = await this.db
      .select()
      .from(auditLog)
      .where(and(...where))
      .orderBy(desc(auditLog.id))
      .limit(limit + 1);
    const entries = rows.slice(0, limit).map(toEntry);
    const last = entries.at(-1);
    return { entries, nextCursor: rows.length > limit && last ? encodeCursor(last.id) : null };
  }
}

/** Opaque to clients: the id of the last entry returned, so the next page starts below it. */
function encodeCursor(id: number): string {
  return Buffer.from(`a${id}`).toString('base64url');
}

function decodeCursor(cursor: string): number {
  const text = Buffer.from(cursor, 'base64url').toString();
  const id = /^a(\d{1,15})$/.exec(text)?.[1];
  if (id === undefined) throw new InvalidInputError('cursor', 'cursor is not one this API returned');
  return Number(id);
}

function toEntry(row: typeof auditLog.$inferSelect): AuditEntry {
  return {
    id: row.id,
    at: row.at,
    actor: row.actorId !== null ? { id: row.actorId, email: row.actorEmail ?? '' } : null,
    action: row.action,
    target: row.targetType !== null && row.targetId !== null ? { type: row.targetType, id: row.targetId } : null,
    outcome: row.outcome,
    detail: row.detail ?? {},
  };
}
