import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import type { Duplex } from 'node:stream';
import Fastify, { LogController } from 'fastify';
import { healthReport } from '../observability/health.ts';
import { RealtimeHub } from '../realtime/hub.ts';
import { pusherHttpApi } from '../realtime/http-api.ts';
import { BootError, type Role } from './boot.ts';
import type { Services } from './services.ts';

export interface RunningRealtime {
  readonly hub: RealtimeHub;
  /** The port bound (REVERB_PORT=0 picks one). */
  readonly port: number;
  stop(): Promise<void>;
}

function hubFor(services: Services): RealtimeHub {
  const { config, logger, broadcast } = services;
  const app = config.realtime.app;
  if (!app) throw new BootError('the realtime role needs REVERB_APP_ID, REVERB_APP_KEY and REVERB_APP_SECRET (`npm start` writes them to .env)');
  return new RealtimeHub({ settings: config.realtime, app, broadcast, logger });
}

/**
 * `marg realtime` (DESIGN §1): the Pusher protocol at ws://REVERB_SERVER_HOST:REVERB_PORT/app/{key},
 * the Pusher HTTP API at /apps/{id}/…, and /health, /health/live, /health/ready.
 */
export async function startRealtime(services: Services): Promise<RunningRealtime> {
  const { config, logger } = services;
  const hub = hubFor(services);
  let ready = false;
  const server = Fastify({ loggerInstance: logger, bodyLimit: Math.max(config.realtime.maxMessageBytes * 4, 65_536), logController: new LogController({ disableRequestLogging: true }) });
  server.get('/health/live', async () => ({ status: 'alive' }));
  server.get('/health/ready', async (_request, reply) => (ready ? { status: 'ready' } : reply.code(503).send({ status: 'draining' })));
  server.get('/health', async (_request, reply) => {
    const report = await healthReport(services);
    const broadcast = await services.broadcast.ping().then(() => 'healthy', () => 'unhealthy');
    const healthy = report.healthy && broadcast === 'healthy';
    return reply.code(healthy ? 200 : 503).send({ status: healthy ? 'healthy' : 'unhealthy', broadcast, connections: hub.counts().connections });
  });
  const app = config.realtime.app!;
  await server.register(pusherHttpApi, { app, broadcast: services.broadcast, maxEventBytes: config.realtime.maxMessageBytes });
  server.server.on('upgrade', (request: IncomingMessage, socket: Duplex, head: Buffer) => hub.handleUpgrade(request, socket, head));
  await server.listen({ host: config.realtime.serverHost, port: config.realtime.port });
  ready = true;
  const address = server.server.address();
  const port = typeof address === 'object' && address ? address.port : config.realtime.port;
  let stopping: Promise<void> | undefined;
  return {
    hub,
    port,
    stop: () =>
      (stopping ??= (async () => {
        ready = false;
        await hub.close();
        await server.close();
      })()),
  };
}

export function realtimeRole(onListening?: (port: number) => void): Role {
  return {
    name: 'realtime',
    async start(services) {
      const running = await startRealtime(services);
      onListening?.(running.port);
      services.logger.info({ host: services.config.realtime.serverHost, port: running.port, driver: services.broadcast.driver }, 'realtime role ready');
      return { stop: () => running.stop() };
    },
  };
}

/** The Pusher HTTP API's paths: `/apps/{id}/events`, `/apps/{id}/batch_events`, `/apps/{id}/channels…`. */
const HTTP_API_PATH = /^\/apps\//;

/** The Host header's name, lower case, without its port. */
const hostName = (request: IncomingMessage) => (request.headers.host ?? '').replace(/:\d+$/, '').toLowerCase();

/**
 * `npm start`: the WebSocket on the web server's port under the host `ws.<MARG_DOMAIN>` (DESIGN §4),
 * and the Pusher HTTP API there too (`/apps/{id}/…`), so a backend's Pusher SDK pointed at that host
 * triggers events as it would on `marg realtime`. The role holds the hub; `attach` hands the web
 * server's upgrades, and its requests for the API on that host, to it. List it before the web role:
 * roles stop in order, so the sockets are closed (4200) before the web server waits for its connections.
 */
export function embeddedRealtime(): { readonly role: Role; attach(server: Server): void } {
  let hub: RealtimeHub | undefined;
  let api: { routing(request: IncomingMessage, response: ServerResponse): void; close(): PromiseLike<unknown> } | undefined;
  let host = '';
  return {
    role: {
      name: 'realtime',
      async start(services) {
        const { config, logger } = services;
        hub = hubFor(services);
        host = config.realtime.host.toLowerCase();
        // Its own small Fastify instance: the API's signed JSON bodies and error shape, none of the app hosts' hooks (sessions, CSRF, pages).
        const instance = Fastify({ loggerInstance: logger, bodyLimit: Math.max(config.realtime.maxMessageBytes * 4, 65_536), logController: new LogController({ disableRequestLogging: true }) });
        await instance.register(pusherHttpApi, { app: config.realtime.app!, broadcast: services.broadcast, maxEventBytes: config.realtime.maxMessageBytes });
        await instance.ready();
        api = instance;
        return {
          stop: async () => {
            await hub?.close();
            await api?.close();
            hub = undefined;
            api = undefined;
          },
        };
      },
    },
    attach(server) {
      server.on('upgrade', (request: IncomingMessage, socket: Duplex, head: Buffer) => {
        if (hub && hostName(request) === host) return hub.handleUpgrade(request, socket, head);
        socket.end('HTTP/1.1 404 Not Found\r\nConnection: close\r\nContent-Length: 0\r\n\r\n');
      });
      // Node's server has one 'request' listener (the web app's); API requests on the realtime host go to the API instead.
      const web = server.listeners('request') as ((request: IncomingMessage, response: ServerResponse) => void)[];
      server.removeAllListeners('request');
      server.on('request', (request: IncomingMessage, response: ServerResponse) => {
        if (api && HTTP_API_PATH.test(request.url ?? '') && hostName(request) === host) return api.routing(request, response);
        for (const listener of web) listener.call(server, request, response);
      });
    },
  };
}
