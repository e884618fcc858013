// Issue 19's "every core used": signed-in JSON throughput of `marg serve` with WEB_CONCURRENCY=2
// against WEB_CONCURRENCY=1, both free to run on every core, in the same run.
// Run: `npm run bench:cores`. Results: bench/RESULTS.md.
//
// Embedded drivers, so no database or Redis server takes CPU from the web processes. The load
// generator (this process) is not pinned either: on a 2-core machine it shares the cores with the
// web processes, so the report gives its CPU share next to the ratio. Rounds alternate 1 and 2.
// Options (environment): BENCH_SECONDS (10 per pass), BENCH_ROUNDS (3), BENCH_CONNECTIONS (20),
// BENCH_DRIVERS=embedded|servers (embedded; servers: Redis + MariaDB, which take CPU on this machine too).
import { cpus, loadavg } from 'node:os';
import { fileURLToPath } from 'node:url';
import { maxPass, type LoadSettings, type PassResult, type Target } from './load.ts';
import { createTargets, host } from './marg-data.ts';
import { createMargFixture, type Drivers, type MargFixture } from './marg-fixture.ts';
import { freePort, PinnedProcess, stopAll } from './pinned-process.ts';
import { median } from './report.ts';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const settings: LoadSettings = { seconds: Number(process.env.BENCH_SECONDS ?? 10), warmupSeconds: 3, connections: Number(process.env.BENCH_CONNECTIONS ?? 20) };
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);
const DRIVERS: Drivers = process.env.BENCH_DRIVERS === 'servers' ? 'servers' : 'embedded';
const ALL_CORES = cpus()
  .map((_, i) => i)
  .join(',');

const log = (line: string) => process.stderr.write(`[bench:cores ${new Date().toISOString().slice(11, 19)}] ${line}\n`);

interface Subject {
  readonly processes: number;
  readonly server: PinnedProcess;
  readonly target: Target;
  readonly results: PassResult[];
}

async function start(fixture: MargFixture, port: number, processes: number): Promise<Subject> {
  const { process: server } = await PinnedProcess.start(`marg serve (WEB_CONCURRENCY=${processes})`, port, ['bin/marg.js', 'serve'], { ...fixture.env, WEB_CONCURRENCY: String(processes), ...(process.env.BENCH_RATE_LIMIT_STORE ? { RATE_LIMIT_STORE: process.env.BENCH_RATE_LIMIT_STORE } : {}) }, ROOT, ALL_CORES);
  const targets = await createTargets(port);
  const target: Target = {
    label: `GET flow /api/tasks/:id, WEB_CONCURRENCY=${processes}`,
    port,
    method: 'GET',
    path: `/api/tasks/${targets.taskId}`,
    headers: { host: host('flow', port), cookie: targets.cookie, accept: 'application/json' },
    status: 200,
  };
  return { processes, server, target, results: [] };
}

async function main(): Promise<void> {
  if (cpus().length < 2) throw new Error('needs at least 2 cores');
  const fixtures: MargFixture[] = [];
  try {
    const subjects: Subject[] = [];
    for (const processes of [1, 2]) {
      const port = await freePort();
      const fixture = await createMargFixture(DRIVERS, port);
      fixtures.push(fixture);
      subjects.push(await start(fixture, port, processes));
    }
    for (const s of subjects) await maxPass(s.target, s.server, { ...settings, seconds: settings.warmupSeconds, warmupSeconds: 0 });
    for (let round = 1; round <= ROUNDS; round++) {
      for (const s of subjects) {
        const result = await maxPass(s.target, s.server, { ...settings, warmupSeconds: 0 });
        s.results.push(result);
        log(`round ${round}: WEB_CONCURRENCY=${s.processes}: ${Math.round(result.requestsPerSecond)} req/s, web processes ${(result.serverCpu * 100).toFixed(0)}% of a core, load generator ${(result.loadCpu * 100).toFixed(0)}%`);
      }
    }
    const [one, two] = subjects.map((s) => ({
      rps: median(s.results.map((r) => r.requestsPerSecond)),
      serverCpu: median(s.results.map((r) => r.serverCpu)),
      loadCpu: median(s.results.map((r) => r.loadCpu)),
    })) as [{ rps: number; serverCpu: number; loadCpu: number }, { rps: number; serverCpu: number; loadCpu: number }];
    const row = (n: number, r: typeof one) => `| ${n} | ${Math.round(r.rps).toLocaleString('en')} | ${(r.serverCpu * 100).toFixed(0)}% | ${(r.loadCpu * 100).toFixed(0)}% |`;
    process.stdout.write(
      [
        `Signed-in JSON (GET flow /api/tasks/:id, ${DRIVERS} drivers), ${cpus().length} cores (${cpus()[0]?.model ?? '?'}), node ${process.version}; medians of ${ROUNDS} rounds of ${settings.seconds} s, ${settings.connections} connections; load average ${loadavg().map((l) => l.toFixed(1)).join(' ')}.`,
        '',
        '| WEB_CONCURRENCY | req/s | web processes (CPU, % of one core) | load generator (CPU, % of one core) |',
        '|---:|---:|---:|---:|',
        row(1, one),
        row(2, two),
        '',
        `WEB_CONCURRENCY=2 serves ${(two.rps / one.rps).toFixed(2)}× the requests of 1 (budget ≥ 1.7× on two cores). The load generator runs on the same cores: with 2 web processes it took ${(two.loadCpu * 100).toFixed(0)}% of a core.`,
        '',
      ].join('\n'),
    );
  } finally {
    await stopAll();
    for (const f of fixtures) await f.teardown().catch((error: unknown) => log(String(error)));
  }
}

main().catch((error: unknown) => {
  process.stderr.write(`bench:cores failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  process.exitCode = 1;
});
