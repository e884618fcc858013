// Web budgets of DESIGN §6, measured against a bare Fastify baseline in the same run.
// Run: `npm run bench` (or `node --import tsx bench/http.ts`). Results: bench/RESULTS.md.
//
// Every server is its own process pinned to core 1 (`taskset -c 1`); this process, the
// load generator, pins itself to core 0. Load goes to 127.0.0.1 only, in bounded passes.
// The machine may be shared, so the passes are interleaved in rounds (bare Fastify, then
// each Marg request, again and again) and each is reported as best and median of the rounds.
// Options (environment): BENCH_SECONDS (10 per pass), BENCH_ROUNDS (3), BENCH_CONNECTIONS (10),
// BENCH_BOOTS (3), BENCH_ONLY=embedded|servers|telemetry, BENCH_LOG_LEVEL (info, the production default).
import { cpus } from 'node:os';
import { fileURLToPath } from 'node:url';
import { maxPass, pacedPass, type LoadSettings, type PacedResult, type PassResult, type Target } from './load.ts';
import { clickCount, createTargets, host, type MargTargets } from './marg-data.ts';
import { createMargFixture, type Drivers, type MargFixture } from './marg-fixture.ts';
import { freePort, pinSelf, PinnedProcess, stopAll } from './pinned-process.ts';
import { median, report, type BaselineRun, type MargRun } from './report.ts';
import { recordCapacity, recordWebCapacity } from './capacity.ts';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const settings: LoadSettings = {
  seconds: Number(process.env.BENCH_SECONDS ?? 10),
  warmupSeconds: 3,
  connections: Number(process.env.BENCH_CONNECTIONS ?? 10),
};
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);
const BOOTS = Number(process.env.BENCH_BOOTS ?? 3);
const fixtures = new Set<MargFixture>();

function log(message: string): void {
  process.stderr.write(`[bench ${new Date().toISOString().slice(11, 19)}] ${message}\n`);
}

interface Subject {
  readonly name: string;
  readonly server: PinnedProcess;
  readonly target: Target;
  readonly results: PassResult[];
}

interface RunningMarg {
  readonly drivers: Drivers;
  readonly fixture: MargFixture;
  readonly server: PinnedProcess;
  readonly port: number;
  readonly targets: MargTargets;
  readonly bootMs: number[];
  readonly rssAfterBootMb: number;
  readonly json: Subject;
  readonly redirect: Subject;
  readonly head: Subject;
}

async function startBaseline(): Promise<{ server: PinnedProcess; bootMs: number; subject: Subject }> {
  const port = await freePort();
  const { process: server, bootMs } = await PinnedProcess.start('bare Fastify', port, ['--import', 'tsx', 'bench/bare-fastify.ts'], { PATH: process.env.PATH, PORT: String(port) }, ROOT);
  const target: Target = { label: 'bare Fastify GET /', port, method: 'GET', path: '/', headers: { host: `localhost:${port}` }, status: 200 };
  return { server, bootMs, subject: { name: 'bare Fastify', server, target, results: [] } };
}

/** bench/telemetry-fastify.ts with and without the telemetry recorder (the ops app's per-request cost). */
async function startTelemetryPair(): Promise<Subject[]> {
  const subjects: Subject[] = [];
  for (const [name, flag] of [['Fastify + hook', '0'], ['Fastify + hook + telemetry', '1']] as const) {
    const port = await freePort();
    const { process: server } = await PinnedProcess.start(name, port, ['--import', 'tsx', 'bench/telemetry-fastify.ts'], { PATH: process.env.PATH, PORT: String(port), BENCH_TELEMETRY: flag }, ROOT);
    subjects.push({ name, server, target: { label: name, port, method: 'GET', path: '/', headers: { host: `localhost:${port}` }, status: 200 }, results: [] });
  }
  return subjects;
}

/** `marg serve` (the web role alone, as deployed), booted BOOTS times to time it; the last one stays up. */
async function startMarg(drivers: Drivers): Promise<RunningMarg> {
  const port = await freePort();
  const fixture = await createMargFixture(drivers, port);
  fixtures.add(fixture);
  const bootMs: number[] = [];
  let server: PinnedProcess | undefined;
  for (let i = 1; i <= BOOTS; i++) {
    await server?.stop();
    const started = await PinnedProcess.start(`marg serve (${drivers})`, port, ['bin/marg.js', 'serve'], fixture.env, ROOT);
    server = started.process;
    bootMs.push(started.bootMs);
  }
  if (!server) throw new Error('BENCH_BOOTS must be at least 1');
  log(`${drivers}: booted in ${bootMs.map((b) => b.toFixed(0)).join(', ')} ms`);
  const rssAfterBootMb = server.memory().rssMb;
  const targets = await createTargets(port);
  const subject = (name: string, target: Omit<Target, 'port' | 'label'>): Subject => ({ name, server: server!, target: { ...target, port, label: name }, results: [] });
  return {
    drivers,
    fixture,
    server,
    port,
    targets,
    bootMs,
    rssAfterBootMb,
    json: subject(`${drivers} GET flow /api/tasks/:id`, {
      method: 'GET',
      path: `/api/tasks/${targets.taskId}`,
      headers: { host: host('flow', port), cookie: targets.cookie, accept: 'application/json' },
      status: 200,
    }),
    // A visitor without a session, as a short link is followed.
    redirect: subject(`${drivers} GET links /<slug>`, { method: 'GET', path: `/${targets.slug}`, headers: { host: host('links', port) }, status: 302 }),
    head: subject(`${drivers} HEAD links /<slug>`, { method: 'HEAD', path: `/${targets.slug}`, headers: { host: host('links', port) }, status: 302 }),
  };
}

