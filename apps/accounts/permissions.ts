import type { AppPermissions } from '../../src/auth/permissions.ts';

export const accountsPermissions: AppPermissions = {
  permissions: {
    'accounts.users.read': 'See the list of users',
    'accounts.users.create': 'Create users',
    'accounts.users.manage': 'Disable, enable and delete users',
    'accounts.roles.manage': 'Grant and revoke roles in every app',
    'accounts.audit.read': 'Read the audit log',
  },
  roles: {
    viewer: { description: 'Sees who has an account', permissions: ['accounts.users.read'] },
    editor: { description: 'Sees users and the audit log', permissions: ['accounts.users.read', 'accounts.audit.read'] },
    admin: {
      description: 'Manages users and roles in every app',
      permissions: ['accounts.users.read', 'accounts.users.create', 'accounts.users.manage', 'accounts.roles.manage', 'accounts.audit.read'],
    },
  },
};
