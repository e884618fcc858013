import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { exceptionGroups, MISSING_AFTER_MS, mergedMinutes, nodeRows, overviewSeries, queueSeries } from '../../apps/ops/telemetry-view.ts';
import { WAIT_BUCKETS_MS, type MinuteSample, type NodeBeat } from '../../src/telemetry/contract.ts';
import { TelemetryRecorder } from '../../src/telemetry/recorder.ts';
import { quantile } from '../../src/telemetry/stats.ts';

const beat = (node: string, beatAt: number): NodeBeat => ({ node, roles: ['web'], version: '0', startedAt: beatAt - 1000, beatAt, rssBytes: 1, loopDelayMs: 0 });

describe('ops telemetry view', () => {
  it('turns a node red exactly when its last heartbeat is older than MISSING_AFTER_MS (faked clock)', () => {
    const now = Date.parse('2026-12-06T12:00:00Z');
    const [onTime, late] = nodeRows([beat('a', now - MISSING_AFTER_MS), beat('b', now - MISSING_AFTER_MS - 1)], now);
    assert.equal(onTime!.missing, false);
    assert.equal(late!.missing, true);
  });

  it('takes the p95 from the buckets and merges two nodes per minute', () => {
    assert.equal(quantile([90, 5, 5, 0], 0.95, 20), 10);
    assert.equal(quantile([0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 3], 0.95, 12_345), 12_345, 'above the last bucket: the max seen');
    const now = Date.parse('2026-12-06T12:00:30Z');
    const a = new TelemetryRecorder(() => now);
    const b = new TelemetryRecorder(() => now);
    for (let i = 0; i < 57; i++) a.request('GET flow /', 200, 3);
    for (let i = 0; i < 3; i++) b.request('GET flow /', 502, 400);
    b.exception('TypeError', 'GET flow /', 'x is undefined\nat …');
    const samples = [...a.take().map((sample) => ({ node: 'a', sample })), ...b.take().map((sample) => ({ node: 'b', sample }))];
    const minutes = mergedMinutes(samples, now, 60);
    const series = overviewSeries(minutes);
    assert.equal(series.x.length, 60);
    assert.equal(series.requestsPerSecond.at(-1), 1);
    assert.equal(series.errorRate.at(-1), 5);
    assert.equal(series.p95Ms.at(-1), 5);
    assert.deepEqual(exceptionGroups(minutes, 5).map((e) => [e.type, e.place, e.count, e.message]), [['TypeError', 'GET flow /', 1, 'x is undefined']]);
  });

  it("aggregates each queue's wait over nodes into p50/p95 per minute, and reads samples that predate wait time", () => {
    const now = Date.parse('2026-12-06T12:00:30Z');
    const a = new TelemetryRecorder(() => now);
    const b = new TelemetryRecorder(() => now);
    for (let i = 0; i < 18; i++) a.job('mail', 'mail.send', 'completed', 10, 8);
    b.job('mail', 'mail.send', 'retry', 10, 700);
    b.job('mail', 'mail.send', 'failed', 10, 45_000);
    b.job('images', 'flow.thumbnail', 'completed', 10, 0);
    // A minute as a node without this change wrote it: no wait fields.
    const old = { minute: Math.floor(now / 60_000) - 1, requests: {}, queues: { mail: { processed: 3, failed: 0, retried: 0, totalMs: 30, maxMs: 10 } }, jobs: {}, exceptions: {}, backlog: {}, rssBytes: 0, loopDelayMs: 0, realtimeMessages: 0 } as unknown as MinuteSample;
    const [aSample] = a.take();
    const [bSample] = b.take();
    assert.deepEqual(aSample!.queues.mail!.waitBuckets.length, WAIT_BUCKETS_MS.length + 1);
    const minutes = mergedMinutes([{ node: 'a', sample: aSample! }, { node: 'b', sample: bSample! }, { node: 'old', sample: old }], now, 3);
    const [images, mail] = queueSeries(minutes);
    assert.equal(mail!.queue, 'mail');
    // 20 deliveries: 18 waited ≤ 10 ms, one 700 ms, one 45 s (in the ≤ 60 s bucket).
    assert.deepEqual(mail!.waitP50Ms, [0, 0, 10]);
    assert.deepEqual(mail!.waitP95Ms, [0, 0, 1_000]);
    assert.equal(quantile(minutes[2]!.queues.mail!.waitBuckets, 1, minutes[2]!.queues.mail!.waitMaxMs, WAIT_BUCKETS_MS), 45_000, 'the top is capped by the longest wait');
    assert.equal(mail!.processed[1], 3, 'the old minute still counts its jobs');
    assert.deepEqual(images!.waitP95Ms, [0, 0, 0], 'a job that started at once waited 0 ms');
  });
});
