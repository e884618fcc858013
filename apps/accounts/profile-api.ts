import { Type } from '@sinclair/typebox';
import type { AppContext } from '../../src/http/app-context.ts';
import { meBody } from '../../src/http/session-routes.ts';
import type { MargFastify } from '../../src/platform/app-module.ts';
import { changeName, changePassword } from './account-changes.ts';
import { requireSessionUser } from './tokens-api.ts';

export const ProfileBody = Type.Object({ name: Type.String({ maxLength: 1024 }) }, { additionalProperties: false });
export const PasswordChangeBody = Type.Object(
  { currentPassword: Type.String({ maxLength: 1024 }), password: Type.String({ maxLength: 1024 }) },
  { additionalProperties: false },
);

/** PATCH /api/me (the own name) and PUT /api/me/password (with the current one), from a signed-in session. */
export async function profileApi(app: MargFastify, opts: { ctx: AppContext }): Promise<void> {
  const { ctx } = opts;

  app.patch('/api/me', { schema: { body: ProfileBody } }, async (request) => {
    const user = await requireSessionUser(ctx, request);
    await changeName(ctx, request, user, request.body.name);
    return meBody({ ...user, name: request.body.name.trim() });
  });

  app.put('/api/me/password', { schema: { body: PasswordChangeBody } }, async (request) => {
    const user = await requireSessionUser(ctx, request);
    const ended = await changePassword(ctx, request, user, request.body.currentPassword, request.body.password);
    return { sessionsEnded: ended };
  });
}
