import { randomUUID } from 'node:crypto';
import { constants, type BigIntStats, type Dirent } from 'node:fs';
import { access, link, mkdir, open, opendir, readFile, rename, rm, stat, unlink, type FileHandle } from 'node:fs/promises';
import { dirname, join, relative, resolve, isAbsolute } from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { setTimeout as sleep } from 'node:timers/promises';
import { limitBytes } from './byte-limit.ts';
import {
  StorageKeyConflictError,
  UNKNOWN_CONTENT_TYPE,
  type ObjectInfo,
  type ObjectStorage,
  type ObjectStream,
  type PutOptions,
  type StoredObject,
  type StreamPutOptions,
} from './contract.ts';
import { checkPrefix } from './prefix.ts';
import { checkContentType, checkKey } from './validation.ts';

/** What a sidecar holds: the content type, and which version of the file it describes. */
interface Sidecar {
  readonly contentType: string;
  readonly version: string;
}

// A reader that finds the sidecar and the file out of step (a put between its two renames) looks again.
const READ_ROUNDS = 4;
const READ_RETRY_MS = 10;
// A writer whose file and sidecar were interleaved with another writer's puts its pair again.
const WRITE_ROUNDS = 10;

/**
 * Objects as plain files under `root` (FILESYSTEM_DISK=local, `storage/app`): key `a/b` is
 * the file `root/a/b`. Every write goes to a temp file in the same folder, is fsynced, then
 * renamed over the target, so a reader sees the old file or the new one, whole.
 *
 * The content type lives in a sidecar `.<name>.meta.json` beside the file, not in the file's
 * extension: keys need none (`avatars/1/original` is a PNG one day and a JPEG the next), and
 * S3 keeps the content type as object metadata too, so both drivers return what they were
 * given. Dot-names cannot be keys (validation.ts), so sidecars and temp files never collide
 * with objects.
 *
 * A file and its sidecar are two renames, so the sidecar names the file version it belongs to
 * (inode, size, mtime). The sidecar is renamed first, then the file. A reader that finds them
 * out of step (a put in between) looks again; a writer checks its pair afterwards and puts it
 * again when another writer interleaved (the last check to start sees the final state, so the
 * pair ends consistent). If a writer died between its renames, a reader gets the whole file as
 * `application/octet-stream` until the next put. The body is written once, to a staging file;
 * each round renames a fresh hard link of it into place (same inode, so same version), so a
 * streamed body need not be read twice.
 *
 * signedUrl() gives undefined: a local disk has no server of its own, so the app streams the
 * bytes (getStream) after its own access check.
 */
export class LocalStorage implements ObjectStorage {
  readonly driver = 'local';
  readonly root: string;

  constructor(root: string) {
    this.root = resolve(root);
  }

  async put(key: string, body: Buffer, options: PutOptions): Promise<void> {
    await this.putStream(key, Readable.from([body]), options);
  }