const best = (results: readonly PassResult[]) => Math.max(...results.map((r) => r.requestsPerSecond));

async function main(): Promise<void> {
  if (cpus().length < 2) throw new Error('needs 2 cores: servers on core 1, load generator on core 0');
  pinSelf();
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.once(signal, () => {
      log(`${signal}: stopping servers and removing test data`);
      void cleanUp().finally(() => process.exit(130));
    });
  }
  const only = process.env.BENCH_ONLY as Drivers | 'telemetry' | undefined;
  log(`${ROUNDS} rounds of ${settings.seconds} s passes, ${settings.connections} connections; node ${process.version}`);

  const baseline = await startBaseline();
  const margs: RunningMarg[] = [];
  for (const drivers of ['embedded', 'servers'] as const) if (!only || only === drivers) margs.push(await startMarg(drivers));
  const telemetryPair = !only || only === 'telemetry' ? await startTelemetryPair() : [];
  const subjects = [baseline.subject, ...margs.flatMap((m) => [m.json, m.redirect, m.head]), ...telemetryPair];

  for (const subject of subjects) await maxPass(subject.target, subject.server, { ...settings, seconds: settings.warmupSeconds, warmupSeconds: 0 });
  const clicksBefore = await Promise.all(margs.map((m) => clickCount(m.port, m.targets)));
  for (let round = 1; round <= ROUNDS; round++) {
    for (const subject of subjects) {
      const result = await maxPass(subject.target, subject.server, { ...settings, warmupSeconds: 0 });
      subject.results.push(result);
      log(`round ${round}: ${subject.name}: ${Math.round(result.requestsPerSecond)} req/s (server CPU ${(result.serverCpu * 100).toFixed(0)}%)`);
    }
  }
  const clicksCounted = await Promise.all(margs.map(async (m, i) => (await clickCount(m.port, m.targets)) - clicksBefore[i]!));

  // p99 at half of each Marg's best rate, with bare Fastify paced at the same rate as the control:
  // what the machine itself adds to the tail at that rate.
  const paced = new Map<RunningMarg, { marg: PacedResult[]; control: PacedResult[] }>();
  for (const marg of margs) {
    const rate = Math.max(1, Math.floor(best(marg.json.results) / 2));
    const runs = { marg: [] as PacedResult[], control: [] as PacedResult[] };
    for (let round = 1; round <= ROUNDS; round++) {
      runs.marg.push(await pacedPass(marg.json.target, marg.server, settings, rate));
      runs.control.push(await pacedPass(baseline.subject.target, baseline.server, settings, rate));
      log(`round ${round}: paced at ${rate} req/s: p99 ${marg.drivers} ${runs.marg.at(-1)!.p99Ms.toFixed(2)} ms, bare Fastify ${runs.control.at(-1)!.p99Ms.toFixed(2)} ms`);
    }
    paced.set(marg, runs);
  }

  const baselineRun: BaselineRun = { passes: baseline.subject.results, bootMs: baseline.bootMs, rssMb: baseline.server.memory().rssMb };
  const runs: MargRun[] = margs.map((m, i) => {
    const memory = m.server.memory();
    return {
      describe: m.fixture.describe,
      drivers: m.drivers,
      bootMs: m.bootMs,
      json: m.json.results,
      jsonHalf: paced.get(m)!.marg,
      control: paced.get(m)!.control,
      redirect: m.redirect.results,
      redirectHead: m.head.results,
      clicksCounted: clicksCounted[i]!,
      rssAfterBootMb: m.rssAfterBootMb,
      rssMb: memory.rssMb,
      peakRssMb: memory.peakRssMb,
    };
  });
  process.stdout.write(report(baselineRun, runs, { ...settings, rounds: ROUNDS }));
  if (telemetryPair.length === 2) {
    // Requests per server CPU-second too: on a shared machine the server rarely gets its whole core.
    const [without, withIt] = telemetryPair.map((s) => ({ best: best(s.results), perCpu: median(s.results.map((r) => r.requestsPerSecond / Math.max(r.serverCpu, 1e-6))) }));
    process.stdout.write(
      `\nTelemetry recorder (ops app), bare Fastify + one hook, with it vs without: best ${Math.round(withIt!.best)} vs ${Math.round(without!.best)} req/s (${((100 * withIt!.best) / without!.best).toFixed(1)}%); ` +
        `median ${Math.round(withIt!.perCpu)} vs ${Math.round(without!.perCpu)} req per server CPU-s (${((100 * withIt!.perCpu) / without!.perCpu).toFixed(1)}%). Budget: ≥ 97%.\n`,
    );
  }
  recordCapacity(log, () => recordWebCapacity(runs, 'npm run bench'));
}

async function cleanUp(): Promise<void> {
  await stopAll();
  const results = await Promise.allSettled([...fixtures].map((f) => f.teardown()));
  fixtures.clear();
  for (const r of results) if (r.status === 'rejected') log(String(r.reason));
}

main()
  .finally(cleanUp)
  .catch((error: unknown) => {
    process.stderr.write(`bench failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
    process.exitCode = 1;
  });
