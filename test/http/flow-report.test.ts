import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { parse } from 'csv-parse/sync';
import { simpleParser, type ParsedMail } from 'mailparser';
import { flowReportJobs, flowSchedule } from '../../apps/flow/report.ts';
import type { ReportDatabase } from '../../apps/flow/report-migrations.ts';
import { TaskStore } from '../../apps/flow/tasks-store.ts';
import type { RbacDatabase } from '../../src/auth/rbac-schema.ts';
import type { User } from '../../src/auth/users.ts';
import type { Services } from '../../src/platform/services.ts';
import type { DispatchOptions, JsonValue, ReservedJob } from '../../src/queue/contract.ts';
import type { HostClient } from '../support/client.ts';
import { startTestServer, TEST_PASSWORD, type TestServer } from '../support/platform.ts';

const PATH = '/api/report-subscription';
const LONG_AGO = '2020-01-01T00:00:00.000Z';

describe('flow daily report', () => {
  let server: TestServer;
  const seen = new Set<string>();

  async function signedIn(role: 'viewer' | 'editor' | undefined): Promise<{ user: User; client: HostClient }> {
    const user = await server.createUser({ roles: role ? [{ app: 'flow', role }] : [] });
    const client = server.client();
    await client.signIn('flow', user.email, TEST_PASSWORD);
    return { user, client };
  }

  /** Mail the log mailer wrote since the last call, parsed. */
  async function newMail(): Promise<ParsedMail[]> {
    const directory = server.config.mail.directory;
    let names: string[] = [];
    try {
      names = readdirSync(directory).filter((n) => n.endsWith('.eml') && !seen.has(n)).sort();
    } catch {
      // No mail yet: the folder is made on the first message.
    }
    for (const name of names) seen.add(name);
    return Promise.all(names.map((name) => simpleParser(readFileSync(join(directory, name)))));
  }

  function runJob(payload: JsonValue, services: Services = server.services): Promise<void> {
    const job: ReservedJob = { id: 'test', name: 'flow.daily-report', payload, queue: 'default', tries: 3, backoff: null, timeoutMs: null, uniqueKey: null, attempt: 1, readyAt: 0 };
    return flowReportJobs(services)['flow.daily-report']!(payload, { job, signal: new AbortController().signal });
  }

  async function subscriptionRows(userId: number) {
    return server.services.databases.get<ReportDatabase>('flow').db.selectFrom('report_subscriptions').selectAll().where('user_id', '=', userId).execute();
  }

  before(async () => {
    // The embedded mailer whatever the shell says: this test reads the .eml files it writes.
    server = await startTestServer({ MAIL_MAILER: 'log' });
  });
  after(() => server.close());

  describe('subscription API', () => {
    it('answers 401 when signed out', async () => {
      const anonymous = server.client();
      for (const method of ['GET', 'PUT', 'DELETE']) {
        const response = await anonymous.request(method, 'flow', PATH);
        assert.equal(response.status, 401, `${method}: ${response.text}`);
        assert.equal(response.json().error.code, 'unauthenticated');
      }
    });

    it('answers 403 to GET and PUT without a flow role, and lets DELETE stop one\'s own mail', async () => {
      const outsider = await signedIn(undefined);
      for (const method of ['GET', 'PUT']) {
        const response = await outsider.client.request(method, 'flow', PATH);
        assert.equal(response.status, 403, `${method}: ${response.text}`);
      }
      const removed = await outsider.client.delete('flow', PATH);
      assert.equal(removed.status, 200);
      assert.deepEqual(removed.json(), { subscribed: false });
      assert.deepEqual(await subscriptionRows(outsider.user.id), []);
    });

    it('subscribes and unsubscribes the signed-in user; PUT and DELETE are idempotent', async () => {
      const { user, client } = await signedIn('viewer');
      assert.deepEqual((await client.get('flow', PATH)).json(), { subscribed: false });
      for (let i = 0; i < 2; i += 1) {
        const response = await client.request('PUT', 'flow', PATH);
        assert.equal(response.status, 200, response.text);
        assert.deepEqual(response.json(), { subscribed: true });
      }
      assert.deepEqual((await client.get('flow', PATH)).json(), { subscribed: true });
      const rows = await subscriptionRows(user.id);
      assert.equal(rows.length, 1);
      assert.equal(rows[0]?.email, user.email);
      for (let i = 0; i < 2; i += 1) {
        const response = await client.delete('flow', PATH);
        assert.equal(response.status, 200, response.text);
        assert.deepEqual(response.json(), { subscribed: false });
      }
      assert.deepEqual((await client.get('flow', PATH)).json(), { subscribed: false });
      assert.deepEqual(await subscriptionRows(user.id), []);
    });

    it('needs the CSRF token to change the subscription', async () => {
      const { client } = await signedIn('viewer');
      const response = await client.request('PUT', 'flow', PATH, { csrf: false });
      assert.equal(response.status, 403);
      assert.equal(response.json().error.code, 'csrf_token_mismatch');
    });
  });

  describe('flow.daily-report job', () => {
    it('mails each subscriber the CSV of open and recently changed tasks, once per date', async () => {
      await newMail();
      const store = TaskStore.of(server.services);
      const db = server.services.databases.get<ReportDatabase>('flow').db;
      const asha = await signedIn('viewer');
      const bo = await signedIn('editor');
      const revoked = await signedIn('viewer');
      for (const s of [asha, bo, revoked]) assert.equal((await s.client.request('PUT', 'flow', PATH)).status, 200);
      await server.services.rbac.revoke(revoked.user.id, { app: 'flow', role: 'viewer' });

      const base = { description: '', ownerId: bo.user.id, assigneeId: null, dueDate: null };
      const openOld = await store.create({ ...base, title: 'Open for ages', status: 'todo', assigneeId: asha.user.id, dueDate: '2026-12-01' });
      const doingOld = await store.create({ ...base, title: 'In progress', status: 'doing' });
      const doneNow = await store.create({ ...base, title: 'Finished today', status: 'done' });
      const doneOld = await store.create({ ...base, title: 'Finished long ago', status: 'done' });
      const formula = await store.create({ ...base, title: "=cmd|' /C calc'!A0", status: 'todo' });
      const tricky = await store.create({ ...base, title: 'Comma, "quote"\r\nand a new line — café', status: 'todo' });
      const signs = await store.create({ ...base, title: '+1 -2 @3', status: 'doing' });
      await db.updateTable('tasks').set({ created_at: LONG_AGO, updated_at: LONG_AGO }).where('id', 'in', [openOld.id, doingOld.id, doneOld.id]).execute();

      await runJob({ date: '2026-11-22' });
      const mails = await newMail();
      assert.deepEqual(mails.map((m) => (Array.isArray(m.to) ? '' : m.to?.value[0]?.address)).sort(), [asha.user.email, bo.user.email].sort());

      const wanted = [openOld, doingOld, doneNow, formula, tricky, signs].map((t) => t.id);
      for (const mail of mails) {
        assert.equal(mail.subject, 'Flow daily report 2026-11-22');
        assert.equal(mail.attachments.length, 1);
        const [attachment] = mail.attachments;
        assert.equal(attachment?.filename, 'flow-report-2026-11-22.csv');
        assert.equal(attachment?.contentType, 'text/csv');
        const text = attachment!.content.toString('utf8');
        assert.match(text, /^\uFEFFid,title,status,assignee,due,created,updated\r\n/);
        const rows = parse(text, { bom: true, columns: true }) as Record<string, string>[];
        // Other tests' tasks may be in the table too: look at this test's.
        const mine = rows.filter((r) => [...wanted, doneOld.id].includes(Number(r.id)));
        assert.deepEqual(mine.map((r) => Number(r.id)), wanted, 'open tasks and those changed in 24 h, by id; not the old done one');
        const byId = new Map(mine.map((r) => [Number(r.id), r]));
        assert.deepEqual(byId.get(openOld.id), {
          id: String(openOld.id), title: 'Open for ages', status: 'todo', assignee: asha.user.email, due: '2026-12-01', created: LONG_AGO, updated: LONG_AGO,
        });
        assert.deepEqual(byId.get(doneNow.id), {
          id: String(doneNow.id), title: 'Finished today', status: 'done', assignee: '', due: '', created: doneNow.createdAt, updated: doneNow.updatedAt,
        });
        // A spreadsheet would run these as formulas: they arrive as text behind a quote.
        assert.equal(byId.get(formula.id)?.title, "'=cmd|' /C calc'!A0");
        assert.equal(byId.get(signs.id)?.title, "'+1 -2 @3");
        assert.equal(byId.get(tricky.id)?.title, 'Comma, "quote"\r\nand a new line — café');
      }

      await runJob({ date: '2026-11-22' });
      assert.deepEqual(await newMail(), [], 'a repeated job does not mail the same date again');
      await runJob({ date: '2026-11-23' });
      assert.equal((await newMail()).length, 2, 'the next date is mailed');
    });

    it('forgets the subscription of a user who no longer exists', async () => {
      await newMail();
      const ghost = await signedIn('viewer');
      assert.equal((await ghost.client.request('PUT', 'flow', PATH)).status, 200);
      // The platform has no user deletion yet: remove the rows as an operator would.
      const rbac = server.services.databases.get<RbacDatabase>('rbac').db;
      await rbac.deleteFrom('user_roles').where('user_id', '=', ghost.user.id).execute();
      await rbac.deleteFrom('users').where('id', '=', ghost.user.id).execute();
      await server.services.rbac.forget(ghost.user.id);
      await runJob({ date: '2026-11-24' });
      const mails = await newMail();
      assert.ok(mails.every((m) => !JSON.stringify(m.to).includes(ghost.user.email)));
      assert.deepEqual(await subscriptionRows(ghost.user.id), []);
    });

    it('rejects a bad payload with a clear error', async () => {
      await assert.rejects(runJob({ date: 'yesterday' }), /flow\.daily-report: invalid payload \(\/date: .*\); expected \{"date":"YYYY-MM-DD"\}/);
      await assert.rejects(runJob(null), /flow\.daily-report: invalid payload/);
    });
  });

  describe('flow:daily-report schedule', () => {
    it('dispatches the job at 07:00 with a per-day unique key', async () => {
      const [task, ...others] = flowSchedule;
      assert.equal(others.length, 0);
      assert.equal(task?.name, 'flow:daily-report');
      assert.equal(task?.cron, '0 7 * * *');
      const dispatched: [string, JsonValue, DispatchOptions | undefined][] = [];
      const services = { queue: { dispatch: async (name: string, payload: JsonValue, options?: DispatchOptions) => void dispatched.push([name, payload, options]) } } as unknown as Services;
      await task!.run(services, new AbortController().signal, { tick: new Date('2026-11-22T07:00:00.000Z'), node: 'test:1' });
      const today = '2026-11-22';
      assert.equal(dispatched.length, 1);
      assert.equal(dispatched[0]?.[0], 'flow.daily-report');
      assert.deepEqual(dispatched[0]?.[1], { date: today });
      assert.equal(dispatched[0]?.[2]?.uniqueKey, `flow.daily-report:${today}`);
    });
  });
});