  async putStream(key: string, body: Readable, options: StreamPutOptions): Promise<{ size: number }> {
    const path = this.#path(key);
    let contentType: string;
    try {
      contentType = checkContentType(options.contentType);
    } catch (error) {
      body.destroy();
      throw error;
    }
    const folder = dirname(path);
    try {
      await this.#makeFolder(folder, key);
      if (await isFolder(path)) throw folderConflict(key);
    } catch (error) {
      body.destroy();
      throw error;
    }
    const staged = await writeTemp(folder, path, body, options.maxBytes);
    try {
      for (let round = 1; ; round++) {
        const temp = join(folder, `.${baseName(path)}.${randomUUID()}.tmp`);
        await link(staged.path, temp);
        try {
          await writeSidecar(folder, path, { contentType, version: staged.version });
          await rename(temp, path);
        } catch (error) {
          await rm(temp, { force: true });
          throw errorCode(error) === 'EISDIR' ? folderConflict(key) : error;
        }
        if ((await this.#pairState(path)) !== 'mixed' || round === WRITE_ROUNDS) return { size: staged.size };
        // Random and growing, so that writers who keep colliding fall out of step.
        await sleep(Math.random() * 10 * round);
      }
    } finally {
      await rm(staged.path, { force: true });
    }
  }

  async get(key: string): Promise<StoredObject | undefined> {
    const opened = await this.#open(key);
    if (!opened) return undefined;
    try {
      // Read through the open handle: the body is the version checked, even if a put renames over it now.
      return { body: await opened.handle.readFile(), contentType: opened.contentType };
    } finally {
      await opened.handle.close();
    }
  }

  async getStream(key: string): Promise<ObjectStream | undefined> {
    const opened = await this.#open(key);
    if (!opened) return undefined;
    // The stream closes the handle when it ends or is destroyed.
    return { body: opened.handle.createReadStream(), contentType: opened.contentType, size: opened.size };
  }

  async *list(prefix: string): AsyncIterable<ObjectInfo> {
    checkPrefix(prefix);
    // Walk only the folder the prefix's whole segments name; the rest of the prefix filters names.
    const folderKey = prefix.includes('/') ? prefix.slice(0, prefix.lastIndexOf('/')) : '';
    yield* this.#walk(folderKey, prefix);
  }

  async signedUrl(key: string): Promise<string | undefined> {
    checkKey(key);
    return undefined;
  }

  async close(): Promise<void> {}

  async delete(key: string): Promise<void> {
    const path = this.#path(key);
    // Sidecar first: at worst a sidecar outlives its file (harmless: the file decides whether the object exists).
    await rm(sidecarPath(path), { force: true });
    try {
      await unlink(path);
    } catch (error) {
      if (isMissing(error)) return;
      if (await isFolder(path)) return; // a folder of other keys: no object by this key
      throw error;
    }
  }

  async exists(key: string): Promise<boolean> {
    const path = this.#path(key);
    try {
      return (await stat(path)).isFile();
    } catch (error) {
      if (isMissing(error)) return false;
      throw error;
    }
  }

  async ping(): Promise<void> {
    try {
      await mkdir(this.root, { recursive: true });
      await access(this.root, constants.R_OK | constants.W_OK);
    } catch (error) {
      throw new Error(`object storage (FILESYSTEM_DISK=local) cannot read and write ${this.root}: ${(error as Error).message}`, { cause: error });
    }
  }

  /** The file open at a version its sidecar describes (or octet-stream after a few tries), or undefined. */
  async #open(key: string): Promise<{ handle: FileHandle; contentType: string; size: number } | undefined> {
    const path = this.#path(key);
    for (let round = 1; ; round++) {
      let handle: FileHandle;
      try {
        handle = await open(path, 'r');
      } catch (error) {
        if (isMissing(error)) return undefined;
        throw error;
      }
      let keep = false;
      try {
        const stats = await handle.stat({ bigint: true });
        if (!stats.isFile()) return undefined; // a folder of other keys is not an object
        const sidecar = await readSidecar(path);
        const matches = sidecar?.version === versionOf(stats);
        if (matches || round === READ_ROUNDS) {
          keep = true;
          return { handle, contentType: matches ? sidecar!.contentType : UNKNOWN_CONTENT_TYPE, size: Number(stats.size) };
        }
      } finally {
        if (!keep) await handle.close();
      }
      await sleep(READ_RETRY_MS);
    }
  }

  async *#walk(folderKey: string, prefix: string): AsyncGenerator<ObjectInfo> {
    let entries: Dirent[];
    try {
      const folder = folderKey === '' ? this.root : this.#path(folderKey);
      entries = [];
      for await (const entry of await opendir(folder)) entries.push(entry);
    } catch (error) {
      if (isMissing(error)) return;
      throw error;
    }
    for (const entry of entries) {
      if (entry.name.startsWith('.')) continue; // sidecars and temp files
      const key = folderKey === '' ? entry.name : `${folderKey}/${entry.name}`;
      if (entry.isDirectory()) {
        // A folder can hold matches when the prefix runs into or past it.
        if (`${key}/`.startsWith(prefix) || prefix.startsWith(`${key}/`)) yield* this.#walk(key, prefix);
      } else if (entry.isFile() && key.startsWith(prefix)) {
        try {
          const stats = await stat(this.#path(key));
          yield { key, size: stats.size, lastModified: stats.mtime };
        } catch (error) {
          if (!isMissing(error)) throw error; // deleted while listing: not listed
        }
      }
    }
  }

  #path(key: string): string {
    const path = join(this.root, ...checkKey(key).split('/'));
    // checkKey already refuses every way out of root; this guards the guard.
    const inside = relative(this.root, path);
    if (inside === '' || inside.startsWith('..') || isAbsolute(inside)) throw new Error(`storage key ${JSON.stringify(key)} resolves outside ${this.root}`);
    return path;
  }

