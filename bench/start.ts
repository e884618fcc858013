// Start-up costs (issue 19): boot to ready of `marg serve` compiled (dist/) and from the
// TypeScript sources (tsx), and `marg --help`, each against a bare Node baseline measured in the
// same run on the same pinned core (`node -e 0`; a bare node:http server for the boot).
// Run: `npm run bench:start` (= node --import tsx bench/start.ts). Results: bench/RESULTS.md.
// BENCH_BOOTS (5): rounds; each round measures every subject once, so load drifts hit them alike.
// BENCH_COMPARE=<another checkout, built>: its compiled `marg serve` joins every round (a before/after
// on the same load, e.g. `git worktree add /tmp/before <commit> && (cd /tmp/before && npm ci)`).
import { spawnSync } from 'node:child_process';
import { loadavg } from 'node:os';
import { fileURLToPath } from 'node:url';
// @ts-expect-error: plain JavaScript without types (bin/ runs before any TypeScript loader).
import { codeLocation } from '../bin/code-location.js';
import { createMargFixture } from './marg-fixture.ts';
import { freePort, pinSelf, PinnedProcess, SERVER_CORE, stopAll } from './pinned-process.ts';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const ROUNDS = Number(process.env.BENCH_BOOTS) || 5;
const COMPARE = process.env.BENCH_COMPARE;
const log = (line: string) => process.stderr.write(`${line}\n`);

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2;
};

/** Wall time of `node <args>` on SERVER_CORE, to its exit. */
function timed(args: string[], env: NodeJS.ProcessEnv = { PATH: process.env.PATH }): number {
  const started = performance.now();
  const result = spawnSync('taskset', ['-c', String(SERVER_CORE), process.execPath, ...args], { cwd: ROOT, env, stdio: ['ignore', 'ignore', 'pipe'] });
  const ms = performance.now() - started;
  if (result.status !== 0) throw new Error(`node ${args.join(' ')} failed: ${result.stderr.toString()}`);
  return ms;
}

/** Spawn → /health/ready 200, and the CPU time (user + system) the process used to get there. */
async function boot(name: string, args: string[], env: NodeJS.ProcessEnv): Promise<{ ms: number; cpuMs: number }> {
  const port = await freePort();
  const { process: server, bootMs } = await PinnedProcess.start(name, port, args, { ...env, PORT: String(port) }, ROOT);
  // CPU time hardly depends on how many other processes wait for the core: a steadier before/after on a loaded machine.
  const cpuMs = server.cpuSeconds() * 1000;
  await server.stop();
  return { ms: bootMs, cpuMs };
}

async function bootMs(name: string, args: string[], env: NodeJS.ProcessEnv): Promise<number> {
  return (await boot(name, args, env)).ms;
}

/** Boots one `marg serve` subject: its wall time into samples[key], its CPU time into samples[`${key}Cpu`]. */
async function serveSample(samples: Record<string, number[]>, key: string, name: string, args: string[], env: NodeJS.ProcessEnv): Promise<void> {
  const { ms, cpuMs } = await boot(name, args, env);
  (samples[key] ??= []).push(ms);
  (samples[`${key}Cpu`] ??= []).push(cpuMs);
}

const BARE_HTTP = "require('node:http').createServer((q, s) => s.end('ok')).listen(Number(process.env.PORT), '127.0.0.1')";

async function main(): Promise<void> {
  pinSelf();
  if ((codeLocation as (root: string) => { from: string })(ROOT).from !== 'dist') {
    log('dist/ is missing or older than the sources: npm run build');
    const built = spawnSync(process.execPath, ['scripts/build.js'], { cwd: ROOT, stdio: 'inherit' });
    if (built.status !== 0) throw new Error('npm run build failed');
  }
  const fixture = await createMargFixture('embedded', await freePort());
  const samples: Record<string, number[]> = { nodeE0: [], helpDist: [], helpSrc: [], bareHttp: [] };
  const load = [loadavg()[0]!];
  try {
    for (let round = 1; round <= ROUNDS; round++) {
      samples.nodeE0!.push(timed(['-e', '0']));
      samples.helpDist!.push(timed(['bin/marg.js', '--help'], { PATH: process.env.PATH, MARG_CODE: 'dist' }));
      samples.helpSrc!.push(timed(['bin/marg.js', '--help'], { PATH: process.env.PATH, MARG_CODE: 'src' }));
      samples.bareHttp!.push(await bootMs('bare node:http', ['-e', BARE_HTTP], { PATH: process.env.PATH }));
      await serveSample(samples, 'serveDist', 'marg serve (dist)', ['bin/marg.js', 'serve'], { ...fixture.env, MARG_CODE: 'dist' });
      await serveSample(samples, 'serveSrc', 'marg serve (src, tsx)', ['bin/marg.js', 'serve'], { ...fixture.env, MARG_CODE: 'src' });
      if (COMPARE) await serveSample(samples, 'serveCompare', 'marg serve (BENCH_COMPARE, dist)', [`${COMPARE}/bin/marg.js`, 'serve'], { ...fixture.env, MARG_CODE: 'dist' });
      log(`round ${round}/${ROUNDS}: ${Object.entries(samples).map(([k, v]) => `${k} ${v.at(-1)!.toFixed(0)}`).join(', ')} ms`);
      load.push(loadavg()[0]!);
    }
  } finally {
    await stopAll();
    await fixture.teardown();
  }
  const m = (k: string) => median(samples[k] ?? []);
  const row = (what: string, ms: number, baseline: number, budget: string) => `| ${what} | ${ms.toFixed(0)} | ${(ms - baseline).toFixed(0)} | ${budget} |`;
  process.stdout.write(
    [
      `Medians of ${ROUNDS} rounds, each process pinned to core ${SERVER_CORE}; load average (1 min) during the run: ${Math.min(...load).toFixed(1)}–${Math.max(...load).toFixed(1)}.`,
      '',
      '| what | median ms | ms above its bare-Node baseline | budget |',
      '|---|---:|---:|---|',
      row('`node -e 0` (baseline)', m('nodeE0'), m('nodeE0'), ''),
      row('`marg --help`, compiled (dist/)', m('helpDist'), m('nodeE0'), '≤ 300 ms'),
      row('`marg --help`, sources through tsx', m('helpSrc'), m('nodeE0'), ''),
      row('bare node:http server, spawn → 200 (baseline)', m('bareHttp'), m('bareHttp'), ''),
      row('`marg serve` embedded, compiled: spawn → /health/ready 200', m('serveDist'), m('bareHttp'), '≤ 1 s'),
      row('`marg serve` embedded, sources through tsx', m('serveSrc'), m('bareHttp'), ''),
      ...(COMPARE ? [row(`\`marg serve\` embedded, compiled, of ${COMPARE} (BENCH_COMPARE)`, m('serveCompare'), m('bareHttp'), '')] : []),
      '',
      '| CPU time (user + system) of `marg serve` at ready | median ms |',
      '|---|---:|',
      `| compiled (dist/) | ${m('serveDistCpu').toFixed(0)} |`,
      `| sources through tsx | ${m('serveSrcCpu').toFixed(0)} |`,
      ...(COMPARE ? [`| compiled, of ${COMPARE} (BENCH_COMPARE) | ${m('serveCompareCpu').toFixed(0)} |`] : []),
      '',
    ].join('\n'),
  );
}

main().catch(async (error: unknown) => {
  await stopAll();
  process.stderr.write(`${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  process.exit(1);
});
