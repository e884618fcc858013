import { Type } from '@sinclair/typebox';
import { Value } from '@sinclair/typebox/value';
import type { FastifyRequest } from 'fastify';
import { decodeAppKey } from '../../src/config/app-key.ts';
import { PasswordResetTokens, RESET_TOKEN_MINUTES } from '../../src/auth/password-reset.ts';
import { normaliseEmail } from '../../src/auth/users.ts';
import { userInputProblems } from '../../src/auth/validation.ts';
import type { AppContext } from '../../src/http/app-context.ts';
import { HttpError, unprocessable } from '../../src/http/errors.ts';
import type { JobFactory } from '../../src/platform/app-module.ts';
import type { Services } from '../../src/platform/services.ts';

export const PASSWORD_RESET_JOB = 'accounts.password-reset';
/** Reset mails one account may get per window: the form must not become a way to flood someone's inbox. */
const MAILS_PER_WINDOW = 3;
const MAIL_WINDOW_SECONDS = 15 * 60;

const ResetJobPayload = Type.Object(
  { email: Type.String({ maxLength: 255 }), resetUrl: Type.String({ maxLength: 2048, pattern: '^https?://' }) },
  { additionalProperties: false },
);

export const ForgotBody = Type.Object({ email: Type.String({ maxLength: 255 }) }, { additionalProperties: false });
export const ResetBody = Type.Object({ token: Type.String({ maxLength: 256 }), password: Type.String({ maxLength: 1024 }) }, { additionalProperties: false });

export const FORGOT_ANSWER = 'If an account exists for this address, a link to reset its password is on its way.';

function resetTokens(services: Services): PasswordResetTokens {
  if (!services.config.appKey) throw new Error('APP_KEY is not set');
  return new PasswordResetTokens(decodeAppKey(services.config.appKey), services.users);
}

/**
 * Queues the reset mail for whatever address was typed: the request does the same work (one
 * dispatch) whether or not an account exists, so neither the answer nor its timing tells.
 * The worker looks the user up, and mails only an existing, enabled account.
 */
export async function requestPasswordReset(ctx: AppContext, request: FastifyRequest, email: string): Promise<void> {
  await ctx.services.queue.dispatch(
    PASSWORD_RESET_JOB,
    { email: normaliseEmail(email).slice(0, 255), resetUrl: ctx.url(request, ctx.signInApp, '/password/reset') },
    { tries: 3, backoff: { type: 'exponential', delayMs: 5_000 } },
  );
}

/** Sets the new password if the token is genuine, unused and unexpired, then ends every session of the user. */
export async function resetPassword(ctx: AppContext, request: FastifyRequest, token: string, password: string): Promise<void> {
  const problems = userInputProblems({ password });
  if (problems.password) throw unprocessable('Choose another password.', { password: problems.password });
  const tokens = resetTokens(ctx.services);
  // One reset per user at a time: two requests with the same token must not both pass the check.
  const userId = await ctx.services.locks.block('accounts:password-reset', 10_000, 5_000, async () => {
    const check = await tokens.check(token);
    if (!check.ok) {
      if (check.reason === 'expired') throw new HttpError(400, 'reset_token_expired', `This reset link has expired (links work for ${RESET_TOKEN_MINUTES} minutes): ask for a new one.`);
      if (check.reason === 'disabled') throw new HttpError(403, 'account_disabled', 'This account is disabled: an administrator can enable it again.');
      throw new HttpError(400, 'invalid_reset_token', 'This reset link is not valid or has already been used: ask for a new one.');
    }
    await ctx.services.users.setPassword(check.userId, password);
    return check.userId;
  });
  const ended = await ctx.sessions.endSessionsOf(userId);
  const user = await ctx.services.users.find(userId);
  await ctx.services.audit.record('user.password_reset', { actorId: userId, subject: user?.email ?? String(userId), ip: request.ip, details: { sessionsEnded: ended } });
}

/** The worker's side: look the address up, and mail an enabled account its link (a few per quarter hour at most). */
export const passwordResetJobs: JobFactory = (services) => {
  const perUser = services.rateLimits.limiter('password_reset_mail', { points: MAILS_PER_WINDOW, windowSeconds: MAIL_WINDOW_SECONDS });
  return {
    async [PASSWORD_RESET_JOB](payload) {
      if (!Value.Check(ResetJobPayload, payload)) throw new Error(`${PASSWORD_RESET_JOB}: malformed payload`);
      const user = await services.users.findByEmail(payload.email);
      if (!user) return;
      const token = await resetTokens(services).issue(user.id);
      if (!token) return;
      if (!(await perUser.hit(String(user.id))).allowed) {
        services.logger.info({ userId: user.id }, 'password reset mail not sent: too many asked for this account');
        return;
      }
      const link = `${payload.resetUrl}?token=${encodeURIComponent(token)}`;
      await services.mail.send({
        to: user.email,
        subject: 'Reset your Marg password',
        text: `Hello ${user.name},\r\n\r\nSomeone (we hope you) asked to reset the password of your Marg account.\r\nChoose a new one here within ${RESET_TOKEN_MINUTES} minutes:\r\n\r\n${link}\r\n\r\nThe link works once. If you did not ask, ignore this mail: your password stays as it is.\r\n`,
      });
      await services.audit.record('user.password_reset_requested', { actorId: user.id, subject: user.email });
    },
  };
};
