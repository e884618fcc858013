import { createCipheriv, createDecipheriv, hkdfSync, randomBytes } from 'node:crypto';

/**
 * AES-256-GCM with a key derived from APP_KEY for one purpose (HKDF), so a payload
 * encrypted for sessions can never be replayed as something else.
 */
export class Encrypter {
  readonly #key: Buffer;

  constructor(appKey: Buffer, purpose: string) {
    if (appKey.length !== 32) throw new Error('APP_KEY must decode to 32 bytes');
    this.#key = Buffer.from(hkdfSync('sha256', appKey, Buffer.alloc(0), `marg:${purpose}`, 32));
  }

  /** `context` (a session id, say) is authenticated but not stored: the payload only opens under it. */
  encrypt(plaintext: string, context = ''): string {
    const iv = randomBytes(12);
    const cipher = createCipheriv('aes-256-gcm', this.#key, iv);
    cipher.setAAD(Buffer.from(context));
    const body = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]);
    return Buffer.concat([iv, cipher.getAuthTag(), body]).toString('base64url');
  }

  /** Undefined when the payload was tampered with, or sealed under another key or context. */
  decrypt(payload: string, context = ''): string | undefined {
    const raw = Buffer.from(payload, 'base64url');
    if (raw.length < 28) return undefined;
    try {
      const decipher = createDecipheriv('aes-256-gcm', this.#key, raw.subarray(0, 12));
      decipher.setAAD(Buffer.from(context));
      decipher.setAuthTag(raw.subarray(12, 28));
      return Buffer.concat([decipher.update(raw.subarray(28)), decipher.final()]).toString('utf8');
    } catch {
      return undefined;
    }
  }
}
