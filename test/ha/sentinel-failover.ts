import assert from 'node:assert/strict';
import { after, before, describe, it, type TestContext } from 'node:test';
import { bullPrefix } from '../../src/queue/redis-jobs.ts';
import { balancerInstalled, ClusterFixture, DOMAIN } from '../cluster/fixture.ts';
import { describeFailures } from '../cluster/load.ts';
import { withCliServices } from '../support/cli.ts';
import { sentinelClusterEnv, sentinelEnv, startRedisHa, type RedisHa } from '../support/redis-ha.ts';
import { privateRedisAvailable, redisSentinelAvailable } from '../support/redis-server.ts';
import { DispatchLoad, mailsBySubject, Probe, sleep, table } from './support.ts';

const [haproxy, server, sentinel] = [await balancerInstalled('haproxy'), await privateRedisAvailable(), await redisSentinelAvailable()];

/** The guides' promise with their Sentinel settings (down-after 5000 ms): requests succeed again within 10 s. */
const RECOVERY_BUDGET_MS = 10_000;
/** After the last expected job appeared: long enough for a repeated delivery (lock 4 s + stalled check 2 s) to show. */
const QUEUE_SETTLE_MS = 7_000;

export interface Round {
  /** From the kill to the first signed-in request that succeeded after the last failure of anything. */
  readonly recoveryMs: number;
  /** From the kill until the Sentinels named the promoted replica. */
  readonly switchMs: number;
  readonly httpFailures: number;
  /** 500s (and other 5xx but 502-504): bugs, where a failover should answer 503. */
  readonly serverErrors: number;
  readonly dispatchFailures: number;
  readonly acknowledged: number;
  readonly once: number;
  /** Acknowledged, never processed, and absent from the promoted primary: what asynchronous replication lost. */
  readonly lost: { n: number; reason: string }[];
  /** Processed twice: the first run's completion never reached the promoted primary, so the job was delivered again. */
  readonly twice: { n: number; reason: string }[];
  /** Acknowledged and neither processed once nor explained: always a failure. */
  readonly unexplained: string[];
}

/**
 * The guides' Phase 4 Redis (deploy/redis/*.conf: a primary, a replica, three Sentinels) under
 * a 2-web-node, 1-worker `marg cluster` on Sentinel (REDIS_SENTINELS), with steady signed-in
 * requests through HAProxy and steady job dispatch (mail.send, the log mailer writes one file
 * per run); then the primary is SIGKILLed. One failover per test file: a file has 120 s.
 * `env` is the dispatcher's (QUEUE_REDIS_WAIT_REPLICAS acts where jobs are dispatched).
 */
