import assert from 'node:assert/strict';
import { it } from 'node:test';
import { readWriteContext } from '../../src/database/read-write-context.ts';

// One process per test file: nothing here has created a replica driver before this test.
it('runs without AsyncLocalStorage until a replica driver asks for it, and tracks state after', async () => {
  const state = { wrote: false, stickyUntil: 0 };
  assert.equal(await readWriteContext.run(state, async () => readWriteContext.current()), undefined, 'no replicas: no context (no promise hooks)');
  readWriteContext.track();
  assert.equal(await readWriteContext.run(state, async () => readWriteContext.current()), state);
});
