import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { resolve } from 'node:path';
import { it } from 'node:test';

// A command that fails half-way (a database that timed out during boot) may leave a socket or a
// pool open; `run` still ends the process, so a supervisor or a container runtime restarts it
// instead of it hanging (found running phase3.yml under load: `marg serve` hung after ETIMEDOUT).

it('a failed command exits with its status even when something still holds the event loop', () => {
  const context = resolve(import.meta.dirname, '../../src/cli/context.ts');
  const script = `
    import { createServer } from 'node:net';
    const { run } = await import(${JSON.stringify(context)});
    await run(async () => {
      createServer().listen(0, '127.0.0.1'); // left open, like a pool after a failed boot
      throw new Error('boot failed half-way');
    });`;
  const started = Date.now();
  const result = spawnSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], { encoding: 'utf8', timeout: 20_000 });
  assert.equal(result.signal, null, 'it ended by itself, not by the test timeout');
  assert.equal(result.status, 1);
  assert.match(result.stderr, /boot failed half-way/);
  assert.ok(Date.now() - started < 15_000);
});
