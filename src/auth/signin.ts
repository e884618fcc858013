import { createHash } from 'node:crypto';
import type { Principal } from './rbac.ts';
import type { RateLimiter } from '../ratelimit/contract.ts';
import type { Services } from '../platform/services.ts';
import { normaliseEmail } from './users.ts';
import { verifyPassword } from './passwords.ts';

export type SignInResult =
  | { readonly ok: true; readonly principal: Principal }
  | { readonly ok: false; readonly reason: 'invalid' }
  | { readonly ok: false; readonly reason: 'locked'; readonly retryAfterSeconds: number };

/**
 * Credential checks with lockout: after SIGNIN_MAX_ATTEMPTS failures for one email (or
 * four times that from one IP) within SIGNIN_LOCKOUT_SECONDS, further attempts are refused
 * until the window ends. Every outcome is audited.
 */
export class SignIn {
  readonly #byEmail: RateLimiter;
  readonly #byIp: RateLimiter;

  constructor(private readonly services: Services) {
    const { maxAttempts, lockoutSeconds } = services.config.signin;
    this.#byEmail = services.rateLimits.limiter('signin_email', { points: maxAttempts, windowSeconds: lockoutSeconds });
    this.#byIp = services.rateLimits.limiter('signin_ip', { points: maxAttempts * 4, windowSeconds: lockoutSeconds });
  }

  async attempt(emailInput: string, password: string, ip: string): Promise<SignInResult> {
    const email = normaliseEmail(emailInput);
    // Counter keys carry a hash of the address, not the address itself (they live in Redis or a file).
    const emailKey = createHash('sha256').update(email).digest('base64url').slice(0, 32);
    const [emailState, ipState] = await Promise.all([this.#byEmail.peek(emailKey), this.#byIp.peek(ip)]);
    if (!emailState.allowed || !ipState.allowed) {
      const retryAfterSeconds = Math.max(emailState.retryAfterSeconds, ipState.retryAfterSeconds);
      await this.services.audit.record('auth.lockout', { subject: email, ip, details: { retryAfterSeconds } });
      return { ok: false, reason: 'locked', retryAfterSeconds };
    }

    const credentials = await this.services.users.credentials(email);
    const valid = await verifyPassword(credentials?.passwordHash, password);
    const principal = valid && credentials ? await this.services.rbac.principal(credentials.user.id) : undefined;
    if (!principal) {
      await Promise.all([this.#byEmail.hit(emailKey), this.#byIp.hit(ip)]);
      await this.services.audit.record('auth.signin_failed', { actorId: credentials?.user.id ?? null, subject: email, ip });
      return { ok: false, reason: 'invalid' };
    }
    await this.#byEmail.reset(emailKey);
    await this.services.audit.record('auth.signin', { actorId: principal.id, subject: email, ip });
    return { ok: true, principal };
  }
}
