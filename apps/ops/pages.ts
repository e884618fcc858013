import { Type } from '@sinclair/typebox';
import type { FastifyRequest } from 'fastify';
import { can, type Principal } from '../../src/auth/rbac.ts';
import type { AuditEvent } from '../../src/auth/audit.ts';
import { LocalDestination } from '../../src/backup/local-destination.ts';
import { decodeAppKey } from '../../src/config/app-key.ts';
import type { AppContext } from '../../src/http/app-context.ts';
import { HttpError } from '../../src/http/errors.ts';
import { setFlash, takeFlash } from '../../src/http/flash.ts';
import { BYPASS_COOKIE } from '../../src/http/maintenance.ts';
import { MaintenanceMode } from '../../src/maintenance/mode.ts';
import { BYPASS_LIFETIME_SECONDS, MaintenanceSecrets } from '../../src/maintenance/secrets.ts';
import type { AppModule, MargFastify } from '../../src/platform/app-module.ts';
import { allScheduledTasks } from '../../src/platform/schedule.ts';
import { lagKey, searchSources } from '../../src/platform/search-indexes.ts';
import { RUN_TASK_JOB } from './jobs.ts';
import { ACT, READ } from './permissions.ts';
import { exceptionGroups, mergedMinutes, nodeRows, overviewSeries, queueSeries, slowJobs, slowRoutes } from './telemetry-view.ts';
import { insightsView, maintenanceView, opsFrame, overviewView, queuesView, scheduleView, servicesView, type ChartSpec, type TaskRow } from './views.ts';

const HOUR = 60;
const FAILED_SHOWN = 100;

const CsrfForm = Type.Object({ _csrf: Type.Optional(Type.String()) }, { additionalProperties: false });
const FailedParams = Type.Object({ id: Type.String({ minLength: 1, maxLength: 100, pattern: '^[A-Za-z0-9_:.-]+$' }) });
const RunForm = Type.Object({ task: Type.String({ minLength: 1, maxLength: 100 }), _csrf: Type.Optional(Type.String()) }, { additionalProperties: false });
const MaintenanceForm = Type.Object(
  { action: Type.Union([Type.Literal('down'), Type.Literal('up')]), message: Type.Optional(Type.String({ maxLength: 500 })), _csrf: Type.Optional(Type.String()) },
  { additionalProperties: false },
);

