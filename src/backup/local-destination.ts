import { createReadStream, createWriteStream } from 'node:fs';
import { mkdir, readFile, readdir, rename, rm, stat } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import type { Readable, Writable } from 'node:stream';
import { backupTime, type BackupDestination, type BackupReader, type BackupWriter } from './destination.ts';

const PARTIAL = '.partial';

/** Backups as folders under one directory: `<dir>/marg-20261206T030000Z/`. */
export class LocalDestination implements BackupDestination {
  readonly location: string;

  constructor(dir: string) {
    this.location = resolve(dir);
  }

  async list(): Promise<string[]> {
    let entries;
    try {
      entries = await readdir(this.location, { withFileTypes: true });
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
      throw error;
    }
    return entries.filter((e) => e.isDirectory() && backupTime(e.name) !== undefined).map((e) => e.name).sort();
  }

  async begin(name: string): Promise<BackupWriter> {
    const final = join(this.location, name);
    const temp = `${final}${PARTIAL}`;
    if (await exists(final)) throw new Error(`a backup named ${name} exists already in ${this.location}: wait a second and run it again`);
    await rm(temp, { recursive: true, force: true });
    await mkdir(temp, { recursive: true });
    return {
      create: (file: string): Writable => createWriteStream(join(temp, file), { flags: 'wx' }),
      commit: async () => {
        // The rename is the moment the backup exists: list() never sees half of one.
        await rename(temp, final);
      },
      abort: () => rm(temp, { recursive: true, force: true }),
    };
  }

  open(name: string): BackupReader {
    return new LocalReader(join(this.location, name));
  }

  async remove(name: string): Promise<void> {
    if (backupTime(name) === undefined) throw new Error(`refusing to remove ${JSON.stringify(name)}: not a backup name`);
    await rm(join(this.location, name), { recursive: true, force: true });
  }

  async close(): Promise<void> {}
}

/** A backup folder given by path (`marg restore ./backups/marg-…`). */
export class LocalReader implements BackupReader {
  readonly location: string;

  constructor(dir: string) {
    this.location = resolve(dir);
  }

  async size(file: string): Promise<number | undefined> {
    try {
      const info = await stat(join(this.location, file));
      return info.isFile() ? info.size : undefined;
    } catch {
      return undefined;
    }
  }

  read(file: string): Readable {
    return createReadStream(join(this.location, file));
  }

  async readSmall(file: string): Promise<Buffer | undefined> {
    try {
      return await readFile(join(this.location, file));
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw error;
    }
  }
}

async function exists(path: string): Promise<boolean> {
  try {
    await stat(path);
    return true;
  } catch {
    return false;
  }
}
