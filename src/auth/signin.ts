import { createHash } from 'node:crypto';
import type { Principal } from './rbac.ts';
import type { RateLimiter, RateLimitResult } from '../ratelimit/contract.ts';
import type { Services } from '../platform/services.ts';
import { clientKey } from '../http/rate-limit.ts';
import { forgetFirstRunCredentials } from '../support/first-run-credentials.ts';
import { normaliseEmail } from './users.ts';
import { verifyPassword } from './passwords.ts';

export type SignInResult =
  | { readonly ok: true; readonly principal: Principal }
  | { readonly ok: false; readonly reason: 'invalid' }
  | { readonly ok: false; readonly reason: 'disabled' }
  | { readonly ok: false; readonly reason: 'locked'; readonly retryAfterSeconds: number };

/** How many times SIGNIN_MAX_ATTEMPTS one client IP (any accounts) or one account (any clients) may fail. */
const WIDE_FACTOR = 4;
/** A client that signed in to an account is "known" to it for this long. */
const KNOWN_CLIENT_SECONDS = 30 * 24 * 3600;

/**
 * Credential checks with lockout, after OWASP's Authentication Cheat Sheet (account lockout
 * vs. denial of service) and its "slow down online guessing" advice:
 *
 * - Every attempt reserves its points atomically BEFORE the password hash is checked, and a
 *   success refunds them: a burst of concurrent requests cannot get more than the limit checked.
 * - Account + client IP: SIGNIN_MAX_ATTEMPTS failures within SIGNIN_LOCKOUT_SECONDS lock that
 *   pair only. An attacker failing from one IP does not lock the owner out on another.
 * - Client IP (any account): 4 × SIGNIN_MAX_ATTEMPTS failures lock the IP (credential stuffing).
 * - Account (any IP): past 4 × SIGNIN_MAX_ATTEMPTS failures the account is throttled, not locked:
 *   attempts from clients that never signed in to it get one try per pace interval
 *   (SIGNIN_LOCKOUT_SECONDS / (4 × SIGNIN_MAX_ATTEMPTS), 45 s by default), which bounds a
 *   distributed guesser; a client that signed in to the account before (same IP, last 30 days)
 *   is not throttled, so the owner keeps getting in from a known client.
 *
 * Every outcome is audited.
 */
export class SignIn {
  readonly #byAccountIp: RateLimiter;
  readonly #byIp: RateLimiter;
  readonly #byAccount: RateLimiter;
  readonly #accountPace: RateLimiter;

  constructor(private readonly services: Services) {
    const { maxAttempts, lockoutSeconds } = services.config.signin;
    const wide = maxAttempts * WIDE_FACTOR;
    this.#byAccountIp = services.rateLimits.limiter('signin_account_ip', { points: maxAttempts, windowSeconds: lockoutSeconds });
    this.#byIp = services.rateLimits.limiter('signin_ip', { points: wide, windowSeconds: lockoutSeconds });
    this.#byAccount = services.rateLimits.limiter('signin_account', { points: wide, windowSeconds: lockoutSeconds });
    this.#accountPace = services.rateLimits.limiter('signin_account_pace', { points: 1, windowSeconds: Math.max(1, Math.ceil(lockoutSeconds / wide)) });
  }

  async attempt(emailInput: string, password: string, ip: string): Promise<SignInResult> {
    const email = normaliseEmail(emailInput);
    // Counter keys carry a hash of the address, not the address itself (they live in Redis or a file).
    const accountKey = createHash('sha256').update(email).digest('base64url').slice(0, 32);
    // IPv6 clients are counted per /64, as the request limits count them: one subscriber holds a whole /64.
    const client = clientKey(ip);
    const pairKey = `${accountKey}:${client}`;

    const reservation = await this.#reserve(accountKey, pairKey, client);
    if (!reservation.ok) {
      await this.services.audit.record('auth.lockout', { subject: email, ip, details: { retryAfterSeconds: reservation.retryAfterSeconds } });
      return { ok: false, reason: 'locked', retryAfterSeconds: reservation.retryAfterSeconds };
    }

    const credentials = await this.services.users.credentials(email);
    const valid = await verifyPassword(credentials?.passwordHash, password);
    if (valid && credentials?.disabled) {
      // The right password: saying so tells nothing new, and the owner learns why they cannot get in.
      await this.services.audit.record('auth.signin_failed', { actorId: credentials.user.id, subject: email, ip, details: { disabled: true } });
      return { ok: false, reason: 'disabled' };
    }
    const principal = valid && credentials ? await this.services.rbac.principal(credentials.user.id) : undefined;
    if (!principal) {
      // The reserved points stay: they are the failure's count.
      await this.services.audit.record('auth.signin_failed', { actorId: credentials?.user.id ?? null, subject: email, ip });
      return { ok: false, reason: 'invalid' };
    }
    await Promise.all([this.#byAccountIp.reset(pairKey), this.#byIp.refund(client), this.#byAccount.refund(accountKey)]);
    await this.services.cache.set(knownClientKey(pairKey), true, KNOWN_CLIENT_SECONDS);
    await this.services.audit.record('auth.signin', { actorId: principal.id, subject: email, ip });
    // The first-run admin has signed in: the file keeping their password has done its job.
    if (await forgetFirstRunCredentials(this.services.config.storagePath, email).catch(() => false)) {
      this.services.logger.info({ userId: principal.id }, 'first sign-in of the first-run administrator: removed storage/first-run-credentials.txt');
    }
    return { ok: true, principal };
  }

  /** Takes one point from each counter, most specific first; on a refusal gives back what it took. */
  async #reserve(accountKey: string, pairKey: string, ip: string): Promise<{ ok: true } | { ok: false; retryAfterSeconds: number }> {
    const taken: (() => Promise<void>)[] = [];
    const refuse = async (result: RateLimitResult) => {
      await Promise.all(taken.map((refund) => refund()));
      return { ok: false as const, retryAfterSeconds: result.retryAfterSeconds };
    };
    // A refused hit stays on its own counter: it is at its limit already, and its window does not move.
    const pair = await this.#byAccountIp.hit(pairKey);
    if (!pair.allowed) return refuse(pair);
    taken.push(() => this.#byAccountIp.refund(pairKey));
    const client = await this.#byIp.hit(ip);
    if (!client.allowed) return refuse(client);
    taken.push(() => this.#byIp.refund(ip));
    const account = await this.#byAccount.hit(accountKey);
    taken.push(() => this.#byAccount.refund(accountKey));
    if (account.allowed) return { ok: true };
    // Throttled account: a known client goes on; others share one try per pace interval.
    if ((await this.services.cache.get(knownClientKey(pairKey))) === true) return { ok: true };
    const paced = await this.#accountPace.hit(accountKey);
    return paced.allowed ? { ok: true } : refuse(paced);
  }
}

function knownClientKey(pairKey: string): string {
  return `signin_known:${pairKey}`;
}
