/**
 * Realtime budgets (DESIGN §6): N open sockets on one node (default 10,000), broadcasts at a
 * fixed rate to channels of several sizes (p50/p99 delivery latency), then a burst to the
 * channel every socket is on (fan-out messages/s), and the server's RSS; the same run against a
 * bare `ws` broadcast loop (bench/realtime-server.ts). Clients are raw `ws` sockets speaking the
 * Pusher protocol, in this process; each server runs in its own. Progress on stderr, results on stdout.
 *
 *   npm run bench:realtime      # raises the soft file limit to the hard one first (package.json)
 *   BENCH_CONNECTIONS=2000 BENCH_SECONDS=5 npm run bench:realtime
 */
import { execFileSync, fork, type ChildProcess } from 'node:child_process';
import { cpus, loadavg } from 'node:os';
import { resolve } from 'node:path';
import WebSocket from 'ws';
import { recordCapacity, recordRealtimeCapacity } from './capacity.ts';
/** The app key bench/realtime-server.ts serves (its BENCH_APP). */
const BENCH_APP = { key: 'bench-key' };

const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS ?? 10_000);
const SECONDS = Number(process.env.BENCH_SECONDS ?? 10);
const BURST = Number(process.env.BENCH_BURST ?? 20);
/** Channel sizes: every socket is on `all`, one of ten 1/10 groups and one of a hundred 1/100 groups. */
const RATE_PLAN = [
  { channel: 'all', perSecond: 2 },
  { channel: 'tenth-0', perSecond: 10 },
  { channel: 'hundredth-0', perSecond: 20 },
];
const log = (line: string) => process.stderr.write(`${line}\n`);

interface Run {
  readonly kind: string;
  readonly connected: number;
  readonly p50: number;
  readonly p99: number;
  readonly rateDelivered: number;
  readonly rateExpected: number;
  readonly burstPerSecond: number;
  readonly rssMb: number;
}

function limits(): string {
  try {
    return execFileSync('sh', ['-c', 'echo "soft $(ulimit -Sn), hard $(ulimit -Hn)"'], { encoding: 'utf8' }).trim();
  } catch {
    return 'unknown';
  }
}

