import type { AppContext } from '../../src/http/app-context.ts';
import type { MargFastify } from '../../src/platform/app-module.ts';
import { FORGOT_ANSWER, ForgotBody, requestPasswordReset, resetPassword, ResetBody } from './password-reset.ts';

/** POST /api/password/forgot (202 whatever the address) and POST /api/password/reset (DESIGN §4). */
export async function passwordApi(app: MargFastify, opts: { ctx: AppContext }): Promise<void> {
  const { ctx } = opts;

  app.post('/api/password/forgot', { schema: { body: ForgotBody } }, async (request, reply) => {
    await requestPasswordReset(ctx, request, request.body.email);
    return reply.code(202).send({ message: FORGOT_ANSWER });
  });

  app.post('/api/password/reset', { schema: { body: ResetBody } }, async (request) => {
    await resetPassword(ctx, request, request.body.token, request.body.password);
    return { message: 'Your password is changed and your sessions are signed out: sign in with the new one.' };
  });
}
