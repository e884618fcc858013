import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { dirname } from 'node:path';
import { CapacityFileError, parseCapacityFile, type CapacityFile } from './capacities.ts';

/** Where `npm run bench` writes and `marg plan` reads, relative to the project folder. */
export const CAPACITY_FILE = 'bench/capacity.json';

/** The machine a measurement was taken on, as a capacity file records it. */
export function thisMachine(): { cpu: string; cores: number; node: string } {
  const list = cpus();
  return { cpu: list[0]?.model.trim() ?? 'unknown', cores: list.length, node: process.version };
}

/** The file, or undefined when there is none; a file that is there but wrong is an error. */
export function readCapacityFile(path: string): CapacityFile | undefined {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw new CapacityFileError(`cannot read ${path}: ${(error as Error).message}`);
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    throw new CapacityFileError(`${path} is not JSON: ${(error as Error).message}`);
  }
  return parseCapacityFile(value, path);
}

type Section = 'web' | 'queue' | 'realtime';

/**
 * Replaces one benchmark's section and keeps the others (each benchmark measures its own role).
 * A file that cannot be read as a capacity file is replaced; the write is atomic (rename).
 */
export function writeCapacitySection<K extends Section>(path: string, section: K, value: NonNullable<CapacityFile[K]>): CapacityFile {
  let current: CapacityFile = { version: 1 };
  try {
    current = readCapacityFile(path) ?? current;
  } catch {
    // An unreadable file is what this write repairs.
  }
  const next = parseCapacityFile({ ...current, [section]: value }, path);
  mkdirSync(dirname(path), { recursive: true });
  const temporary = `${path}.${process.pid}.tmp`;
  writeFileSync(temporary, `${JSON.stringify(next, null, 2)}\n`);
  renameSync(temporary, path);
  return next;
}
