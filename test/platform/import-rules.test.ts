import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { after, describe, it } from 'node:test';
import { promisify } from 'node:util';

const ROOT = resolve(import.meta.dirname, '../..');
const DEPCRUISE = join(ROOT, 'node_modules', '.bin', 'depcruise');
const run = promisify(execFile);

interface Violation {
  readonly rule: { readonly name: string };
  readonly from: string;
  readonly to: string;
}

/** Runs the project's rules (.dependency-cruiser.cjs) over a tree; returns what they refuse. */
async function violations(dir: string): Promise<Violation[]> {
  const result = await run(DEPCRUISE, ['src', 'apps', '--config', join(ROOT, '.dependency-cruiser.cjs'), '--output-type', 'json'], { cwd: dir }).catch(
    // Violations make depcruise exit non-zero; its JSON report is on stdout all the same.
    (error: { stdout?: string }) => ({ stdout: error.stdout ?? '' }),
  );
  return (JSON.parse(result.stdout) as { summary: { violations: Violation[] } }).summary.violations;
}

function tree(files: Record<string, string>): string {
  const dir = mkdtempSync(join(tmpdir(), 'marg-import-rules-'));
  writeFileSync(join(dir, 'tsconfig.json'), JSON.stringify({ compilerOptions: { module: 'NodeNext', moduleResolution: 'NodeNext', allowImportingTsExtensions: true, noEmit: true } }));
  for (const [path, text] of Object.entries(files)) {
    mkdirSync(dirname(join(dir, path)), { recursive: true });
    writeFileSync(join(dir, path), text);
  }
  return dir;
}

/** `npm run lint:deps` (in `npm test`) checks the real tree; this shows each rule refuses what it should and lets a manager pick its driver. */
describe('import rules', () => {
  const dirs: string[] = [];
  after(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));

  it('refuse a type-only cycle, a driver in an app, the kernel importing an app, and a driver picked outside its manager', async () => {
    const dir = tree({
      'src/cache/contract.ts': `import type { Store } from './repository.ts';\nexport interface Contract { store: Store }\n`,
      'src/cache/repository.ts': `import type { Contract } from './contract.ts';\nexport interface Store { contract: Contract }\n`,
      'src/cache/redis.ts': `export const driver = 'redis';\n`,
      'src/cache/manager.ts': `import { driver } from './redis.ts';\nexport const picked = driver;\n`,
      'src/platform/services.ts': `import { driver } from '../cache/redis.ts';\nimport { notes } from '../../apps/notes/index.ts';\nexport const s = [driver, notes];\n`,
      'apps/notes/index.ts': `import { driver } from '../../src/cache/redis.ts';\nimport type { Redis } from 'ioredis';\nexport const notes = driver;\nexport type R = Redis;\n`,
    });
    dirs.push(dir);
    const found = (await violations(dir)).map((v) => `${v.rule.name}: ${v.from} → ${v.to}`);
    const expected = [
      'no-cycles: src/cache/contract.ts → src/cache/repository.ts',
      'apps-use-ports-not-drivers: apps/notes/index.ts → src/cache/redis.ts',
      'apps-import-no-driver-types: apps/notes/index.ts → ioredis',
      'kernel-names-no-app: src/platform/services.ts → apps/notes/index.ts',
      'drivers-only-through-their-manager: src/platform/services.ts → src/cache/redis.ts',
    ];
    for (const line of expected) assert.ok(found.includes(line), `expected "${line}" among:\n${found.join('\n')}`);
    assert.ok(!found.some((line) => line.includes('src/cache/manager.ts → src/cache/redis.ts')), 'a manager may import its drivers');
  });
});
