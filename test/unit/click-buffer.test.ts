import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import pino from 'pino';
import { ClickBuffer, CLICKS_JOB } from '../../apps/links/clicks.ts';
import type { JsonValue } from '../../src/queue/contract.ts';

interface Sent {
  readonly batch: string;
  readonly counts: [number, number][];
}

/** A queue that refuses while `down` is set, and remembers every attempt. */
function flakyQueue() {
  const state = { down: true, attempts: [] as Sent[], accepted: [] as Sent[] };
  const queue = {
    dispatch: async (name: string, payload: JsonValue) => {
      assert.equal(name, CLICKS_JOB);
      const sent = payload as unknown as Sent;
      state.attempts.push(sent);
      if (state.down) throw new Error('no answer within 2000 ms');
      state.accepted.push(sent);
      return { id: `default:${state.accepted.length}`, duplicate: false };
    },
  };
  return { state, queue };
}

function capturedLogger() {
  const lines: { msg: string; waiting?: number; lostClicks?: number }[] = [];
  const logger = pino({ level: 'warn' }, { write: (line: string) => void lines.push(JSON.parse(line)) });
  return { logger, lines };
}

const until = async (condition: () => boolean) => {
  for (let i = 0; i < 200 && !condition(); i++) await new Promise((resolve) => setTimeout(resolve, 10));
  assert.ok(condition(), 'condition not met within 2 s');
};

describe('ClickBuffer when the queue refuses a batch', () => {
  it('keeps it and sends it again under the same id, before newer clicks, once the queue is back', async () => {
    const { state, queue } = flakyQueue();
    const { logger, lines } = capturedLogger();
    const clicks = new ClickBuffer(queue, logger, 50);
    // The first click after a quiet second goes at once, the second waits for the flush.
    clicks.record(7);
    clicks.record(7);
    await clicks.flush();
    assert.equal(clicks.unsent, 2);
    assert.match(lines[0]!.msg, /clicks not counted yet/);
    clicks.record(8);
    await until(() => state.attempts.length >= 3);
    state.down = false;
    await until(() => state.accepted.length === 3);
    assert.equal(clicks.unsent, 0);
    assert.deepEqual(state.accepted.map((b) => b.counts), [[[7, 1]], [[7, 1]], [[8, 1]]]);
    assert.ok(state.attempts.filter((b) => b.batch === state.accepted[0]!.batch).length >= 2, 'the retries reuse the batch id');
  });

  it('keeps at most 60 refused batches and says how many clicks it dropped', async () => {
    const { state, queue } = flakyQueue();
    const { logger, lines } = capturedLogger();
    const clicks = new ClickBuffer(queue, logger, 60_000);
    for (let i = 1; i <= 62; i++) {
      clicks.record(i);
      await clicks.flush();
    }
    assert.equal(clicks.unsent, 60);
    const lost = lines.filter((l) => /clicks lost/.test(l.msg));
    assert.equal(lost.reduce((n, l) => n + (l.lostClicks ?? 0), 0), 2);
    state.down = false;
    await clicks.flush();
    assert.equal(clicks.unsent, 0);
    assert.deepEqual(state.accepted.map((b) => b.counts[0]![0]), Array.from({ length: 60 }, (_, i) => i + 3), 'the oldest two went, the rest in order');
  });
});
