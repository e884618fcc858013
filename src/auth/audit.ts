import type { Generated } from 'kysely';
import type { DatabaseConnection, MigrationSet } from '../database/contract.ts';
import { exactVarchar, now, withId } from '../database/schema.ts';

/** Every event the audit log records (the audit page filters by them). */
export const AUDIT_EVENTS = [
  'auth.signin',
  'auth.signin_failed',
  'auth.lockout',
  'auth.signout',
  'auth.sessions_revoked',
  'rbac.denied',
  'rbac.granted',
  'rbac.revoked',
  'user.created',
  'user.password_changed',
  'user.password_reset_requested',
  'user.password_reset',
  'user.updated',
  'user.disabled',
  'user.enabled',
  'user.deleted',
  'token.created',
  'token.revoked',
  'ops.job_retried',
  'ops.jobs_retried',
  'ops.job_forgotten',
  'ops.task_run',
  'ops.maintenance_down',
  'ops.maintenance_up',
] as const;
export type AuditEvent = (typeof AUDIT_EVENTS)[number];

export interface AuditDatabase {
  audit_log: {
    id: Generated<number>;
    at: string;
    event: string;
    actor_id: number | null;
    subject: string | null;
    ip: string | null;
    details: string | null;
  };
}

export interface AuditEntry {
  readonly id: number;
  readonly at: string;
  readonly event: string;
  readonly actorId: number | null;
  readonly subject: string | null;
  readonly ip: string | null;
  readonly details: Record<string, unknown> | null;
}

/** The audit log lives in the accounts database; every app writes to it through this. */
export const auditMigrations: MigrationSet = {
  '2026_11_22_0001_create_audit_log': {
    async up(db, ctx) {
      await withId(db.schema.createTable('audit_log'), ctx)
        .addColumn('at', 'varchar(32)', (c) => c.notNull())
        // `?event=` filters by it: the same answer on every dialect.
        .addColumn('event', exactVarchar(64, ctx), (c) => c.notNull())
        .addColumn('actor_id', 'integer')
        .addColumn('subject', 'varchar(255)')
        .addColumn('ip', 'varchar(64)')
        .addColumn('details', 'text')
        .execute();
      await db.schema.createIndex('audit_log_event_at').on('audit_log').columns(['event', 'at']).execute();
    },
    async down(db) {
      await db.schema.dropTable('audit_log').execute();
    },
  },
};

export class AuditLog {
  constructor(private readonly connection: DatabaseConnection<AuditDatabase>) {}

  async record(event: AuditEvent, entry: { actorId?: number | null; subject?: string; ip?: string; details?: Record<string, unknown> } = {}): Promise<void> {
    await this.connection.db
      .insertInto('audit_log')
      .values({
        at: now(),
        event,
        actor_id: entry.actorId ?? null,
        subject: entry.subject ?? null,
        ip: entry.ip ?? null,
        details: entry.details ? JSON.stringify(entry.details) : null,
      })
      .execute();
  }

  /** Newest first; `before` is the last id of the previous page. */
  async list(limit: number, options: { before?: number; event?: string } = {}): Promise<AuditEntry[]> {
    let query = this.connection.db.selectFrom('audit_log').selectAll().orderBy('id', 'desc').limit(limit);
    if (options.before !== undefined) query = query.where('id', '<', options.before);
    if (options.event !== undefined) query = query.where('event', '=', options.event);
    return (await query.execute()).map((r) => ({
      id: Number(r.id),
      at: r.at,
      event: r.event,
      actorId: r.actor_id === null ? null : Number(r.actor_id),
      subject: r.subject,
      ip: r.ip,
      details: r.details ? (JSON.parse(r.details) as Record<string, unknown>) : null,
    }));
  }
}
