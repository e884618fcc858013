import { createHmac, hkdfSync, randomBytes, timingSafeEqual } from 'node:crypto';

/** A bypass cookie lets its browser through for this long (Laravel's is 12 hours too). */
export const BYPASS_LIFETIME_SECONDS = 12 * 60 * 60;

/** What `--secret` accepts: one URL path segment that needs no escaping, long enough not to be guessed by chance. */
export const SECRET_PATTERN = /^[A-Za-z0-9._~-]{8,128}$/;

/**
 * The maintenance bypass, keyed from APP_KEY (HKDF, its own purpose): the stored state holds
 * only an HMAC of the secret, so reading the cache (Redis, the SQLite file) does not give it
 * away, and a bypass cookie is an expiry signed together with that HMAC, so it opens only the
 * maintenance window it was issued for and cannot be forged without APP_KEY.
 */
export class MaintenanceSecrets {
  readonly #key: Buffer;

  constructor(appKey: Buffer) {
    if (appKey.length !== 32) throw new Error('APP_KEY must decode to 32 bytes');
    this.#key = Buffer.from(hkdfSync('sha256', appKey, Buffer.alloc(0), 'marg:maintenance', 32));
  }

  /** A fresh secret for `marg down --with-secret`. */
  static generate(): string {
    return randomBytes(18).toString('base64url');
  }

  hash(secret: string): string {
    return this.#mac(`secret:${secret}`);
  }

  matches(secret: string, secretHash: string): boolean {
    return SECRET_PATTERN.test(secret) && equal(this.hash(secret), secretHash);
  }

  /** `<expires>.<mac>`: valid until `expires` (Unix seconds), for the window whose secret has `secretHash`. */
  cookie(secretHash: string, nowMs = Date.now()): string {
    const expires = Math.floor(nowMs / 1000) + BYPASS_LIFETIME_SECONDS;
    return `${expires}.${this.#mac(`cookie:${expires}:${secretHash}`)}`;
  }

  verifyCookie(value: string, secretHash: string, nowMs = Date.now()): boolean {
    const match = /^(\d{1,12})\.([A-Za-z0-9_-]{43})$/.exec(value);
    if (!match) return false;
    const expires = Number(match[1]);
    return expires * 1000 > nowMs && equal(this.#mac(`cookie:${expires}:${secretHash}`), match[2]!);
  }

  #mac(message: string): string {
    return createHmac('sha256', this.#key).update(message).digest('base64url');
  }
}

function equal(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}
