import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { formatBytes, progressFor } from '../../src/backup/progress.ts';

function fakeStream(isTTY: boolean) {
  const writes: string[] = [];
  const stream = { isTTY, columns: 120, write: (chunk: string) => void writes.push(chunk) } as unknown as NodeJS.WriteStream;
  return { stream, writes };
}

describe('backup progress', () => {
  it('on a terminal: a bar redrawn in place with bytes, total and rate, then the summary line', () => {
    const { stream, writes } = fakeStream(true);
    const progress = progressFor(stream);
    progress.start('database flow', 4 * 1024 * 1024);
    progress.advance(2 * 1024 * 1024);
    progress.done('database flow: done');
    assert.match(writes[0]!, /^\rdatabase flow +\[\.{20}\] 0 B \/ 4\.0 MB  0 B\/s\x1b\[K$/);
    const last = writes.at(-1)!;
    assert.equal(last, '\r\x1b[Kdatabase flow: done\n');
  });

  it('elsewhere (a pipe, a log): one plain line per part, no control characters', () => {
    const { stream, writes } = fakeStream(false);
    const progress = progressFor(stream);
    progress.start('storage', undefined);
    progress.advance(5000);
    progress.done('storage (local): 4.9 KB in 0.1 s (49 KB/s)');
    assert.deepEqual(writes, ['storage (local): 4.9 KB in 0.1 s (49 KB/s)\n']);
  });

  it('formats sizes in binary units', () => {
    assert.equal(formatBytes(512), '512 B');
    assert.equal(formatBytes(1536), '1.5 KB');
    assert.equal(formatBytes(300 * 1024 * 1024), '300 MB');
  });
});
