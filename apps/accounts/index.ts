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
import { profileApi } from './profile-api.ts';
import { rolesApi } from './roles-api.ts';
import { sessionsApi } from './sessions-api.ts';
import { passwordApi } from './password-api.ts';
import { passwordResetJobs } from './password-reset.ts';
import { passwordPages } from './pages/password.ts';
import { signInPage } from './signin-page.ts';
import { tokensPage } from './pages/tokens.ts';
import { tokensApi } from './tokens-api.ts';
import { usersApi } from './users-api.ts';

/** accounts: sign-in for every app (SSO), users, roles per app, the audit log. */
export const accounts: AppModule = {
  name: 'accounts',
  title: 'Accounts',
  description: 'Sign-in, users and roles for every app',
  duties: ['sign-in', 'audit-log'],
  migrations: auditMigrations,
  permissions: accountsPermissions,
  jobs: (services) => ({ ...avatarJobs(services), ...passwordResetJobs(services) }),
  async routes(app, ctx) {
    ctx.registerAvatars('accounts', (userId) => `/api/users/${userId}/avatar?fallback=initials`);
    for (const plugin of [signInPage, passwordApi, passwordPages, sessionsApi, tokensApi, profileApi, usersApi, avatarApi, rolesApi, auditApi, homePage, tokensPage, usersPage, userPage, auditPage]) {
      await app.register(plugin, { ctx });
    }
  },
};