export function describeSentinelFailover(title: string, tag: string, env: Record<string, string>, check: (round: Round) => void, replicas = 1): void {
  describe('Redis Sentinel failover under load (SIGKILL of the primary)', { skip: haproxy.skipReason ?? server.skipReason ?? sentinel.skipReason }, () => {
    let ha: RedisHa | undefined;
    // The log mailer writes one file per mail.send run: what the round counts.
    const cluster = new ClusterFixture(false, sentinelClusterEnv('ha_', { MAIL_MAILER: 'log' }));

    before(async () => {
      ha = await startRedisHa({ replicas });
      Object.assign(cluster.env, sentinelEnv(ha));
      await cluster.up(['--web', '2', '--workers', '1', '--schedulers', '0']);
      await cluster.signIn();
    });

    after(async () => {
      await cluster.cleanup();
      await ha?.stop();
    });

    it(title, { timeout: 100_000 }, async (t) => {
      const round = await failover(t);
      assert.ok(round.recoveryMs <= RECOVERY_BUDGET_MS, `requests and dispatches succeed again within ${RECOVERY_BUDGET_MS} ms of the kill (took ${round.recoveryMs} ms)`);
      assert.deepEqual(round.unexplained, [], 'every acknowledged dispatch was processed exactly once, or its loss or repeat is explained');
      assert.equal(round.serverErrors, 0, 'a failover answers 503 (retry), never 500');
      assert.ok(round.acknowledged > 50, `the job load ran (${round.acknowledged} acknowledged)`);
      assert.equal(round.once + round.lost.length + round.twice.length, round.acknowledged);
      check(round);
      // The session written at sign-in was replicated long before the kill: still signed in, on both nodes.
      for (let i = 0; i < 4; i++) {
        const me = await cluster.browser!.get('flow', '/api/me');
        assert.equal(me.status, 200, me.text);
        assert.match(String(me.json().email), /^cluster-/);
      }
    });

    /** Load, SIGKILL the primary, measure, and account for every acknowledged dispatch. */
    function failover(t: TestContext): Promise<Round> {
      return withCliServices(cluster.cwd, { ...cluster.env, ...env }, async (services) => {
        const load = cluster.load({ rate: 100, connections: 4 });
        const probe = new Probe(cluster.port, `flow.${DOMAIN}`, '/api/me', cluster.cookie);
        const jobs = new DispatchLoad(services, tag);
        await sleep(2_000);
        assert.equal(await ha!.primaryPort(), ha!.primary.port, 'the Sentinels name the primary we started');
        assert.equal(jobs.failuresSince(0).length, 0, `dispatch works before the kill: ${JSON.stringify(jobs.failuresSince(0)[0])}`);

        const killAt = Date.now();
        await ha!.primary.kill();
        while ((await ha!.primaryPort()) === ha!.primary.port) {
          assert.ok(Date.now() - killAt < 30_000, 'the Sentinels promoted the replica within 30 s');
          await sleep(100);
        }
        const switchMs = Date.now() - killAt;
        // The load stays on until requests and dispatches have succeeded for 3 s in a row (at most 25 s after the kill).
        while (Date.now() - killAt < 25_000) {
          const since = Date.now() - 3_000;
          if (since > killAt + switchMs && probe.failuresSince(since).length === 0 && jobs.failuresSince(since).length === 0) break;
          await sleep(250);
        }
        await jobs.stop();
        await probe.stop();
        const report = await load.stop();
        const httpFailures = report.failures.filter((f) => f.at >= killAt);
        const lastFailure = Math.max(killAt, ...probe.failuresSince(killAt).map((f) => f.at), ...jobs.failuresSince(killAt).map((f) => f.at), ...httpFailures.map((f) => f.at));
        const recoveredAt = probe.results.find((r) => r.ok && r.at > lastFailure)?.at;
        assert.ok(recoveredAt, 'a probe succeeded after the last failure');
        const recoveryMs = lastFailure === killAt ? 0 : recoveredAt - killAt;

        // The worker works through what was acknowledged (a job delivered again after its lock expired takes a few seconds more).
        const acknowledged = jobs.acknowledged;
        const dir = services.config.mail.directory;
        const deadline = Date.now() + 30_000;
        while (Date.now() < deadline && !acknowledged.every((d) => mailsBySubject(dir, tag).has(d.n))) await sleep(250);
        await sleep(QUEUE_SETTLE_MS);
        const counts = mailsBySubject(dir, tag);

        const primary = ha!.client(await ha!.primaryPort());
        const lost: Round['lost'] = [];
        const twice: Round['twice'] = [];
        const unexplained: string[] = [];
        try {
          for (const d of acknowledged) {
            const runs = counts.get(d.n) ?? [];
            const seen = runs.length;
            if (seen === 1) continue;
            const key = `${bullPrefix(services.config.redis)}:default:${d.id!.slice('default:'.length)}`;
            if (seen === 0) {
              if ((await primary.exists(key)) === 0) lost.push({ n: d.n, reason: `acknowledged ${d.at - killAt} ms after the kill by the old primary and never replicated: not on the promoted primary` });
              else unexplained.push(`${tag}-${d.n} (${d.id}) is on the promoted primary but was never processed`);
            } else {
              // At least once: a run that ended while no primary was reachable could not record its completion, so the job came back.
              const first = Math.round(runs[0]! - killAt);
              if (seen === 2 && first > -1_000 && first < switchMs + 1_000) twice.push({ n: d.n, reason: `its first run ended ${first} ms after the kill, before the replica was promoted: the completion was not recorded, so it was delivered again` });
              else unexplained.push(`${tag}-${d.n} processed ${seen} times, first ${first} ms after the kill`);
            }
          }
        } finally {
          primary.disconnect();
        }
        const round: Round = {
          recoveryMs,
          switchMs,
          httpFailures: httpFailures.length + probe.failuresSince(killAt).length,
          serverErrors: Object.entries(report.byStatus).filter(([status]) => status.startsWith('5') && !['502', '503', '504'].includes(status)).reduce((sum, [, n]) => sum + n, 0) + probe.failuresSince(killAt).filter((f) => f.what === '500').length,
          dispatchFailures: jobs.failuresSince(killAt).length,
          acknowledged: acknowledged.length,
          once: acknowledged.filter((d) => counts.get(d.n)?.length === 1).length,
          lost,
          twice,
          unexplained,
        };
        t.diagnostic(
          `\n${table([
            ['failover', 'sentinel switch', 'requests ok again', 'failed requests', 'failed dispatches', 'acknowledged', 'exactly once', 'lost', 'twice'],
            [tag, `${switchMs} ms`, `${recoveryMs} ms`, String(round.httpFailures), String(round.dispatchFailures), String(round.acknowledged), String(round.once), String(lost.length), String(twice.length)],
          ])}\nHTTP load: ${JSON.stringify(report.byStatus)}; failures after the kill: ${describeFailures({ failures: httpFailures })}` +
            `\nfirst failed dispatch: ${jobs.failuresSince(killAt)[0]?.error ?? 'none'}` +
            [...lost, ...twice].map((x) => `\n  ${tag}-${x.n}: ${x.reason}`).join(''),
        );
        return round;
      });
    }
  });
}
