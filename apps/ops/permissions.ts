import type { AppPermissions } from '../../src/auth/permissions.ts';

/** See every ops page. */
export const READ = 'ops.monitor.read';
/** Act on the system: retry and forget failed jobs, run a task now, maintenance mode. */
export const ACT = 'ops.monitor.act';

export const opsPermissions: AppPermissions = {
  permissions: {
    [READ]: 'See the nodes, queues, schedule and telemetry',
    [ACT]: 'Retry and forget failed jobs, run tasks now, turn maintenance mode on and off',
  },
  roles: {
    viewer: { description: 'Sees the ops pages', permissions: [READ] },
    // Nothing in ops is owned by anyone, so an editor reads like a viewer.
    editor: { description: 'Sees the ops pages', permissions: [READ] },
    admin: { description: 'Sees the ops pages and acts: retries jobs, runs tasks, maintenance mode', permissions: [READ, ACT] },
  },
};
