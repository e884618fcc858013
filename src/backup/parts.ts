import { createHash } from 'node:crypto';
import { Readable, Transform, type Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { createGunzip, createGzip } from 'node:zlib';
import { decryptStream, encryptStream } from './crypto.ts';
import type { BackupReader } from './destination.ts';
import { CorruptBackupError, type PartInfo } from './manifest.ts';
import type { Progress } from './progress.ts';

/** Counts (and optionally hashes) what flows through. */
class Meter extends Transform {
  bytes = 0;
  readonly #hash = createHash('sha256');
  constructor(private readonly onBytes: (n: number) => void = () => {}) {
    super();
  }
  override _transform(chunk: Buffer, _encoding: BufferEncoding, done: (error?: Error | null, data?: Buffer) => void) {
    this.bytes += chunk.length;
    this.#hash.update(chunk);
    this.onBytes(chunk.length);
    done(null, chunk);
  }
  digest(): string {
    return this.#hash.digest('hex');
  }
}

/** source → gzip → (AES-256-GCM) → file, measuring both ends. */
export async function writePart(source: Readable, target: Writable, key: Buffer | undefined, progress: Progress): Promise<Omit<PartInfo, 'name' | 'kind'>> {
  const raw = new Meter((n) => progress.advance(n));
  const stored = new Meter();
  const stages: (Readable | Writable | Transform)[] = [source, raw, createGzip()];
  if (key) stages.push(encryptStream(key));
  stages.push(stored, target);
  await (pipeline as (...streams: (Readable | Writable | Transform)[]) => Promise<void>)(...stages);
  return { size: stored.bytes, rawSize: raw.bytes, sha256: stored.digest() };
}

/** The part's content, decrypted and decompressed; any stage's failure (a read, a bad tag, bad gzip) fails the stream, naming the part. */
export function readPart(reader: BackupReader, part: PartInfo, key: Buffer | undefined, progress: Progress): Readable {
  const stages: (Readable | Transform)[] = [reader.read(part.name)];
  if (key) stages.push(decryptStream(key, part.name));
  const last = new Meter((n) => progress.advance(n));
  stages.push(createGunzip(), last);
  // A failure anywhere destroys `last` with it, where the reader below sees it.
  (pipeline as (...streams: (Readable | Writable | Transform)[]) => Promise<void>)(...stages).catch(() => {});
  return Readable.from(
    (async function* () {
      try {
        for await (const chunk of last) yield chunk as Buffer;
      } catch (error) {
        throw new Error(`backup part "${part.name}": ${(error as Error).message}`, { cause: error });
      }
    })(),
    { objectMode: false },
  );
}

/** Checks one part's presence, size and SHA-256 against the manifest; throws naming it. */
export async function verifyPart(reader: BackupReader, part: PartInfo, progress: Progress): Promise<void> {
  const size = await reader.size(part.name);
  if (size === undefined) throw new CorruptBackupError(part.name, 'is missing');
  if (size !== part.size) throw new CorruptBackupError(part.name, `is ${size} bytes, the manifest says ${part.size} (truncated or damaged)`);
  const meter = new Meter((n) => progress.advance(n));
  await pipeline(reader.read(part.name), meter, async function* (source) {
    for await (const _ of source) void _;
  });
  if (meter.digest() !== part.sha256) throw new CorruptBackupError(part.name, 'does not match its SHA-256 in the manifest (changed or damaged)');
}
