import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';

/**
 * The checkout (or image) root: the nearest folder above this file with a package.json. This file
 * runs from src/support (through tsx) or from dist/src/support (compiled), so a fixed `../..`
 * would point into dist/ in production; files that are not code (package.json, deploy/
 * templates, bin/) are found from here instead.
 */
export const PROJECT_ROOT: string = findRoot(import.meta.dirname);

function findRoot(from: string): string {
  for (let dir = from; ; dir = dirname(dir)) {
    if (existsSync(join(dir, 'package.json'))) return dir;
    if (dirname(dir) === dir) throw new Error(`no package.json above ${from}`);
  }
}
