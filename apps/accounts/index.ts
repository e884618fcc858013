import { auditMigrations } from '../../src/auth/audit.ts';
import type { AppModule } from '../../src/platform/app-module.ts';
import { auditApi } from './audit-api.ts';
import { avatarApi } from './avatar-api.ts';
import { avatarJobs } from './avatar-job.ts';
import { auditPage } from './pages/audit.ts';
import { homePage } from './pages/home.ts';
import { userPage } from './pages/user.ts';
import { usersPage } from './pages/users.ts';
import { accountsPermissions } from './permissions.ts';
import { rolesApi } from './roles-api.ts';
import { sessionsApi } from './sessions-api.ts';
import { signInPage } from './signin-page.ts';
import { usersApi } from './users-api.ts';

/** accounts: sign-in for every app (SSO), users, roles per app, the audit log. */
export const accounts: AppModule = {
  name: 'accounts',
  title: 'Accounts',
  description: 'Sign-in, users and roles for every app',
  duties: ['sign-in', 'audit-log'],
  migrations: auditMigrations,
  permissions: accountsPermissions,
  jobs: avatarJobs,
  async routes(app, ctx) {
    for (const plugin of [signInPage, sessionsApi, usersApi, avatarApi, rolesApi, auditApi, homePage, usersPage, userPage, auditPage]) {
      await app.register(plugin, { ctx });
    }
  },
};
