import type { AppPermissions } from '../../src/auth/permissions.ts';

const own = ['flow.tasks.read', 'flow.tasks.create', 'flow.tasks.update', 'flow.tasks.delete'];

export const flowPermissions: AppPermissions = {
  permissions: {
    'flow.tasks.read': 'See tasks',
    'flow.tasks.create': 'Create tasks',
    'flow.tasks.update': 'Change tasks they own',
    'flow.tasks.delete': 'Delete tasks they own',
    'flow.tasks.manage': 'Change and delete anyone\'s tasks',
  },
  roles: {
    viewer: { description: 'Reads tasks', permissions: ['flow.tasks.read'] },
    editor: { description: 'Creates tasks and changes or deletes their own', permissions: own },
    admin: { description: 'Everything in Flow', permissions: [...own, 'flow.tasks.manage'] },
  },
};
