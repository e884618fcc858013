import { createCipheriv, createDecipheriv, createHmac, randomBytes, type DecipherGCM } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { Transform, type TransformCallback } from 'node:stream';

// Node's GCM streams do not frame the IV and tag; this header and trailer do (written by hand: a dozen lines).
const MAGIC = Buffer.from('MARGENC1');
const IV_BYTES = 12;
const TAG_BYTES = 16;
const HEADER_BYTES = MAGIC.length + IV_BYTES;

/** Reads a 32-byte key from a file: raw 32 bytes, 64 hex digits, or base64 (optionally `base64:`). */
export function readKeyFile(path: string): Buffer {
  let raw: Buffer;
  try {
    raw = readFileSync(path);
  } catch (error) {
    throw new BadKeyError(`cannot read the key file ${path}: ${(error as Error).message}`);
  }
  return parseKey(raw, `the key file ${path}`);
}

export function parseKey(raw: Buffer, source: string): Buffer {
  if (raw.length === 32) return raw;
  const text = raw.toString('utf8').trim();
  if (/^[0-9a-fA-F]{64}$/.test(text)) return Buffer.from(text, 'hex');
  const b64 = text.replace(/^base64:/, '');
  if (/^[A-Za-z0-9+/]{43}=$/.test(b64)) return Buffer.from(b64, 'base64');
  throw new BadKeyError(`${source} holds no 256-bit key: give 32 raw bytes, 64 hex digits or base64 (e.g. \`openssl rand -base64 32 > backup.key\`)`);
}

export class BadKeyError extends Error {
  override name = 'BadKeyError';
}

/** A short fingerprint kept in the manifest, so that a wrong key is refused before anything is read. */
export function keyCheck(key: Buffer): string {
  return createHmac('sha256', key).update('marg-backup-key-check').digest('hex').slice(0, 32);
}

/** AES-256-GCM: MAGIC, IV, ciphertext, tag. */
export function encryptStream(key: Buffer): Transform {
  const iv = randomBytes(IV_BYTES);
  const cipher = createCipheriv('aes-256-gcm', key, iv);
  let started = false;
  return new Transform({
    transform(chunk: Buffer, _encoding, done: TransformCallback) {
      if (!started) {
        started = true;
        this.push(Buffer.concat([MAGIC, iv]));
      }
      done(null, cipher.update(chunk));
    },
    flush(done: TransformCallback) {
      if (!started) this.push(Buffer.concat([MAGIC, iv]));
      this.push(cipher.final());
      done(null, cipher.getAuthTag());
    },
  });
}

/** The reverse; fails (never yields a silently wrong end) when the tag does not check. */
export function decryptStream(key: Buffer, part: string): Transform {
  let header = Buffer.alloc(0);
  let decipher: DecipherGCM | undefined;
  let tail = Buffer.alloc(0);
  return new Transform({
    transform(chunk: Buffer, _encoding, done: TransformCallback) {
      let data = chunk;
      if (!decipher) {
        header = Buffer.concat([header, data]);
        if (header.length < HEADER_BYTES) return done();
        if (!header.subarray(0, MAGIC.length).equals(MAGIC)) return done(new Error(`${part}: not an encrypted Marg backup part`));
        decipher = createDecipheriv('aes-256-gcm', key, header.subarray(MAGIC.length, HEADER_BYTES));
        data = header.subarray(HEADER_BYTES);
      }
      // The last TAG_BYTES are the tag: hold them back until the end.
      const all = Buffer.concat([tail, data]);
      const cut = Math.max(0, all.length - TAG_BYTES);
      tail = all.subarray(cut);
      done(null, decipher.update(all.subarray(0, cut)));
    },
    flush(done: TransformCallback) {
      if (!decipher || tail.length < TAG_BYTES) return done(new Error(`${part}: encrypted part is truncated`));
      try {
        decipher.setAuthTag(tail);
        done(null, decipher.final());
      } catch {
        done(new Error(`${part}: does not decrypt with this key (tampered, or another key)`));
      }
    },
  });
}
