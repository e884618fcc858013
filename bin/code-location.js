// Which code `marg` runs: the compiled JavaScript in dist/ (no TypeScript loader, fast start) or
// the TypeScript sources through tsx. dist/ is used only when it is at least as new as every
// source file, so a stale build can never run old code in a developer's checkout or in tests:
// an edited file makes `marg` run the sources until the next `npm run build`.
// MARG_CODE=dist insists on dist/ (an error when it is missing or stale; production images set
// it), MARG_CODE=src insists on the sources (`npm run dev`).
import { existsSync, readFileSync, readdirSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';

/** Written by scripts/build.js after a successful compile: the time the compile *started*. */
export const BUILD_STAMP = 'dist/.build-started';

/** Inputs of the build: a change to any of them makes dist/ stale. */
const SOURCE_DIRS = ['src', 'apps'];
const SOURCE_FILES = ['tsconfig.json', 'tsconfig.build.json'];

/**
 * `{ from: 'dist' | 'src', why }` for the checkout at `root`, or throws a message for the user
 * when MARG_CODE asks for what cannot run.
 */
export function codeLocation(root, wanted = process.env.MARG_CODE) {
  if (wanted !== undefined && wanted !== '' && wanted !== 'dist' && wanted !== 'src') {
    throw new Error(`MARG_CODE must be dist or src, not ${JSON.stringify(wanted)}`);
  }
  if (wanted === 'src') return { from: 'src', why: 'MARG_CODE=src' };
  const stale = staleness(root);
  if (stale === undefined) return { from: 'dist', why: 'dist/ is up to date' };
  if (wanted === 'dist') throw new Error(`MARG_CODE=dist, but ${stale}: run \`npm run build\``);
  return { from: 'src', why: stale };
}

/** Why dist/ cannot be used, or undefined when it is as new as every source. */
function staleness(root) {
  const stampPath = join(root, BUILD_STAMP);
  if (!existsSync(stampPath)) return 'dist/ is not built';
  const built = Number(readFileSync(stampPath, 'utf8'));
  if (!Number.isFinite(built)) return `${BUILD_STAMP} is unreadable`;
  for (const file of SOURCE_FILES) {
    const path = join(root, file);
    if (existsSync(path) && statSync(path).mtimeMs > built) return `${file} changed after the last build`;
  }
  for (const dir of SOURCE_DIRS) {
    const newer = newerFile(join(root, dir), built);
    if (newer) return `${relative(root, newer)} changed after the last build`;
  }
  return undefined;
}

/** The first file (or folder: a deleted or renamed file changes it) under `dir` modified after `time`. */
function newerFile(dir, time) {
  if (!existsSync(dir)) return undefined;
  if (statSync(dir).mtimeMs > time) return dir;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) {
      const found = newerFile(path, time);
      if (found) return found;
    } else if (statSync(path).mtimeMs > time) return path;
  }
  return undefined;
}
