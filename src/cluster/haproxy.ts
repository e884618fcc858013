import { execFile } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { createHash } from 'node:crypto';
import { promisify } from 'node:util';
import type { Backend, Balancer, BalancerSite } from './balancer-contract.ts';
import { runtimeCommand, serverStatuses } from './haproxy-socket.ts';
import { isRunning, logTail, spawnDetached } from './processes.ts';
import { urlHost } from '../support/host.ts';
import { renderTemplate } from './template.ts';
import { PROJECT_ROOT } from '../support/project-root.ts';

const run = promisify(execFile);
export const HAPROXY_TEMPLATE = resolve(PROJECT_ROOT, 'deploy/haproxy/haproxy.cfg.template');
const BACKEND = 'marg_web';
const REALTIME_BACKEND = 'marg_realtime';
const backendName = (node: Backend) => (node.role === 'realtime' ? REALTIME_BACKEND : BACKEND);
/** Health checks: every second; 2 failures take a node out, 1 success puts it back. */
export const HAPROXY_CHECK = { interMs: 1_000, fall: 2, rise: 1 } as const;
const SERVER_OPTIONS = `check inter ${HAPROXY_CHECK.interMs}ms fall ${HAPROXY_CHECK.fall} rise ${HAPROXY_CHECK.rise}`;
/** A unix socket path longer than this does not fit in sockaddr_un (108 bytes on Linux, 104 on macOS). */
const MAX_SOCKET_PATH = 100;

export function createHaproxy(site: BalancerSite): Balancer {
  const home = join(site.dir, 'haproxy');
  const configFile = join(home, 'haproxy.cfg');
  const socket = socketPath(join(home, 'admin.sock'));

  async function render(nodes: readonly Backend[]): Promise<void> {
    mkdirSync(home, { recursive: true });
    const text = renderTemplate(
      readFileSync(HAPROXY_TEMPLATE, 'utf8'),
      {
        stats_socket: socket,
        bind: `${urlHost(site.host)}:${site.port}`,
        check_fall: String(HAPROXY_CHECK.fall),
        server_options: SERVER_OPTIONS,
        realtime_host: site.realtimeHost ?? 'ws.invalid',
      },
      nodes.filter((n) => n.role !== 'realtime').map((n) => ({ name: n.name, address: `127.0.0.1:${n.port}` })),
      { realtime: nodes.filter((n) => n.role === 'realtime').map((n) => ({ name: n.name, address: `127.0.0.1:${n.port}` })) },
    );
    writeFileSync(configFile, text);
    await checkHaproxyConfig(site.binary, configFile);
  }

  async function waitForStatuses(want: (statuses: Map<string, string>) => boolean, what: string, timeoutMs = 15_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    let last = '';
    for (;;) {
      try {
        const statuses = new Map([...(await serverStatuses(socket, BACKEND)), ...(await serverStatuses(socket, REALTIME_BACKEND))]);
        if (want(statuses)) return;
        last = JSON.stringify(Object.fromEntries(statuses));
      } catch (error) {
        last = (error as Error).message;
      }
      if (Date.now() > deadline) throw new Error(`HAProxy: ${what} within ${timeoutMs} ms (last: ${last})`);
      await new Promise((r) => setTimeout(r, 100));
    }
  }

  async function command(line: string, expect: RegExp): Promise<string> {
    const answer = (await runtimeCommand(socket, line)).trim();
    if (!expect.test(answer)) throw new Error(`HAProxy refused "${line}": ${answer || '(no answer)'}`);
    return answer;
  }

  return {
    kind: 'haproxy',
    configFile,
    socket,
    // The balancer stops sending requests `fall` checks after /health/ready turns 503; one more interval of margin.
    drainSeconds: ((HAPROXY_CHECK.fall + 1) * HAPROXY_CHECK.interMs) / 1000,
    render,
    async start(nodes) {
      await render(nodes);
      const started = spawnDetached({
        command: site.binary,
        // -db: stay in the foreground (no daemon), so the recorded pid is HAProxy itself.
        args: ['-db', '-f', configFile],
        cwd: home,
        env: process.env,
        log: join(site.dir, 'logs', 'haproxy.log'),
        marks: [configFile],
        stopSignal: 'SIGUSR1',
      });
      try {
        await waitForStatuses((s) => nodes.every((n) => s.get(n.name) === 'UP'), `not every node was UP (${nodes.map((n) => n.name).join(', ')})`);
      } catch (error) {
        if (!isRunning(started)) throw new Error(`HAProxy exited at start: ${logTail(started.log)}`, { cause: error });
        throw error;
      }
      return started;
    },
    async add(node, all) {
      // `add server` (HAProxy 2.4+) takes no default-server settings: the options are spelled out.
      await command(`add server ${backendName(node)}/${node.name} 127.0.0.1:${node.port} ${SERVER_OPTIONS}`, /New server registered/);
      await command(`enable health ${backendName(node)}/${node.name}`, /^$/);
      await command(`enable server ${backendName(node)}/${node.name}`, /^$/);
      await waitForStatuses((s) => s.get(node.name) === 'UP', `${node.name} did not come UP`);
      // The file follows the runtime state, so a restarted HAProxy routes to the same nodes.
      await render(all);
    },
    async disable(node) {
      // Maintenance: no new requests; the ones in flight finish (the guides' haproxy-disable-server).
      await command(`disable server ${backendName(node)}/${node.name}`, /^$/);
    },
    async forget(node, remaining) {
      // HAProxy deletes a server only once its last connection is gone: retry for a few seconds.
      const deadline = Date.now() + 10_000;
      for (;;) {
        const answer = (await runtimeCommand(socket, `del server ${backendName(node)}/${node.name}`)).trim();
        if (/Server deleted/.test(answer) || /No such server/i.test(answer)) break;
        if (Date.now() > deadline) throw new Error(`HAProxy did not delete ${node.name}: ${answer}`);
        await new Promise((r) => setTimeout(r, 200));
      }
      await render(remaining);
    },
    async view() {
      if (site.process && !isRunning(site.process)) return new Map();
      return new Map([...(await serverStatuses(socket, BACKEND)), ...(await serverStatuses(socket, REALTIME_BACKEND))]);
    },
  };
}

/** `haproxy -c -f <file>`: a config HAProxy would refuse never reaches a running balancer. */
export async function checkHaproxyConfig(binary: string, file: string): Promise<void> {
  try {
    await run(binary, ['-c', '-f', file], { timeout: 10_000 });
  } catch (error) {
    const e = error as { stderr?: string; stdout?: string; message: string };
    throw new Error(`haproxy -c refused ${file}:\n${(e.stderr || e.stdout || e.message).trim()}`);
  }
}

/** The admin socket in the state dir, or (a path too long for a unix socket) under the temp dir. */
function socketPath(preferred: string): string {
  if (Buffer.byteLength(preferred) <= MAX_SOCKET_PATH) return preferred;
  return join(tmpdir(), `marg-haproxy-${createHash('sha256').update(preferred).digest('hex').slice(0, 16)}.sock`);
}
