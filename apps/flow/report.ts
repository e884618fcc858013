import { Type } from '@sinclair/typebox';
import { Value } from '@sinclair/typebox/value';
import { can } from '../../src/auth/rbac.ts';
import type { JobFactory } from '../../src/platform/app-module.ts';
import type { Services } from '../../src/platform/services.ts';
import type { JsonValue } from '../../src/queue/contract.ts';
import type { ScheduledTask } from '../../src/scheduler/contract.ts';
import type { FlowDatabase } from './migrations.ts';
import { toCsv, type ReportRow } from './report-csv.ts';
import { ReportSubscriptions } from './report-subscriptions.ts';

export const DAILY_REPORT_JOB = 'flow.daily-report';
/** Subscribing and receiving the report both need what reading tasks needs. */
export const REPORT_PERMISSION = 'flow.tasks.read';
const DAY_MS = 24 * 60 * 60 * 1000;

const ReportPayload = Type.Object({ date: Type.String({ pattern: '^[0-9]{4}-[0-9]{2}-[0-9]{2}$' }) }, { additionalProperties: false });

/** `YYYY-MM-DD` of a moment, in UTC (the scheduler's and the file name's day). */
export function reportDate(at: Date): string {
  return at.toISOString().slice(0, 10);
}

/** The report's rows: every open task, and every task changed in the 24 hours before `at`; oldest first. */
export async function reportRows(services: Services, at: Date): Promise<ReportRow[]> {
  const since = new Date(at.getTime() - DAY_MS).toISOString();
  const tasks = await services.databases
    .get<FlowDatabase>('flow')
    .db.selectFrom('tasks')
    .select(['id', 'title', 'status', 'assignee_id', 'due_date', 'created_at', 'updated_at'])
    .where((eb) => eb.or([eb('status', '!=', 'done'), eb('updated_at', '>=', since)]))
    .orderBy('id')
    .execute();
  const assignees = new Map<number, string>();
  for (const id of new Set(tasks.flatMap((t) => (t.assignee_id === null ? [] : [Number(t.assignee_id)])))) {
    // A deleted user keeps their id in the column: show it rather than nothing.
    assignees.set(id, (await services.users.find(id))?.email ?? `#${id}`);
  }
  return tasks.map((t) => ({
    id: Number(t.id),
    title: t.title,
    status: t.status,
    assignee: t.assignee_id === null ? '' : (assignees.get(Number(t.assignee_id)) ?? ''),
    due: t.due_date ?? '',
    created: t.created_at,
    updated: t.updated_at,
  }));
}

/**
 * Mails the CSV to every subscriber still allowed to read tasks, at their current address.
 * Each one is marked as sent for the date, so a retried or repeated job resumes instead of
 * mailing everyone again (a crash between the send and the mark can still send one twice:
 * at least once).
 */
async function sendDailyReport(payload: JsonValue, services: Services, signal: AbortSignal): Promise<void> {
  if (!Value.Check(ReportPayload, payload)) {
    const problems = [...Value.Errors(ReportPayload, payload)].slice(0, 3).map((e) => `${e.path || '/'}: ${e.message}`);
    throw new Error(`${DAILY_REPORT_JOB}: invalid payload (${problems.join('; ')}); expected {"date":"YYYY-MM-DD"}`);
  }
  const { date } = payload;
  const subscriptions = ReportSubscriptions.of(services);
  const pending = await subscriptions.pending(date);
  if (pending.length === 0) return;
  const rows = await reportRows(services, new Date());
  const csv = await toCsv(rows);
  const filename = `flow-report-${date}.csv`;
  for (const subscription of pending) {
    signal.throwIfAborted();
    const principal = await services.rbac.principal(subscription.userId);
    if (!principal) {
      await subscriptions.unsubscribe(subscription.userId);
      continue;
    }
    if (!can(principal, REPORT_PERMISSION)) {
      services.logger.info({ userId: principal.id, date }, 'flow report skipped: the subscriber may no longer read tasks');
      continue;
    }
    await services.mail.send({
      to: principal.email,
      subject: `Flow daily report ${date}`,
      text: `Hello ${principal.name},\r\n\r\nAttached: ${rows.length} task(s), the open ones and those changed in the last 24 hours.\r\n\r\nUnsubscribe with DELETE /api/report-subscription on the flow app.\r\n`,
      attachments: [{ filename, content: csv, contentType: 'text/csv; charset=utf-8' }],
    });
    await subscriptions.markSent(subscription.userId, date);
  }
}

export const flowReportJobs: JobFactory = (services) => ({
  [DAILY_REPORT_JOB]: (payload, { signal }) => sendDailyReport(payload, services, signal),
});

export const flowSchedule: readonly ScheduledTask[] = [
  {
    name: 'flow:daily-report',
    description: 'Mails the daily task report (CSV) to its subscribers',
    cron: '0 7 * * *',
    // 07:00 UTC (the scheduler's default zone); the report is named for the tick's day.
    async run(services, _signal, run) {
      const date = reportDate(run.tick);
      await services.queue.dispatch(DAILY_REPORT_JOB, { date }, { uniqueKey: `${DAILY_REPORT_JOB}:${date}`, tries: 3, backoff: { type: 'exponential', delayMs: 60_000 } });
    },
  },
];
