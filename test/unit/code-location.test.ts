import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
// @ts-expect-error: plain JavaScript without types (bin/ runs before any TypeScript loader).
import { BUILD_STAMP, codeLocation } from '../../bin/code-location.js';

// Which code `marg` runs: dist/ only when no source is newer than the build (bin/code-location.js).

type Location = { from: 'dist' | 'src'; why: string };
const locate = codeLocation as (root: string, wanted?: string) => Location;

const dirs: string[] = [];
after(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));

/** A checkout whose sources were last changed at `sourceTime` and built at `builtAt` (undefined: never built). */
function checkout(sourceTime: number, builtAt: number | undefined): string {
  const root = mkdtempSync(join(tmpdir(), 'marg-code-location-'));
  dirs.push(root);
  for (const file of ['src/cli/main.ts', 'apps/links/index.ts', 'tsconfig.json']) {
    mkdirSync(join(root, file, '..'), { recursive: true });
    writeFileSync(join(root, file), '// source\n');
  }
  for (const path of ['src/cli/main.ts', 'src/cli', 'src', 'apps/links/index.ts', 'apps/links', 'apps', 'tsconfig.json']) {
    utimesSync(join(root, path), sourceTime / 1000, sourceTime / 1000);
  }
  if (builtAt !== undefined) {
    mkdirSync(join(root, 'dist'), { recursive: true });
    writeFileSync(join(root, BUILD_STAMP as string), String(builtAt));
  }
  return root;
}

describe('bin/code-location.js', () => {
  const t = Date.now() - 60_000;

  it('runs dist/ when it was built after every source changed', () => {
    assert.equal(locate(checkout(t, t + 1_000)).from, 'dist');
  });

  it('runs the sources when dist/ is missing, or a source (or a folder: a file added or removed) is newer', () => {
    assert.deepEqual(locate(checkout(t, undefined)), { from: 'src', why: 'dist/ is not built' });
    const root = checkout(t, t + 1_000);
    utimesSync(join(root, 'apps/links/index.ts'), (t + 2_000) / 1000, (t + 2_000) / 1000);
    assert.deepEqual(locate(root), { from: 'src', why: 'apps/links/index.ts changed after the last build' });
    const other = checkout(t, t + 1_000);
    utimesSync(join(other, 'src/cli'), (t + 2_000) / 1000, (t + 2_000) / 1000);
    assert.equal(locate(other).from, 'src');
  });

  it('counts an edit made while the build ran (the stamp is the time the build started)', () => {
    assert.equal(locate(checkout(t + 500, t)).from, 'src');
  });

  it('MARG_CODE=dist refuses a stale build; MARG_CODE=src always runs the sources; anything else is an error', () => {
    assert.throws(() => locate(checkout(t + 500, t), 'dist'), /MARG_CODE=dist, but \S+ changed after the last build: run `npm run build`/);
    assert.equal(locate(checkout(t, t + 1_000), 'dist').from, 'dist');
    assert.equal(locate(checkout(t, t + 1_000), 'src').from, 'src');
    assert.throws(() => locate(checkout(t, t + 1_000), 'yes'), /MARG_CODE must be dist or src/);
  });
});

describe('code that runs from dist/ too', () => {
  it('finds non-code files from PROJECT_ROOT, never relative to its own file (which moves to dist/ when built)', () => {
    const root = join(import.meta.dirname, '../..');
    const offenders: string[] = [];
    const scan = (dir: string) => {
      for (const entry of readdirSync(join(root, dir), { withFileTypes: true })) {
        const path = join(dir, entry.name);
        if (entry.isDirectory()) scan(path);
        else if (path.endsWith('.ts') && path !== join('src', 'support', 'project-root.ts')) {
          // createRequire(import.meta.url) resolves packages, which node_modules holds for both.
          const source = readFileSync(join(root, path), 'utf8').replaceAll('createRequire(import.meta.url)', '');
          if (/import\.meta\.(url|dirname|filename)/.test(source)) offenders.push(path);
        }
      }
    };
    scan('src');
    scan('apps');
    assert.deepEqual(offenders, [], 'use PROJECT_ROOT (src/support/project-root.ts) instead');
  });
});
