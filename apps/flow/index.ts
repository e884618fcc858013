import type { AppModule } from '../../src/platform/app-module.ts';
import { taskApi } from './api.ts';
import { flowMigrations } from './migrations.ts';
import { taskPages } from './pages.ts';
import { flowPermissions } from './permissions.ts';
import { seedTasks } from './seed.ts';
import { flowReportJobs, flowSchedule } from './report.ts';
import { reportRoutes } from './report-api.ts';
import { reportMigrations } from './report-migrations.ts';

/** flow: tasks with status, assignee and due date; a JSON API and a server-rendered board. */
export const flow: AppModule = {
  name: 'flow',
  title: 'Flow',
  description: 'Tasks: create, assign, track status and due dates',
  migrations: { ...flowMigrations, ...reportMigrations },
  permissions: flowPermissions,
  async routes(app, ctx) {
    await app.register(taskApi, { ctx });
    await app.register(taskPages, { ctx });
    await app.register(reportRoutes, { ctx });
  },
  jobs: flowReportJobs,
  schedule: flowSchedule,
  seed: seedTasks,
};
