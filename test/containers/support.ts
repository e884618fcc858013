import { execFile } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { HostClient } from '../support/client.ts';

// The container stage (issue 16): real images built and run with podman and podman-compose.
// It takes minutes, so it runs only when asked: MARG_CONTAINER_TESTS=1 (`.ci/run` does).

export const ROOT = resolve(import.meta.dirname, '../..');
export const COMPOSE_DIR = join(ROOT, 'deploy/compose');
const STANDINS = join(ROOT, 'test/deploy/containers/standins.sh');
/** runc + cgroupfs + lowered ulimits: what works on these machines (test/deploy/containers/containers.conf). */
export const CONTAINERS_CONF = join(ROOT, 'test/deploy/containers/containers.conf');

export const enabled = process.env.MARG_CONTAINER_TESTS === '1';
export const skipReason = enabled ? false : 'container stage: set MARG_CONTAINER_TESTS=1 (needs podman, podman-compose, debootstrap; .ci/run does)';
if (!enabled) process.stderr.write(`SKIPPED ${skipReason}\n`);

export interface Run {
  readonly stdout: string;
  readonly stderr: string;
}

/** Runs a command, bounded in time; rejects with its output when it fails. */
export function sh(file: string, args: readonly string[], options: { env?: NodeJS.ProcessEnv; timeoutMs?: number; cwd?: string } = {}): Promise<Run> {
  return new Promise((resolvePromise, reject) => {
    execFile(
      file,
      args,
      { cwd: options.cwd ?? ROOT, env: { ...process.env, CONTAINERS_CONF, ...options.env }, timeout: options.timeoutMs ?? 120_000, maxBuffer: 64 * 1024 * 1024, killSignal: 'SIGKILL' },
      (error, stdout, stderr) => {
        if (error) reject(new Error(`${file} ${args.join(' ')} failed: ${error.message}\n${stdout.slice(-3000)}\n${stderr.slice(-3000)}`));
        else resolvePromise({ stdout, stderr });
      },
    );
  });
}

/** Polls (bounded) until the condition holds; the error names what was awaited. */
export async function waitFor(condition: () => Promise<boolean>, options: { timeoutMs: number; intervalMs: number; what: string | (() => Promise<string>) }): Promise<void> {
  const deadline = Date.now() + options.timeoutMs;
  for (;;) {
    if (await condition().catch(() => false)) return;
    if (Date.now() > deadline) {
      const what = typeof options.what === 'string' ? options.what : await options.what();
      throw new Error(`not within ${options.timeoutMs} ms: ${what}`);
    }
    await new Promise((r) => setTimeout(r, options.intervalMs));
  }
}

export const podman = (args: readonly string[], timeoutMs?: number) => sh('podman', args, { timeoutMs });

/** The stand-in base images (built once per machine, then reused): NODE_IMAGE, SERVICES_IMAGE … */
export async function standins(): Promise<Record<string, string>> {
  const { stdout } = await sh(STANDINS, [], { timeoutMs: 900_000 });
  return Object.fromEntries(stdout.trim().split('\n').map((line) => line.split('=', 2) as [string, string]));
}

/**
 * Builds the Marg image from deploy/docker/Dockerfile on the stand-in Node 24 base.
 * Its `deps` stage (apt, `npm ci --omit=dev`, better-sqlite3 compiled: most of a cold build) is
 * first built alone and tagged with a hash of what it reads, so podman's layer cache serves it
 * on the next run on this machine, as a CI runner's build cache would; the full build then runs
 * every later step. A change to the Dockerfile or the lock file makes a new tag.
 */
