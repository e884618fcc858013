import { createInterface } from 'node:readline/promises';
import { ChaosRefusal, runChaos, type ChaosLimits } from '../../chaos/run.ts';
import { clusterPlan } from '../../chaos/cluster-targets.ts';
import type { ExperimentKind, Plan } from '../../chaos/contract.ts';
import { hookPlan } from '../../chaos/hook-targets.ts';
import type { LoadTarget } from '../../chaos/http-load.ts';
import { chaosTable } from '../../chaos/report.ts';
import { signIn, SignInError } from '../../chaos/sign-in.ts';
import { clusterDir, memberConfig, requireState, ClusterError } from '../../cluster/site.ts';
import type { Config } from '../../config/config.ts';
import { createLogger } from '../../observability/logger.ts';
import { createServices } from '../../platform/services.ts';
import { UsageError, type CliContext } from '../context.ts';


export interface ChaosFlags {
  dir?: string;
  target?: string;
  appHost?: string;
  experiments: ExperimentKind[];
  killCmd: [ExperimentKind, string][];
  email?: string;
  rate: number;
  connections: number;
  maxRequests: number;
  jobsPerSecond: number;
  jobHold: number;
  window: number;
  settle?: number;
  yes?: boolean;
  json?: boolean;
}

/** What `marg chaos` does once its options are parsed (src/cli/commands/chaos.ts registers it). */
export async function runChaosCommand(cli: CliContext, flags: ChaosFlags): Promise<void> {
    const say = (line: string) => process.stderr.write(`${line}\n`);
    const { config, plan, load } = await prepare(cli, flags);
    const credentials = readCredentials(flags.email);

    // With --json, stdout is the report alone: the announcement goes to stderr.
    const announce = (line: string) => (flags.json ? process.stderr : process.stdout).write(`${line}\n`);
    announce(`marg chaos against ${load.url.origin} (${load.host}), at most ${flags.maxRequests} requests at ${flags.rate}/s. It will kill, in this order:`);
    for (const t of plan.targets) announce(`  ${t.kind.padEnd(13)} ${t.label}`);
    for (const s of plan.skipped) announce(`  ${s.kind.padEnd(13)} skipped: ${s.reason}`);
    if (plan.targets.length === 0) throw new UsageError('nothing to kill: every experiment was skipped (see above)');
    await confirm(flags.yes ?? false);

    const headers: Record<string, string> = {};
    if ('token' in credentials) headers.authorization = `Bearer ${credentials.token}`;
    else headers.cookie = await signIn(load, credentials.email, credentials.password).catch((error: unknown) => {
      throw error instanceof SignInError ? new UsageError(error.message) : error;
    });
    const services = await createServices(config, createLogger({ logLevel: 'error' }));
    const tty = Boolean(process.stderr.isTTY);
    const limits: ChaosLimits = {
      rate: flags.rate,
      connections: flags.connections,
      maxRequests: flags.maxRequests,
      jobsPerSecond: flags.jobsPerSecond,
      jobHoldMs: flags.jobHold,
      windowMs: flags.window * 1000,
      settleMs: (flags.settle ?? config.queue.retryAfterMs / 1000 + 20) * 1000,
    };
    try {
      const report = await runChaos({
        plan,
        load,
        headers,
        services,
        limits,
        // On a terminal the live counts redraw one line; elsewhere only the events, as plain lines.
        say: tty ? (line) => process.stderr.write(`\r\x1b[K${line}\n`) : say,
        ...(tty ? { status: (line: string) => process.stderr.write(`\r\x1b[K${line}`) } : {}),
      });
      if (tty) process.stderr.write('\r\x1b[K');
      process.stdout.write(flags.json ? `${JSON.stringify(report, null, 2)}\n` : chaosTable(report));
      if (!report.ok) process.exitCode = 1;
      if (!flags.target && plan.targets.some((t) => t.kind === 'web' || t.kind === 'worker')) say('Killed members stay down: `marg cluster status` shows them; `marg cluster down` and `up` start a full cluster again.');
    } catch (error) {
      if (error instanceof ChaosRefusal) throw new UsageError(error.message);
      throw error;
    } finally {
      await services.close();
    }
}

/** The targets and the load's address: from the cluster's state file, or `--target` and the operator's commands. */
async function prepare(cli: CliContext, flags: ChaosFlags): Promise<{ config: Config; plan: Plan; load: LoadTarget }> {
  const hooks = new Map(flags.killCmd);
  try {
    if (flags.target) {
      let url: URL;
      try {
        url = new URL(flags.target);
      } catch {
        throw new UsageError(`--target must be a URL (https://flow.staging.example.com), got "${flags.target}"`);
      }
      if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new UsageError(`--target must be http or https, got ${url.protocol}`);
      const config = cli.loadConfig();
      checkStores(config);
      if (flags.appHost !== undefined && !/^[A-Za-z0-9.-]+(:\d{1,5})?$/.test(flags.appHost)) throw new UsageError(`--app-host must be a host name (and port), got "${flags.appHost}"`);
      return { config, plan: await hookPlan(config, flags.experiments, hooks), load: { url, host: flags.appHost ?? url.host } };
    }
    if (flags.appHost !== undefined) throw new UsageError('--app-host goes with --target (a marg cluster names its own hosts)');
    const dir = clusterDir(cli.loadConfig(), flags.dir);
    const state = requireState(dir);
    const config = memberConfig(cli.apps, state.cwd, state.env);
    checkStores(config);
    const port = state.balancer.port === 80 ? '' : `:${state.balancer.port}`;
    const plan = await clusterPlan(state, config, flags.experiments, hooks);
    return { config, plan, load: { url: new URL(`http://${state.balancer.host}:${state.balancer.port}`), host: `flow.${config.domain}${port}` } };
  } catch (error) {
    if (error instanceof ClusterError) throw new UsageError(error.message);
    throw error;
  }
}

/** chaos.probe counts its runs in the cache, which `marg chaos` must share with the workers. */
function checkStores(config: Config): void {
  if (config.cache.store === 'memory') throw new UsageError('CACHE_STORE=memory: the workers and `marg chaos` would not share the counts of the chaos jobs (use redis)');
}

function readCredentials(email: string | undefined): { token: string } | { email: string; password: string } {
  const token = process.env.MARG_CHAOS_TOKEN;
  if (token) return { token };
  if (!email) throw new UsageError('the load is signed in: give --email (password in MARG_CHAOS_PASSWORD) or an API token in MARG_CHAOS_TOKEN');
  const password = process.env.MARG_CHAOS_PASSWORD;
  if (!password) throw new UsageError('--email needs the password in MARG_CHAOS_PASSWORD (not on the command line, where `ps` shows it)');
  return { email, password };
}

/** `--yes`, or the word typed on a terminal; anything else refuses before anything is killed. */
async function confirm(yes: boolean): Promise<void> {
  if (yes) return;
  if (!process.stdin.isTTY || !process.stdout.isTTY) throw new UsageError('refusing to kill anything without --yes (not on a terminal, nobody can confirm)');
  const prompt = createInterface({ input: process.stdin, output: process.stdout });
  try {
    const answer = await prompt.question('Type "kill" to go ahead: ');
    if (answer.trim() !== 'kill') throw new UsageError('not confirmed: nothing was killed');
  } finally {
    prompt.close();
  }
}
