import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { buffer } from 'node:stream/consumers';
import { after, describe, it } from 'node:test';
import { decryptStream, encryptStream, parseKey } from '../../src/backup/crypto.ts';
import { LocalReader } from '../../src/backup/local-destination.ts';
import { readPart, writePart } from '../../src/backup/parts.ts';
import { silentProgress } from '../../src/backup/progress.ts';
import { createWriteStream } from 'node:fs';

const dir = mkdtempSync(join(tmpdir(), 'marg-crypto-'));
after(() => rmSync(dir, { recursive: true, force: true }));

/** Splits bytes into chunks at the given offsets: streams arrive in pieces anywhere. */
function pieces(bytes: Buffer, cuts: number[]): Readable {
  const edges = [0, ...cuts, bytes.length];
  return Readable.from(edges.slice(1).map((end, i) => bytes.subarray(edges[i], end)));
}

describe('backup encryption (AES-256-GCM parts)', () => {
  const key = randomBytes(32);
  const plain = randomBytes(100_000);

  it('decrypts what it encrypted whatever the chunk boundaries (inside the header, inside the tag)', async () => {
    const sealed = await buffer(pieces(plain, [5, 70_000]).pipe(encryptStream(key)));
    assert.equal(sealed.length, plain.length + 8 + 12 + 16);
    for (const cuts of [[3], [7, 30], [sealed.length - 10], [sealed.length - 20, sealed.length - 1]]) {
      assert.ok((await buffer(pieces(sealed, cuts).pipe(decryptStream(key, 'p')))).equals(plain), `cuts ${cuts}`);
    }
    const empty = await buffer(Readable.from([]).pipe(encryptStream(key)));
    assert.equal((await buffer(Readable.from([empty]).pipe(decryptStream(key, 'p')))).length, 0);
  });

  it('fails on a changed byte, a cut-off tag or another key: never a silently wrong plaintext', async () => {
    const sealed = await buffer(Readable.from([plain]).pipe(encryptStream(key)));
    const changed = Buffer.from(sealed);
    changed[500]! ^= 1;
    await assert.rejects(buffer(Readable.from([changed]).pipe(decryptStream(key, 'part-a'))), /part-a: does not decrypt with this key/);
    await assert.rejects(buffer(Readable.from([sealed.subarray(0, 10)]).pipe(decryptStream(key, 'part-a'))), /truncated/);
    await assert.rejects(buffer(Readable.from([sealed]).pipe(decryptStream(randomBytes(32), 'part-a'))), /does not decrypt/);
  });

  it('readPart fails (does not hang) when a stored part does not decrypt, naming the part', async () => {
    const file = join(dir, 'part.gz.enc');
    const info = await writePart(Readable.from([plain]), createWriteStream(file), key, silentProgress);
    const part = { name: 'part.gz.enc', kind: 'database' as const, ...info };
    assert.ok((await buffer(readPart(new LocalReader(dir), part, key, silentProgress))).equals(plain));
    // Another key: garbage reaches gunzip before the tag is checked, so either may be the one to fail.
    await assert.rejects(buffer(readPart(new LocalReader(dir), part, randomBytes(32), silentProgress)), /backup part "part\.gz\.enc": (incorrect header check|.*does not decrypt)/);
    writeFileSync(file, Buffer.from('not gzip at all'));
    await assert.rejects(buffer(readPart(new LocalReader(dir), { ...part, name: 'part.gz.enc' }, undefined, silentProgress)), /backup part "part\.gz\.enc"/);
  });

  it('reads keys as 32 raw bytes, 64 hex digits or base64, and refuses anything else', () => {
    assert.equal(parseKey(key, 'k').length, 32);
    assert.ok(parseKey(Buffer.from(`${key.toString('hex')}\n`), 'k').equals(key));
    assert.ok(parseKey(Buffer.from(`base64:${key.toString('base64')}`), 'k').equals(key));
    assert.throws(() => parseKey(Buffer.from('too short'), 'the key file k'), /the key file k holds no 256-bit key/);
  });
});