export async function buildMargImage(tag: string, nodeImage: string): Promise<void> {
  const dangling = async () => new Set((await podman(['images', '-q', '--no-trunc', '--filter', 'dangling=true'])).stdout.split('\n').filter(Boolean));
  const before = await dangling();
  const build = (args: readonly string[]) =>
    // --network host: `npm ci` and `apt-get` need the registries; docker format keeps the HEALTHCHECK.
    sh('podman', ['build', '--layers', '--format', 'docker', '--network', 'host', '--build-arg', `NODE_IMAGE=${nodeImage}`, '-f', 'deploy/docker/Dockerfile', ...args, '.'], { timeoutMs: 900_000 });
  try {
    const depsTag = `${DEPS_CACHE}:${depsStamp(nodeImage)}`;
    const cached = await podman(['image', 'exists', depsTag]).then(() => true, () => false);
    if (!cached) {
      const started = Date.now();
      await build(['--target', 'deps', '-t', depsTag]);
      process.stderr.write(`container stage: deps stage built and cached as ${depsTag} in ${Math.round((Date.now() - started) / 1000)} s\n`);
      // Older deps caches (before the lock file or the Dockerfile changed) are not kept.
      const old = (await podman(['images', '--format', '{{.Repository}}:{{.Tag}}', DEPS_CACHE])).stdout.split('\n').filter((i) => i && i !== depsTag);
      if (old.length > 0) await podman(['rmi', ...old]).catch(() => undefined);
    }
    const started = Date.now();
    await build(['-t', tag]);
    process.stderr.write(`container stage: image ${tag} built in ${Math.round((Date.now() - started) / 1000)} s (deps stage ${cached ? 'from the cache' : 'just built'})\n`);
  } finally {
    // The build stage is left as an untagged image: remove it (only the ones this build made).
    const made = [...(await dangling())].filter((id) => !before.has(id));
    if (made.length > 0) await podman(['rmi', '-f', ...made]).catch(() => undefined);
  }
}

const DEPS_CACHE = 'localhost/marg-test-deps';
/** What the deps stage reads: the Dockerfile, the manifests and the base image. */
function depsStamp(nodeImage: string): string {
  const hash = createHash('sha256').update(nodeImage);
  for (const file of ['deploy/docker/Dockerfile', 'package.json', 'package-lock.json']) hash.update(readFileSync(join(ROOT, file)));
  return hash.digest('hex').slice(0, 12);
}

export async function freePort(): Promise<number> {
  return new Promise((resolvePromise, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolvePromise(port));
    });
  });
}

/** A folder of secret files as the compose files read them (MARG_SECRETS_DIR), readable by the image's user. */
export function secretsDir(appKey: string): { dir: string; remove: () => void } {
  const dir = mkdtempSync(join(tmpdir(), 'marg-secrets-'));
  writeFileSync(join(dir, 'app_key'), `${appKey}\n`, { mode: 0o644 });
  for (const name of ['db_password', 'db_root_password', 'redis_password', 'grafana_admin_password', 'minio_root_password']) {
    writeFileSync(join(dir, name), `${randomBytes(18).toString('hex')}\n`, { mode: 0o644 });
  }
  return { dir, remove: () => rmSync(dir, { recursive: true, force: true }) };
}

/** One podman-compose project: `up`, `exec`, `down`, and a check that `down` left nothing behind. */
export class ComposeProject {
  constructor(
    readonly name: string,
    readonly files: readonly string[],
    readonly env: NodeJS.ProcessEnv,
  ) {}

  compose(args: readonly string[], timeoutMs = 300_000): Promise<Run> {
    const files = this.files.flatMap((f) => ['-f', join(COMPOSE_DIR, f)]);
    return sh('podman-compose', ['-p', this.name, ...files, ...args], { env: this.env, timeoutMs, cwd: COMPOSE_DIR });
  }

  container(service: string, index = 1): string {
    return `${this.name}_${service}_${index}`;
  }

  /**
   * A one-shot command in a running container, tried up to 3 times: on a machine loaded by
   * parallel work a fresh process can miss MariaDB's 10 s connect timeout (as an operator
   * would, the test runs it again; the roles themselves restart by their restart policy).
   */
  async exec(service: string, args: readonly string[], timeoutMs = 90_000): Promise<Run> {
    for (let attempt = 1; ; attempt++) {
      try {
        return await podman(['exec', this.container(service), ...args], timeoutMs);
      } catch (error) {
        const timedOut = /ETIMEDOUT|cannot reach/.test((error as Error).message);
        if (attempt === 3 && timedOut) throw new Error(`${(error as Error).message}\n${await this.#networkReport(service)}`);
        if (attempt === 3 || !timedOut) throw error;
      }
    }
  }

