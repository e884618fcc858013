import { html } from '../../src/http/html.ts';
import type { AppModule } from '../../src/platform/app-module.ts';
import { linksPermissions } from './permissions.ts';

export const links: AppModule = {
  name: 'links',
  title: 'Links',
  description: 'Links',
  database: 'links',
  migrations: {},
  permissions: linksPermissions,
  async routes(app, ctx) {
    app.get('/', async (request, reply) => {
      await ctx.requirePermission(request, 'links.links.read');
      return ctx.page(request, reply, { title: 'Links', body: html`<h1>Links</h1>` });
    });
  },
};