function startServer(kind: 'marg' | 'bare'): Promise<{ child: ChildProcess; port: number; ask(command: object, answer: string): Promise<Record<string, number>> }> {
  const child = fork(resolve(import.meta.dirname, 'realtime-server.ts'), [kind], { execArgv: ['--import', 'tsx'], stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  const ask = (command: object, answer: string) =>
    new Promise<Record<string, number>>((done) => {
      const on = (message: { type: string }) => {
        if (message.type !== answer) return;
        child.off('message', on);
        done(message as unknown as Record<string, number>);
      };
      child.on('message', on);
      child.send(command);
    });
  return new Promise((ready, fail) => {
    child.once('error', fail);
    child.once('message', (m: { type: string; port: number }) => ready({ child, port: m.port, ask }));
  });
}

async function measure(kind: 'marg' | 'bare'): Promise<Run> {
  log(`${kind}: starting the server, opening ${CONNECTIONS} sockets`);
  const server = await startServer(kind);
  const sockets: WebSocket[] = [];
  let subscribed = 0;
  let recording = false;
  let latencies = new Float64Array(1 << 20);
  let count = 0;
  let received = 0;
  const T = /\\"t\\":(\d+)/;
  const open = (i: number) =>
    new Promise<void>((done, fail) => {
      const ws = new WebSocket(`ws://127.0.0.1:${server.port}/app/${BENCH_APP.key}?protocol=7`, { perMessageDeflate: false });
      sockets.push(ws);
      ws.on('error', fail);
      ws.on('message', (raw) => {
        const text = String(raw);
        if (text.includes('"event":"tick"')) {
          received += 1;
          if (!recording) return;
          if (count === latencies.length) {
            const bigger = new Float64Array(latencies.length * 2);
            bigger.set(latencies);
            latencies = bigger;
          }
          latencies[count++] = Date.now() - Number(T.exec(text)?.[1] ?? Date.now());
        } else if (text.includes('subscription_succeeded')) subscribed += 1;
        else if (text.includes('connection_established')) {
          for (const channel of ['all', `tenth-${i % 10}`, `hundredth-${i % 100}`]) ws.send(JSON.stringify({ event: 'pusher:subscribe', data: { channel } }));
          done();
        }
      });
    });
  for (let i = 0; i < CONNECTIONS; i += 250) {
    await Promise.all(Array.from({ length: Math.min(250, CONNECTIONS - i) }, (_, k) => open(i + k)));
    if ((i / 250) % 8 === 0) log(`${kind}: ${sockets.length} open`);
  }
  const deadline = Date.now() + 60_000;
  while (subscribed < CONNECTIONS * 3 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
  log(`${kind}: ${sockets.length} sockets, ${subscribed} subscriptions; ${SECONDS} s at a fixed rate`);

  const expectedPerSecond = RATE_PLAN.reduce((sum, p) => sum + p.perSecond * (p.channel === 'all' ? CONNECTIONS : p.channel.startsWith('tenth') ? Math.ceil(CONNECTIONS / 10) : Math.ceil(CONNECTIONS / 100)), 0);
  recording = true;
  received = 0;
  await server.ask({ type: 'rate', plan: RATE_PLAN, seconds: SECONDS }, 'done');
  await new Promise((r) => setTimeout(r, 1000));
  recording = false;
  const rateDelivered = received;
  const sorted = latencies.subarray(0, count).sort();
  const pct = (p: number) => (count === 0 ? NaN : sorted[Math.min(count - 1, Math.floor(p * count))]!);

  log(`${kind}: burst of ${BURST} events to all ${CONNECTIONS} sockets`);
  received = 0;
  const started = Date.now();
  await server.ask({ type: 'burst', channel: 'all', events: BURST }, 'done');
  const want = BURST * CONNECTIONS;
  while (received < want && Date.now() - started < 120_000) await new Promise((r) => setTimeout(r, 5));
  const burstPerSecond = received / ((Date.now() - started) / 1000);
  const { rss } = await server.ask({ type: 'rss' }, 'rss');
  for (const ws of sockets) ws.terminate();
  server.child.kill();
  return { kind, connected: sockets.length, p50: pct(0.5), p99: pct(0.99), rateDelivered, rateExpected: expectedPerSecond * SECONDS, burstPerSecond, rssMb: rss! / 1048576 };
}

const runs: Run[] = [];
log(`file descriptors: ${limits()}`);
for (const kind of ['bare', 'marg'] as const) runs.push(await measure(kind));
const [bare, marg] = runs as [Run, Run];
const lines = [
  `Realtime benchmark: ${CONNECTIONS} sockets on one node, ${cpus().length} cores (${cpus()[0]?.model ?? '?'}), load average ${loadavg().map((l) => l.toFixed(1)).join(' ')}, file descriptors ${limits()}`,
  `Fixed rate ${SECONDS} s: ${RATE_PLAN.map((p) => `${p.channel} ${p.perSecond}/s`).join(', ')} (channels of ${CONNECTIONS}, ${Math.ceil(CONNECTIONS / 10)}, ${Math.ceil(CONNECTIONS / 100)} sockets); burst: ${BURST} events to all.`,
  '',
  '| server | sockets | p50 ms | p99 ms | delivered at fixed rate | burst fan-out msg/s | server RSS MB |',
  '|---|---|---|---|---|---|---|',
  ...runs.map((r) => `| ${r.kind} | ${r.connected} | ${r.p50.toFixed(1)} | ${r.p99.toFixed(1)} | ${r.rateDelivered}/${r.rateExpected} | ${Math.round(r.burstPerSecond)} | ${r.rssMb.toFixed(0)} |`),
  '',
  `Marg fan-out: ${((marg.burstPerSecond / bare.burstPerSecond) * 100).toFixed(0)}% of bare ws (budget ≥ 70%); p99 ${marg.p99.toFixed(1)} ms (budget ≤ 100 ms).`,
];
process.stdout.write(`${lines.join('\n')}\n`);
recordCapacity(log, () => recordRealtimeCapacity(marg, 'npm run bench:realtime'));
process.exit(0);
