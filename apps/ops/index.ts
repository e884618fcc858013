import type { AppModule } from '../../src/platform/app-module.ts';
import { opsAssets } from './assets.ts';
import { opsJobs } from './jobs.ts';
import { opsPages } from './pages.ts';
import { opsPermissions } from './permissions.ts';

/**
 * ops: the running system at a glance, like Horizon and Pulse (issue 18). Nodes, request rates
 * and latency from the telemetry store, queues and failed jobs, the schedule, slow routes and
 * jobs, exceptions, search/realtime/backups, maintenance mode. It has no database of its own.
 * `apps` names every app (the schedule page lists their tasks), given late: apps/index.ts lists ops itself.
 */
export function createOps(apps: () => readonly AppModule[]): AppModule {
  return {
    name: 'ops',
    title: 'Ops',
    description: 'Nodes, queues, schedule, slow requests and exceptions',
    // No tables of its own (it reads the platform's stores and writes the audit log): it names the
    // accounts database so that no empty `ops` database is created, and adds no migration to it.
    database: 'accounts',
    migrations: {},
    permissions: opsPermissions,
    async routes(app, ctx) {
      await app.register(opsAssets);
      await app.register(opsPages, { ctx, apps });
    },
    jobs: opsJobs(apps),
  };
}
