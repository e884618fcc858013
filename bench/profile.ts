// Where a Marg request spends its CPU: boots `marg serve` with --cpu-prof (pinned like the
// benchmark), runs one load pass, and summarises only the samples taken during that pass.
// Run: node --import tsx bench/profile.ts <embedded|servers> <json|redirect|head> [seconds]
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { summariseProfile, type Step } from './cpu-profile.ts';
import { maxPass, type Target } from './load.ts';
import { createTargets, host } from './marg-data.ts';
import { createMargFixture, type Drivers } from './marg-fixture.ts';
import { freePort, pinSelf, PinnedProcess, stopAll } from './pinned-process.ts';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const DRIVERS = ['embedded', 'servers'] as const;
const SCENARIOS = ['json', 'redirect', 'head'] as const;
type Scenario = (typeof SCENARIOS)[number];

const monotonicUs = () => Number(process.hrtime.bigint() / 1000n);

const inFile = (path: string, ...names: string[]) => (f: { functionName: string; url: string }) =>
  f.url.includes(path) && (names.length === 0 || names.includes(f.functionName));

/** The steps of a request, first match wins: cross-cutting costs first, then the request's own work. */
const STEPS: Step[] = [
  { name: '(idle: waiting for requests or I/O)', matches: (f) => f.functionName === '(idle)' },
  { name: '(garbage collector)', matches: (f) => f.functionName === '(garbage collector)' },
  { name: 'request logging (pino, redaction, stdout writes)', matches: (f) => /\/node_modules\/(pino|sonic-boom|@pinojs|pino-std-serializers)\//.test(f.url) },
  { name: 'security headers (@fastify/helmet → helmet per request)', matches: (f) => /\/node_modules\/(@fastify\/)?helmet\//.test(f.url) },
  { name: 'session: load (store read + decrypt)', matches: inFile('/src/http/session.ts', 'load') },
  { name: 'session: save/commit', matches: inFile('/src/http/session.ts', 'commit') },
  { name: 'RBAC: principal (cache getMany)', matches: inFile('/src/auth/rbac.ts') },
  { name: 'flow handler: task read (Kysely + driver) + JSON', matches: inFile('/apps/flow/') },
  { name: 'links: click UPDATE', matches: inFile('/apps/links/clicks.ts') },
  // Kysely resumes a query after an await, so its execution often has no app frame above it.
  { name: 'SQL via Kysely after an await (task read / click UPDATE)', matches: (f) => /\/node_modules\/(kysely|better-sqlite3|mysql2)\//.test(f.url) },
  { name: 'links: slug → URL (cache get)', matches: inFile('/apps/links/slug-cache.ts') },
  { name: 'links: redirect handler (rest)', matches: inFile('/apps/links/redirect.ts') },
  { name: 'host routing + CSRF hook', matches: (f) => inFile('/src/http/server.ts')(f) || inFile('/src/http/hosts.ts')(f) || inFile('/src/http/csrf.ts')(f) },
  { name: 'Fastify core (routing, hooks, reply)', matches: (f) => /\/node_modules\/(fastify|find-my-way|avvio|light-my-request|@fastify\/[^/]+)\//.test(f.url) },
  { name: 'Node HTTP + sockets', matches: (f) => /^node:(_http|net|internal\/(stream|http|net))/.test(f.url) },
];

async function main(): Promise<void> {
  const [drivers, scenario, seconds = '10'] = process.argv.slice(2) as [Drivers, Scenario, string?];
  if (!DRIVERS.includes(drivers) || !SCENARIOS.includes(scenario)) throw new Error('usage: bench/profile.ts <embedded|servers> <json|redirect|head> [seconds]');
  pinSelf();
  const port = await freePort();
  const fixture = await createMargFixture(drivers, port);
  const dir = mkdtempSync(join(tmpdir(), 'marg-prof-'));
  try {
    const { process: server } = await PinnedProcess.start('marg serve', port, ['--cpu-prof', `--cpu-prof-dir=${dir}`, 'bin/marg.js', 'serve'], fixture.env, ROOT);
    let window: [number, number];
    let requestsPerSecond: number;
    try {
      const targets = await createTargets(port);
      const target: Target =
        scenario === 'json'
          ? { label: 'json', port, method: 'GET', path: `/api/tasks/${targets.taskId}`, headers: { host: host('flow', port), cookie: targets.cookie }, status: 200 }
          : { label: scenario, port, method: scenario === 'head' ? 'HEAD' : 'GET', path: `/${targets.slug}`, headers: { host: host('links', port) }, status: 302 };
      await maxPass(target, server, { seconds: 3, warmupSeconds: 0, connections: 10 });
      const from = monotonicUs();
      requestsPerSecond = (await maxPass(target, server, { seconds: Number(seconds), warmupSeconds: 0, connections: 10 })).requestsPerSecond;
      window = [from, monotonicUs()];
    } finally {
      await server.stop();
    }
    const file = readdirSync(dir).find((f) => f.endsWith('.cpuprofile'));
    if (!file) throw new Error('the server wrote no profile');
    const summary = summariseProfile(join(dir, file), window[0], window[1], STEPS);
    // Shares of busy time: idle (waiting for the load generator or I/O) depends on the machine, not on Marg.
    const idleMs = summary.areas.find((a) => a.name === '(idle)')?.ms ?? 0;
    const busyMs = summary.sampledMs - idleMs;
    const table = (title: string, rows: readonly { name: string; ms: number }[]) =>
      [`\n${title}`, ...rows.map((r) => `${((r.ms / busyMs) * 100).toFixed(1).padStart(5)}%  ${r.ms.toFixed(0).padStart(6)} ms  ${r.name}`)].join('\n');
    process.stdout.write(
      [
        `${drivers} ${scenario}: ${Math.round(requestsPerSecond)} req/s; ${summary.sampledMs.toFixed(0)} ms sampled, ${idleMs.toFixed(0)} ms idle;` +
          ` ${((busyMs * 1000) / (requestsPerSecond * Number(seconds))).toFixed(0)} µs of busy time per request. Shares are of busy time.`,
        table('By step (first match on the stack wins)', summary.steps.filter((step) => step.name !== STEPS[0]!.name)),
        table('"other": self time by function (← callers)', summary.otherFunctions.slice(0, 12)),
        table('Self time by area', summary.areas),
        table('Inclusive time by area (on the stack)', summary.inclusiveAreas),
        table('Inclusive time by project function (src/, apps/)', summary.inclusiveProjectFunctions),
        table('Self time by function', summary.functions),
        '',
      ].join('\n'),
    );
  } finally {
    await stopAll();
    await fixture.teardown();
    rmSync(dir, { recursive: true, force: true });
  }
}

main().catch(async (error: unknown) => {
  await stopAll();
  process.stderr.write(`profile failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  process.exitCode = 1;
});
