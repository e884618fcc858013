import type { AppPermissions } from '../../src/auth/permissions.ts';

const own = ['links.links.read', 'links.links.create', 'links.links.update', 'links.links.delete'];

export const linksPermissions: AppPermissions = {
  permissions: {
    'links.links.read': 'See links',
    'links.links.create': 'Create links',
    'links.links.update': 'Change links they own',
    'links.links.delete': 'Delete links they own',
    'links.links.manage': 'Change and delete anyone\'s links',
  },
  roles: {
    viewer: { description: 'Reads links', permissions: ['links.links.read'] },
    editor: { description: 'Creates links and changes or deletes their own', permissions: own },
    admin: { description: 'Everything in Links', permissions: [...own, 'links.links.manage'] },
  },
};