/** The ops pages: read with ops.monitor.read; every action needs ops.monitor.act and is audited. */
export async function opsPages(app: MargFastify, { ctx, apps }: { ctx: AppContext; apps: () => readonly AppModule[] }): Promise<void> {
  const { services } = ctx;

  async function show(request: FastifyRequest, reply: Parameters<AppContext['page']>[1], input: { path: string; title: string; poll: boolean; body: Parameters<typeof opsFrame>[0]['body']; charts?: readonly ChartSpec[] }) {
    return ctx.page(request, reply, { title: input.title, body: opsFrame({ ...input, flash: takeFlash(request) }) });
  }

  async function audit(request: FastifyRequest, principal: Principal, event: AuditEvent, subject: string, details?: Record<string, unknown>) {
    await services.audit.record(event, { actorId: principal.id, subject, ip: request.ip, ...(details ? { details } : {}) });
  }

  app.get('/', async (request, reply) => {
    await ctx.requirePermission(request, READ);
    const now = Date.now();
    const [beats, samples] = await Promise.all([services.telemetry.nodes(), services.telemetry.samples(Math.floor(now / 60_000) - HOUR + 1)]);
    const series = overviewSeries(mergedMinutes(samples, now, HOUR));
    const charts: ChartSpec[] = [
      { id: 'rps', title: 'Requests', unit: 'per second', x: series.x, series: [{ label: 'req/s', values: series.requestsPerSecond }] },
      { id: 'errors', title: 'Error rate', unit: '% 5xx', x: series.x, series: [{ label: '% 5xx', values: series.errorRate }] },
      { id: 'p95', title: 'Latency p95', unit: 'ms', x: series.x, series: [{ label: 'p95 ms', values: series.p95Ms }] },
    ];
    const body = overviewView({ nodes: nodeRows(beats, now), driver: services.telemetry.driver, charts });
    return show(request, reply, { path: '/', title: 'Overview', poll: true, body, charts });
  });

  app.get('/queues', async (request, reply) => {
    const principal = await ctx.requirePermission(request, READ);
    const now = Date.now();
    const [counts, failed, samples] = await Promise.all([services.queue.stats(), services.failedJobs.failed(FAILED_SHOWN), services.telemetry.samples(Math.floor(now / 60_000) - HOUR + 1)]);
    const charts: ChartSpec[] = queueSeries(mergedMinutes(samples, now, HOUR)).flatMap((q) => [
      { id: `q-${q.queue}-flow`, title: `${q.queue}: jobs`, unit: 'per minute', x: q.x, series: [{ label: 'done', values: q.processed }, { label: 'failed', values: q.failed }, { label: 'backlog', values: q.backlog }] },
      { id: `q-${q.queue}-time`, title: `${q.queue}: run time`, unit: 'ms, average', x: q.x, series: [{ label: 'ms', values: q.avgMs }] },
      { id: `q-${q.queue}-wait`, title: `${q.queue}: wait time`, unit: 'ms, from due to start', x: q.x, series: [{ label: 'p50', values: q.waitP50Ms }, { label: 'p95', values: q.waitP95Ms }] },
    ]);
    const body = queuesView({ csrfToken: ctx.session(request).csrfToken, canAct: can(principal, ACT), driver: services.queue.driverName, counts, failed, charts });
    return show(request, reply, { path: '/queues', title: 'Queues', poll: true, body, charts });
  });

  app.post('/queues/failed/:id/retry', { schema: { params: FailedParams, body: CsrfForm } }, async (request, reply) => {
    const principal = await ctx.requirePermission(request, ACT);
    if (!(await services.failedJobs.retry(request.params.id))) throw new HttpError(404, 'not_found', `No failed job ${request.params.id}.`);
    await audit(request, principal, 'ops.job_retried', request.params.id);
    setFlash(ctx, request, `Job ${request.params.id} is queued again.`);
    return reply.redirect('/queues', 303);
  });

  app.post('/queues/failed/:id/forget', { schema: { params: FailedParams, body: CsrfForm } }, async (request, reply) => {
    const principal = await ctx.requirePermission(request, ACT);
    if (!(await services.failedJobs.forget(request.params.id))) throw new HttpError(404, 'not_found', `No failed job ${request.params.id}.`);
    await audit(request, principal, 'ops.job_forgotten', request.params.id);
    setFlash(ctx, request, `Failed job ${request.params.id} forgotten.`);
    return reply.redirect('/queues', 303);
  });

  app.post('/queues/failed/retry-all', { schema: { body: CsrfForm } }, async (request, reply) => {
    const principal = await ctx.requirePermission(request, ACT);
    const count = await services.failedJobs.retryAll();
    await audit(request, principal, 'ops.jobs_retried', 'all', { count });
    setFlash(ctx, request, `${count} failed ${count === 1 ? 'job is' : 'jobs are'} queued again.`);
    return reply.redirect('/queues', 303);
  });

  // The scheduler (croner) and the backup code (tar-stream, the dumpers) load at the first
  // request of their page: every other request and the node's boot go without them (issue 19).
  const scheduler = async () => new (await import('../../src/scheduler/scheduler.ts')).Scheduler(services, allScheduledTasks(apps()));

  app.get('/schedule', async (request, reply) => {
    const principal = await ctx.requirePermission(request, READ);
    const s = await scheduler();
    const latest = await s.runs.latest(s.tasks.map((t) => t.name));
    const tasks: TaskRow[] = s.tasks.map((t) => {
      const run = latest.get(t.name);
      return {
        name: t.name,
        cron: t.cron + (t.timezone ? ` (${t.timezone})` : ''),
        description: t.description,
        next: s.nextRun(t.name)?.toISOString(),
        last: run && { tick: run.tick, status: run.status, node: run.node, error: run.error, durationMs: run.finishedAt ? Date.parse(run.finishedAt) - Date.parse(run.startedAt) : undefined },
      };
    });
    return show(request, reply, { path: '/schedule', title: 'Schedule', poll: true, body: scheduleView({ csrfToken: ctx.session(request).csrfToken, canAct: can(principal, ACT), tasks }) });
  });

  app.post('/schedule/run', { schema: { body: RunForm } }, async (request, reply) => {
    const principal = await ctx.requirePermission(request, ACT);
    const { task } = request.body;
    if (!allScheduledTasks(apps()).some((t) => t.name === task)) throw new HttpError(422, 'unknown_task', `There is no scheduled task "${task}".`, { task: 'unknown task' });
    // On a worker, not in this request: a task may run for minutes (a backup).
    const { id } = await services.queue.dispatch(RUN_TASK_JOB, { task }, { tries: 1 });
    await audit(request, principal, 'ops.task_run', task, { jobId: id });
    setFlash(ctx, request, `${task} is queued to run now (job ${id}).`);
    return reply.redirect('/schedule', 303);
  });

  app.get('/insights', async (request, reply) => {
    await ctx.requirePermission(request, READ);
    const now = Date.now();
    const samples = await services.telemetry.samples(Math.floor(now / 60_000) - 24 * HOUR + 1);
    const day = mergedMinutes(samples, now, 24 * HOUR);
    const hour = day.slice(-HOUR);
    const body = insightsView({ routes: slowRoutes(hour, 15), jobs: slowJobs(hour, 15), exceptions: exceptionGroups(day, 30) });
    return show(request, reply, { path: '/insights', title: 'Slow requests, slow jobs, exceptions', poll: true, body });
  });

  app.get('/services', async (request, reply) => {
    await ctx.requirePermission(request, READ);
    const engine = services.search.engine;
    const indexes = [];
    for (const source of searchSources(apps(), services).values()) {
      const documents = await engine.count(source.definition).catch(() => undefined);
      const lag = (await services.cache.get(lagKey(source.definition.name))) as { lagMs: number } | undefined;
      indexes.push({ name: source.definition.name + (lag ? ` (last index job lag ${lag.lagMs} ms)` : ''), documents });
    }
    const now = Date.now();
    const beats = nodeRows(await services.telemetry.nodes(), now);
    // The last full minute: the current one is still being counted.
    const lastMinute = mergedMinutes(await services.telemetry.samples(Math.floor(now / 60_000) - 1), now, 2)[0]!;
    const realtime = services.config.realtime;
    let backups: Parameters<typeof servicesView>[0]['backups'];
    try {
      const { listBackups } = await import('../../src/backup/run.ts');
      const list = await listBackups(new LocalDestination(services.config.backup.path));
      backups = { path: services.config.backup.path, list: list.slice(-20).reverse().map((b) => ({ name: b.name, at: b.createdAt.toISOString(), bytes: b.size })) };
    } catch (error) {
      backups = { path: services.config.backup.path, list: undefined, error: `Cannot list backups: ${(error as Error).message}` };
    }
    const body = servicesView({
      search: { driver: engine.driver, indexes },
      realtime: {
        configured: realtime.app !== undefined,
        host: realtime.host,
        driver: services.broadcast.driver,
        nodes: beats.flatMap((b) => (!b.missing && b.realtime ? [{ node: b.node, ...b.realtime }] : [])),
        messagesPerSecond: Math.round((lastMinute.realtimeMessages / 60) * 100) / 100,
      },
      backups,
    });
    return show(request, reply, { path: '/services', title: 'Search, realtime, backups', poll: false, body });
  });

  const maintenance = new MaintenanceMode(services.cache, services.logger);

  app.get('/maintenance', async (request, reply) => {
    const principal = await ctx.requirePermission(request, READ);
    const state = await maintenance.read();
    const body = maintenanceView({ csrfToken: ctx.session(request).csrfToken, canAct: can(principal, ACT), state });
    return show(request, reply, { path: '/maintenance', title: 'Maintenance mode', poll: false, body });
  });

  app.post('/maintenance', { schema: { body: MaintenanceForm } }, async (request, reply) => {
    const principal = await ctx.requirePermission(request, ACT);
    if (request.body.action === 'up') {
      await maintenance.up();
      await audit(request, principal, 'ops.maintenance_up', 'maintenance');
      setFlash(ctx, request, 'The apps are up again.');
      return reply.redirect('/maintenance', 303);
    }
    const appKey = services.config.appKey;
    if (!appKey) throw new HttpError(409, 'no_app_key', 'Maintenance mode from this page needs APP_KEY, for the bypass cookie that keeps this page reachable.');
    const secrets = new MaintenanceSecrets(decodeAppKey(appKey));
    const secretHash = secrets.hash(MaintenanceSecrets.generate());
    const message = request.body.message?.trim();
    await maintenance.down({ since: new Date().toISOString(), retryAfterSeconds: 60, secretHash, ...(message ? { message } : {}) });
    // This browser keeps the apps (and this page) while they are down, as `/<secret>` would give it.
    reply.setCookie(BYPASS_COOKIE, secrets.cookie(secretHash), {
      domain: services.config.session.domain,
      path: '/',
      httpOnly: true,
      sameSite: 'lax',
      secure: request.protocol === 'https',
      maxAge: BYPASS_LIFETIME_SECONDS,
    });
    await audit(request, principal, 'ops.maintenance_down', 'maintenance', message ? { message } : undefined);
    setFlash(ctx, request, 'The apps are down for maintenance.');
    return reply.redirect('/maintenance', 303);
  });
}
