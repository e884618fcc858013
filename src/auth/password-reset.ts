import { createHmac, hkdfSync, timingSafeEqual } from 'node:crypto';
import type { Users } from './users.ts';

/** How long a reset link works. */
export const RESET_TOKEN_MINUTES = 60;
const TOKEN_PATTERN = /^(\d{1,10})\.(\d{1,12})\.([A-Za-z0-9_-]{43})$/;

export type ResetCheck =
  | { readonly ok: true; readonly userId: number }
  | { readonly ok: false; readonly reason: 'invalid' | 'expired' | 'disabled' };

/**
 * Password reset tokens without a table: `<userId>.<expiry>.<HMAC>`, the HMAC (key derived
 * from APP_KEY for this purpose only) over the user, the expiry and the user's current
 * password hash. So a token is signed (a changed id or expiry fails), expiring, and
 * single-use: the reset changes the hash (argon2 salts every hash), which voids the token
 * and every other one issued before it.
 */
export class PasswordResetTokens {
  readonly #key: Buffer;

  constructor(
    appKey: Buffer,
    private readonly users: Users,
  ) {
    this.#key = Buffer.from(hkdfSync('sha256', appKey, Buffer.alloc(0), 'marg:password-reset', 32));
  }

  /** A token for this user as they are now (undefined for an unknown or disabled user). */
  async issue(userId: number, nowMs = Date.now()): Promise<string | undefined> {
    const secret = await this.users.secretOf(userId);
    if (!secret || secret.disabled) return undefined;
    const expires = Math.floor(nowMs / 1000) + RESET_TOKEN_MINUTES * 60;
    return `${userId}.${expires}.${this.#mac(userId, expires, secret.passwordHash)}`;
  }

  /** Whether the token is genuine, unused and unexpired. The signature is checked before the expiry, so a forged one learns nothing. */
  async check(token: string, nowMs = Date.now()): Promise<ResetCheck> {
    const match = TOKEN_PATTERN.exec(token);
    if (!match) return { ok: false, reason: 'invalid' };
    const userId = Number(match[1]);
    const expires = Number(match[2]);
    const secret = await this.users.secretOf(userId);
    if (!secret) return { ok: false, reason: 'invalid' };
    const expected = Buffer.from(this.#mac(userId, expires, secret.passwordHash));
    const given = Buffer.from(match[3]!);
    if (expected.length !== given.length || !timingSafeEqual(expected, given)) return { ok: false, reason: 'invalid' };
    if (expires * 1000 <= nowMs) return { ok: false, reason: 'expired' };
    if (secret.disabled) return { ok: false, reason: 'disabled' };
    return { ok: true, userId };
  }

  #mac(userId: number, expires: number, passwordHash: string): string {
    return createHmac('sha256', this.#key).update(`${userId}\n${expires}\n${passwordHash}`).digest('base64url');
  }
}
