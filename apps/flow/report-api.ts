import { Type } from '@sinclair/typebox';
import type { AppContext } from '../../src/http/app-context.ts';
import type { MargFastify } from '../../src/platform/app-module.ts';
import { REPORT_PERMISSION } from './report.ts';
import { ReportSubscriptions } from './report-subscriptions.ts';

const Subscription = Type.Object({ subscribed: Type.Boolean() });
const schema = { response: { 200: Subscription } };

/** The signed-in user's subscription to the daily report: `GET|PUT|DELETE /api/report-subscription` (PUT and DELETE are idempotent). */
export async function reportRoutes(app: MargFastify, opts: { ctx: AppContext }): Promise<void> {
  const { ctx } = opts;
  const subscriptions = ReportSubscriptions.of(ctx.services);

  app.get('/api/report-subscription', { schema }, async (request) => {
    const principal = await ctx.requirePermission(request, REPORT_PERMISSION);
    return { subscribed: await subscriptions.isSubscribed(principal.id) };
  });

  app.put('/api/report-subscription', { schema }, async (request) => {
    const principal = await ctx.requirePermission(request, REPORT_PERMISSION);
    await subscriptions.subscribe(principal.id, principal.email);
    return { subscribed: true };
  });

  // Signed in is enough: someone who lost the permission can still stop their own mail.
  app.delete('/api/report-subscription', { schema }, async (request) => {
    const principal = await ctx.requireUser(request);
    await subscriptions.unsubscribe(principal.id);
    return { subscribed: false };
  });
}