  async #makeFolder(folder: string, key: string): Promise<void> {
    try {
      await mkdir(folder, { recursive: true });
    } catch (error) {
      const code = errorCode(error);
      if (code === 'ENOTDIR' || code === 'EEXIST') {
        throw new StorageKeyConflictError(`storage key ${JSON.stringify(key)}: a part of its path is already an object, so it cannot also be a folder`);
      }
      throw error;
    }
  }

  /** Whether the file and its sidecar belong together now; 'absent' when the file is gone (a delete won). */
  async #pairState(path: string): Promise<'consistent' | 'absent' | 'mixed'> {
    let stats: BigIntStats;
    try {
      stats = await stat(path, { bigint: true });
    } catch (error) {
      if (isMissing(error)) return 'absent';
      throw error;
    }
    return (await readSidecar(path))?.version === versionOf(stats) ? 'consistent' : 'mixed';
  }
}

/** Writes `body` to a new temp file beside `target`, on disk before it returns; over `maxBytes` it is removed and ObjectTooLargeError thrown. */
async function writeTemp(folder: string, target: string, body: Readable, maxBytes?: number): Promise<{ path: string; version: string; size: number }> {
  const path = join(folder, `.${baseName(target)}.${randomUUID()}.tmp`);
  let handle: FileHandle;
  try {
    handle = await open(path, 'wx');
  } catch (error) {
    body.destroy();
    throw error;
  }
  try {
    const limited = limitBytes(body, maxBytes);
    // The stream owns the handle: it fsyncs (flush) and closes it when done, or closes it on an error.
    await pipeline(limited.stream, handle.createWriteStream({ flush: true }));
    return { path, version: versionOf(await stat(path, { bigint: true })), size: limited.size() };
  } catch (error) {
    await rm(path, { force: true });
    throw error;
  }
}

async function writeSidecar(folder: string, target: string, sidecar: Sidecar): Promise<void> {
  const temp = await writeTemp(folder, sidecarPath(target), Readable.from([Buffer.from(JSON.stringify(sidecar))]));
  try {
    await rename(temp.path, sidecarPath(target));
  } catch (error) {
    await rm(temp.path, { force: true });
    throw error;
  }
}

async function readSidecar(path: string): Promise<Sidecar | undefined> {
  let text: string;
  try {
    text = await readFile(sidecarPath(path), 'utf8');
  } catch (error) {
    if (isMissing(error)) return undefined;
    throw error;
  }
  try {
    const value = JSON.parse(text) as Partial<Sidecar>;
    return typeof value.contentType === 'string' && typeof value.version === 'string' ? { contentType: value.contentType, version: value.version } : undefined;
  } catch {
    return undefined; // unreadable sidecar: the file is served as application/octet-stream
  }
}

function sidecarPath(path: string): string {
  return join(dirname(path), `.${baseName(path)}.meta.json`);
}

function baseName(path: string): string {
  return path.slice(dirname(path).length + 1);
}

/** One version of a file: renames keep it, a new write gets another (new inode, and its own mtime). */
function versionOf(stats: BigIntStats): string {
  return `${stats.ino}:${stats.size}:${stats.mtimeNs}`;
}

async function isFolder(path: string): Promise<boolean> {
  try {
    return (await stat(path)).isDirectory();
  } catch {
    return false;
  }
}

function folderConflict(key: string): StorageKeyConflictError {
  return new StorageKeyConflictError(`storage key ${JSON.stringify(key)}: other objects are stored under it, so it cannot also be an object`);
}

function errorCode(error: unknown): string | undefined {
  return (error as NodeJS.ErrnoException | undefined)?.code;
}

function isMissing(error: unknown): boolean {
  const code = errorCode(error);
  return code === 'ENOENT' || code === 'ENOTDIR';
}
