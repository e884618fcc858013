import { auditMigrations } from '../../src/auth/audit.ts';
import { html } from '../../src/http/html.ts';
import type { AppModule } from '../../src/platform/app-module.ts';
import { accountsPermissions } from './permissions.ts';
import { signInPage } from './signin-page.ts';

/** accounts: sign-in for every app (SSO), users, roles per app, the audit log. */
export const accounts: AppModule = {
  name: 'accounts',
  title: 'Accounts',
  description: 'Sign-in, users and roles for every app',
  database: 'accounts',
  migrations: auditMigrations,
  permissions: accountsPermissions,
  async routes(app, ctx) {
    await app.register(signInPage, { ctx });
    app.get('/', async (request, reply) => {
      const user = await ctx.requireUser(request);
      return ctx.page(request, reply, { title: 'Accounts', body: html`<h1>Hello, ${user.name}</h1>` });
    });
  },
};
