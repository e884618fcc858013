import { html } from '../../src/http/html.ts';
import type { AppModule } from '../../src/platform/app-module.ts';
import { flowPermissions } from './permissions.ts';

export const flow: AppModule = {
  name: 'flow',
  title: 'Flow',
  description: 'Flow',
  database: 'flow',
  migrations: {},
  permissions: flowPermissions,
  async routes(app, ctx) {
    app.get('/', async (request, reply) => {
      await ctx.requirePermission(request, 'flow.tasks.read');
      return ctx.page(request, reply, { title: 'Flow', body: html`<h1>Flow</h1>` });
    });
  },
};
