import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { describe, it } from 'node:test';
import { decodeAppKey, generateAppKey } from '../../src/config/app-key.ts';
import { Encrypter } from '../../src/support/encrypter.ts';

const key = decodeAppKey(generateAppKey());

describe('Encrypter', () => {
  it('round-trips text, including empty and non-ASCII', () => {
    const sessions = new Encrypter(key, 'session');
    for (const text of ['', 'hello', '{"d":{"email":"ada@example.test"}}', 'ünïcödé ✓ 🔐', 'x'.repeat(10_000)]) {
      assert.equal(sessions.decrypt(sessions.encrypt(text)), text);
      assert.equal(sessions.decrypt(sessions.encrypt(text, 'ctx'), 'ctx'), text);
    }
  });

  it('seals the same text differently every time (random IV), as URL-safe text', () => {
    const sessions = new Encrypter(key, 'session');
    const [a, b] = [sessions.encrypt('same'), sessions.encrypt('same')];
    assert.notEqual(a, b);
    assert.match(a, /^[A-Za-z0-9_-]+$/);
    assert.ok(!a.includes('same'));
    // 12-byte IV + 16-byte tag + the body.
    assert.equal(Buffer.from(a, 'base64url').length, 12 + 16 + 4);
  });

  it('opens only under the same key, purpose and context', () => {
    const sessions = new Encrypter(key, 'session');
    const sealed = sessions.encrypt('secret', 'id-1');
    assert.equal(new Encrypter(decodeAppKey(generateAppKey()), 'session').decrypt(sealed, 'id-1'), undefined, 'another APP_KEY');
    assert.equal(new Encrypter(key, 'cookies').decrypt(sealed, 'id-1'), undefined, 'another purpose');
    assert.equal(sessions.decrypt(sealed, 'id-2'), undefined, 'another context');
    assert.equal(sessions.decrypt(sealed), undefined, 'no context');
    assert.equal(new Encrypter(Buffer.from(key), 'session').decrypt(sealed, 'id-1'), 'secret', 'an equal key opens it');
  });

  it('answers undefined for tampered, truncated or garbage payloads', () => {
    const sessions = new Encrypter(key, 'session');
    const raw = Buffer.from(sessions.encrypt('payload'), 'base64url');
    for (let at = 0; at < raw.length; at++) {
      const tampered = Buffer.from(raw);
      tampered[at] = tampered[at]! ^ 0x80;
      assert.equal(sessions.decrypt(tampered.toString('base64url')), undefined, `byte ${at}`);
    }
    assert.equal(sessions.decrypt(raw.subarray(0, raw.length - 1).toString('base64url')), undefined, 'truncated body');
    assert.equal(sessions.decrypt(raw.subarray(0, 27).toString('base64url')), undefined, 'shorter than IV + tag');
    assert.equal(sessions.decrypt(''), undefined);
    assert.equal(sessions.decrypt('not base64 at all!'), undefined);
    assert.equal(sessions.decrypt('{"d":{}}'), undefined);
  });

  it('refuses a key that is not 32 bytes', () => {
    assert.throws(() => new Encrypter(randomBytes(16), 'session'), /APP_KEY must decode to 32 bytes/);
    assert.throws(() => new Encrypter(Buffer.alloc(0), 'session'), /APP_KEY must decode to 32 bytes/);
  });
});
