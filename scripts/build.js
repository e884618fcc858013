#!/usr/bin/env node
// `npm run build` (and `npm install`, through `prepare`): compiles src/ and apps/ to dist/ with
// tsc, then records when the compile *started* in dist/.build-started. bin/marg.js runs dist/
// only while no source is newer than that time, so an edit made during the compile counts too.
import { spawnSync } from 'node:child_process';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { BUILD_STAMP } from '../bin/code-location.js';

const root = new URL('..', import.meta.url).pathname;
const started = Date.now();
// No stamp while the compile runs: an interrupted build leaves dist/ unused.
rmSync(join(root, BUILD_STAMP), { force: true });
let tsc;
try {
  tsc = createRequire(import.meta.url).resolve('typescript/bin/tsc');
} catch {
  // `npm install --omit=dev` runs `prepare` too, without TypeScript.
  console.error('marg build: TypeScript is not installed (npm install --omit=dev?). Install everything, build, then prune: npm ci && npm prune --omit=dev');
  process.exit(1);
}
const result = spawnSync(process.execPath, [tsc, '-p', join(root, 'tsconfig.build.json')], { cwd: root, stdio: 'inherit' });
if (result.status !== 0) process.exit(result.status ?? 1);
mkdirSync(join(root, 'dist'), { recursive: true });
writeFileSync(join(root, BUILD_STAMP), String(started));
