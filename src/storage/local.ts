import { randomUUID } from 'node:crypto';
import { constants, type BigIntStats } from 'node:fs';
import { access, mkdir, open, readFile, rename, rm, stat, unlink } from 'node:fs/promises';
import { dirname, join, relative, resolve, isAbsolute } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { StorageKeyConflictError, UNKNOWN_CONTENT_TYPE, type ObjectStorage, type PutOptions, type StoredObject } from './contract.ts';
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
 * `application/octet-stream` until the next put.
 */
export class LocalStorage implements ObjectStorage {
  readonly driver = 'local';
  readonly root: string;

  constructor(root: string) {
    this.root = resolve(root);
  }

  async put(key: string, body: Buffer, options: PutOptions): Promise<void> {
    const path = this.#path(key);
    const contentType = checkContentType(options.contentType);
    const folder = dirname(path);
    await this.#makeFolder(folder, key);
    if (await isFolder(path)) throw folderConflict(key);
    for (let round = 1; ; round++) {
      const temp = await writeTemp(folder, path, body);
      try {
        await writeSidecar(folder, path, { contentType, version: temp.version });
        await rename(temp.path, path);
      } catch (error) {
        await rm(temp.path, { force: true });
        throw errorCode(error) === 'EISDIR' ? folderConflict(key) : error;
      }
      if ((await this.#pairState(path)) !== 'mixed' || round === WRITE_ROUNDS) return;
      // Random and growing, so that writers who keep colliding fall out of step.
      await sleep(Math.random() * 10 * round);
    }
  }

  async get(key: string): Promise<StoredObject | undefined> {
    const path = this.#path(key);
    for (let round = 1; ; round++) {
      let handle;
      try {
        handle = await open(path, 'r');
      } catch (error) {
        if (isMissing(error)) return undefined;
        throw error;
      }
      try {
        const stats = await handle.stat({ bigint: true });
        if (!stats.isFile()) return undefined; // a folder of other keys is not an object
        const sidecar = await readSidecar(path);
        const matches = sidecar?.version === versionOf(stats);
        if (matches || round === READ_ROUNDS) {
          // Read through the open handle: the body is the version just checked, even if a put renames over it now.
          const body = await handle.readFile();
          return { body, contentType: matches ? sidecar!.contentType : UNKNOWN_CONTENT_TYPE };
        }
      } finally {
        await handle.close();
      }
      await sleep(READ_RETRY_MS);
    }
  }

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

/** Writes `body` to a new temp file beside `target`, on disk before it returns. */
async function writeTemp(folder: string, target: string, body: Buffer): Promise<{ path: string; version: string }> {
  const path = join(folder, `.${baseName(target)}.${randomUUID()}.tmp`);
  const handle = await open(path, 'wx');
  try {
    try {
      await handle.writeFile(body);
      await handle.sync();
      return { path, version: versionOf(await handle.stat({ bigint: true })) };
    } finally {
      await handle.close();
    }
  } catch (error) {
    await rm(path, { force: true });
    throw error;
  }
}

async function writeSidecar(folder: string, target: string, sidecar: Sidecar): Promise<void> {
  const temp = await writeTemp(folder, sidecarPath(target), Buffer.from(JSON.stringify(sidecar)));
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