  /** What the container sees of the servers, for a connect that kept timing out: names, addresses, MariaDB's last words. */
  async #networkReport(service: string): Promise<string> {
    const run = (args: readonly string[]) => podman(args, 30_000).then((r) => (r.stdout + r.stderr).trim(), (e: Error) => e.message.split('\n')[0]!);
    const [names, mariadb] = await Promise.all([
      run(['exec', this.container(service), 'getent', 'ahosts', 'mariadb', 'redis']),
      run(['logs', '--tail', '30', this.container('mariadb')]),
    ]);
    return `${service} resolves:\n${names}\nmariadb's log (last 30 lines):\n${mariadb}`;
  }

  logs(service: string, index = 1): Promise<string> {
    return podman(['logs', this.container(service, index)]).then(
      (r) => r.stdout + r.stderr,
      (e: Error) => e.message,
    );
  }

  /** Containers, networks and volumes podman-compose labelled with this project. */
  async leftovers(): Promise<string[]> {
    const label = `label=io.podman.compose.project=${this.name}`;
    const [containers, volumes, networks] = await Promise.all([
      podman(['ps', '-a', '--filter', label, '--format', '{{.Names}}']),
      podman(['volume', 'ls', '--filter', label, '--format', '{{.Name}}']),
      podman(['network', 'ls', '--format', '{{.Name}}']),
    ]);
    const ours = networks.stdout.split('\n').filter((n) => n.startsWith(`${this.name}_`));
    return [...containers.stdout.split('\n'), ...volumes.stdout.split('\n'), ...ours].filter((line) => line.trim() !== '');
  }

  /** `down -v`, then removes by label whatever a failed `up` left (so a failing test still cleans up). */
  async down(): Promise<void> {
    await this.compose(['down', '-v', '-t', '10'], 180_000).catch(() => undefined);
    const label = `label=io.podman.compose.project=${this.name}`;
    const { stdout } = await podman(['ps', '-a', '-q', '--filter', label]).catch(() => ({ stdout: '' }));
    if (stdout.trim()) await podman(['rm', '-f', '-t', '0', ...stdout.trim().split('\n')]).catch(() => undefined);
    const volumes = await podman(['volume', 'ls', '-q', '--filter', label]).catch(() => ({ stdout: '' }));
    if (volumes.stdout.trim()) await podman(['volume', 'rm', '-f', ...volumes.stdout.trim().split('\n')]).catch(() => undefined);
    const networks = await podman(['network', 'ls', '--format', '{{.Name}}']).catch(() => ({ stdout: '' }));
    const ours = networks.stdout.split('\n').filter((n) => n.startsWith(`${this.name}_`));
    if (ours.length) await podman(['network', 'rm', '-f', ...ours]).catch(() => undefined);
  }

  /** Waits until podman reports the service's container healthy (podman runs the check on demand here). */
  async waitHealthy(service: string, timeoutMs = 180_000, index = 1): Promise<void> {
    const name = this.container(service, index);
    // No systemd timers in these VMs: run the image's check ourselves, as the timer would.
    await waitFor(() => podman(['healthcheck', 'run', name], 30_000).then(() => true), {
      timeoutMs,
      intervalMs: 2_000,
      what: async () => `${name} healthy; its log:\n${(await this.logs(service, index)).slice(-3000)}`,
    });
  }
}

export async function clicksOf(client: HostClient, linkId: number): Promise<number> {
  return (await client.get('links', `/api/links/${linkId}`)).json<{ clicks: number }>().clicks;
}

