import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { describe, it } from 'node:test';

// `marg --help`, `--version` and usage errors must not load the platform (issue 19): the CLI's
// static imports (what Node loads before any command runs) reach only small modules and
// commander; a command imports what it needs with `import()` when its action runs.

const ROOT = resolve(import.meta.dirname, '../..');
/** The packages a static import from the CLI may reach: the parser, and .env parsing (ConfigError's module). */
const ALLOWED_PACKAGES = new Set(['commander', 'dotenv']);
/** Modules that open or build the platform; a static path from src/cli/main.ts to any is a regression. */
const PLATFORM = /^(apps\/|src\/(platform\/(services|boot|migrate|connectivity|web-role|worker-role)\.ts|http\/|database\/|queue\/|observability\/)|src\/cli\/platform-context\.ts)/;

/** Files and packages reachable from `entry` through value imports (`import type` is erased and loads nothing). */
function staticGraph(entry: string): { files: Set<string>; packages: Set<string> } {
  const files = new Set<string>();
  const packages = new Set<string>();
  const walk = (file: string) => {
    if (files.has(file)) return;
    files.add(file);
    const source = readFileSync(join(ROOT, file), 'utf8');
    for (const match of source.matchAll(/^(?:import|export)\s+(?!type\s)(?:[^'";]*?\sfrom\s+)?'([^']+)';/gm)) {
      const spec = match[1]!;
      if (spec.startsWith('.')) walk(relative(ROOT, resolve(ROOT, dirname(file), spec)));
      else if (!spec.startsWith('node:')) packages.add(spec.startsWith('@') ? spec.split('/').slice(0, 2).join('/') : spec.split('/')[0]!);
    }
  };
  walk(entry);
  return { files, packages };
}

describe('the CLI loads the platform only for a command that runs', () => {
  it('src/cli/main.ts reaches no platform module and no package but commander and dotenv by static imports', () => {
    const { files, packages } = staticGraph('src/cli/main.ts');
    assert.ok(files.size > 15, `the walk found the command modules (${files.size} files)`);
    assert.deepEqual([...files].filter((f) => PLATFORM.test(f)), []);
    assert.deepEqual([...packages].filter((p) => !ALLOWED_PACKAGES.has(p)), []);
  });

  it('the walk does see a static import of the platform (the check can fail)', () => {
    const { files, packages } = staticGraph('src/cli/platform-context.ts');
    assert.ok([...files].some((f) => PLATFORM.test(f) && f !== 'src/cli/platform-context.ts'));
    assert.ok(packages.size > 2);
  });
});
