import type { AppModule } from '../../src/platform/app-module.ts';
import { taskApi } from './api.ts';
import { flowMigrations } from './migrations.ts';
import { taskPages } from './pages.ts';
import { taskPageRoutes } from './task-page.ts';
import { settingsPage } from './settings-page.ts';
import { flowPermissions } from './permissions.ts';
import { seedTasks } from './seed.ts';
import { taskSearchApi } from './search-api.ts';
import { taskSearchSource } from './search-index.ts';
import { TaskStore } from './tasks-store.ts';
import { flowReportJobs, flowSchedule } from './report.ts';
import { reportRoutes } from './report-api.ts';
import { reportMigrations } from './report-migrations.ts';
import { attachmentApi } from './attachment-api.ts';
import { attachmentJobs } from './attachment-job.ts';
import { attachmentMigrations } from './attachment-migrations.ts';
import { activityMigrations } from './activity-migrations.ts';

/** flow: tasks with status, assignee and due date; a JSON API and a server-rendered board. */
export const flow: AppModule = {
  name: 'flow',
  title: 'Flow',
  description: 'Tasks: create, assign, track status and due dates',
  migrations: { ...flowMigrations, ...reportMigrations, ...attachmentMigrations, ...activityMigrations },
  permissions: flowPermissions,
  async routes(app, ctx) {
    await app.register(taskApi, { ctx });
    await app.register(taskPages, { ctx });
    await app.register(taskPageRoutes, { ctx });
    await app.register(settingsPage, { ctx });
    await app.register(reportRoutes, { ctx });
    await app.register(taskSearchApi, { ctx, store: TaskStore.of(ctx.services) });
    await app.register(attachmentApi, { ctx });
  },
  // Live board: the task list page subscribes; task changes are broadcast there (apps/flow/api.ts).
  channels: [
    { pattern: 'private-flow.tasks', permission: 'flow.tasks.read' },
    { pattern: 'presence-flow.board', permission: 'flow.tasks.read' },
  ],
  searchIndexes: (services) => [taskSearchSource(TaskStore.of(services))],
  jobs: (services) => ({ ...flowReportJobs(services), ...attachmentJobs(services) }),
  schedule: flowSchedule,
  seed: seedTasks,
};