/** The smoke test of a running Marg: sign in, create a task and a link, follow the redirect, see the click counted. */
export async function smoke(port: number, domain: string, clicksTimeoutMs = 60_000, workerLog?: () => Promise<string>): Promise<{ client: HostClient; linkId: number; slug: string }> {
  const client = new HostClient(port, domain);
  await client.signIn('accounts', SMOKE_USER.email, SMOKE_USER.password);
  const me = await client.get('flow', '/api/me');
  if (me.status !== 200) throw new Error(`GET /api/me on flow: ${me.status} ${me.text}`);
  const task = await client.post('flow', '/api/tasks', { json: { title: 'Ship the containers' } });
  if (task.status !== 201) throw new Error(`POST /api/tasks: ${task.status} ${task.text}`);
  const slug = `smoke${randomBytes(3).toString('hex')}`;
  const link = await client.post('links', '/api/links', { json: { url: 'https://example.com/shipped', slug } });
  if (link.status !== 201) throw new Error(`POST /api/links: ${link.status} ${link.text}`);
  const linkId = link.json<{ id: number }>().id;
  const redirect = await client.get('links', `/${slug}`);
  if (redirect.status !== 302 || redirect.headers.location !== 'https://example.com/shipped') throw new Error(`GET /${slug}: ${redirect.status} ${String(redirect.headers.location)}`);
  // The click goes through the queue: only a worker makes it show.
  await waitFor(async () => (await client.get('links', `/api/links/${linkId}`)).json<{ clicks: number }>().clicks >= 1, {
    timeoutMs: clicksTimeoutMs,
    intervalMs: 500,
    what: async () => `the click counted by a worker${workerLog ? `; the worker's log:\n${(await workerLog()).slice(-3000)}` : ''}`,
  });
  return { client, linkId, slug };
}

export const SMOKE_USER = { email: 'smoke@example.com', password: 'smoke-test-password-1' };
export const SMOKE_ROLES = ['--role', 'flow:admin', '--role', 'links:admin'];

export interface LoadResult {
  readonly sent: number;
  readonly failures: readonly string[];
}

/**
 * A bounded load: `concurrency` loops of GET requests (keep-alive, as browsers do) until `stop`
 * is resolved or `maxRequests` went out, a short pause between requests. Every answer but the
 * expected status, and every network error, is a failure.
 */
export async function load(options: { port: number; host: string; path: string; expect: number; stop: Promise<void>; concurrency?: number; maxRequests?: number; pauseMs?: number }): Promise<LoadResult> {
  const { request, Agent } = await import('node:http');
  const agent = new Agent({ keepAlive: true, maxSockets: options.concurrency ?? 4 });
  const failures: string[] = [];
  let sent = 0;
  let stopped = false;
  void options.stop.then(() => (stopped = true));
  const max = options.maxRequests ?? 20_000;
  const one = () =>
    new Promise<void>((done) => {
      const req = request({ host: '127.0.0.1', port: options.port, path: options.path, headers: { host: options.host }, agent, timeout: 15_000 }, (res) => {
        res.resume();
        res.on('end', () => {
          if (res.statusCode !== options.expect) failures.push(`${res.statusCode} at ${new Date().toISOString()}`);
          done();
        });
      });
      req.on('timeout', () => req.destroy(new Error('timeout')));
      req.on('error', (error) => {
        failures.push(`${error.message} at ${new Date().toISOString()}`);
        done();
      });
      req.end();
    });
  const loop = async () => {
    while (!stopped && sent < max) {
      sent += 1;
      await one();
      await new Promise((r) => setTimeout(r, options.pauseMs ?? 10));
    }
  };
  await Promise.all(Array.from({ length: options.concurrency ?? 4 }, loop));
  agent.destroy();
  return { sent, failures };
}

/** The number of requests a web container answered for an app (its own /metrics, on the internal port). */
export async function appRequests(container: string, app: string): Promise<number> {
  const script = "fetch('http://127.0.0.1:9464/metrics').then((r) => r.text()).then((t) => process.stdout.write(t))";
  const { stdout } = await podman(['exec', container, 'node', '-e', script]);
  return stdout
    .split('\n')
    .filter((line) => line.startsWith('marg_http_request_duration_seconds_count{') && line.includes(`"${app}"`))
    .reduce((sum, line) => sum + Number(line.split(' ').pop()), 0);
}
