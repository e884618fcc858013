/** The load balancer port: its interface here, one driver per balancer (haproxy.ts, nginx.ts), picked in balancer.ts. */
import type { RecordedProcess } from './processes.ts';

export type BalancerKind = 'haproxy' | 'nginx';

/** A web node as the balancer sees it: a name and a loopback port. */
export interface Backend {
  readonly name: string;
  readonly port: number;
  /** Realtime nodes (`marg realtime`) get the WebSocket traffic and the realtime host; default web. */
  readonly role?: 'web' | 'realtime';
}

/**
 * The load balancer in front of the web nodes (a port with two drivers: haproxy.ts, nginx.ts).
 * `up` starts it; `roll` adds a new node before it takes the old one out; `status` asks its view.
 */
export interface Balancer {
  readonly kind: BalancerKind;
  /** The rendered config file (in the state dir). */
  readonly configFile: string;
  /** HAProxy's admin socket; undefined for nginx. */
  readonly socket: string | undefined;
  /**
   * Seconds a web node answers `/health/ready` with 503 before it closes on SIGTERM: how long
   * this balancer takes to stop sending it requests, plus a margin.
   */
  readonly drainSeconds: number;
  /** Renders the config for `nodes` and has the balancer check it (`haproxy -c`, `nginx -t`). */
  render(nodes: readonly Backend[]): Promise<void>;
  /** Renders, checks, starts the balancer and resolves once it routes to every node. */
  start(nodes: readonly Backend[]): Promise<RecordedProcess>;
  /** Resolves once `node` receives requests (it answers /health/ready already). */
  add(node: Backend, all: readonly Backend[]): Promise<void>;
  /** Resolves once `node` gets no new requests; requests in flight on it go on. */
  disable(node: Backend, remaining: readonly Backend[]): Promise<void>;
  /** After `node` stopped: forgets it. */
  forget(node: Backend, remaining: readonly Backend[]): Promise<void>;
  /** The balancer's own view of each node (HAProxy: UP, DOWN, MAINT…); empty when it has none (nginx). */
  view(): Promise<ReadonlyMap<string, string>>;
}

/** Where a balancer lives and listens. */
export interface BalancerSite {
  /** The cluster's state dir: the config, socket and temp files go in a subfolder. */
  readonly dir: string;
  readonly host: string;
  readonly port: number;
  readonly binary: string;
  /** The host name sent to the realtime nodes (besides every /app/ WebSocket path). */
  readonly realtimeHost?: string | undefined;
  /** The running balancer, once started (from the state file in later commands). */
  readonly process?: RecordedProcess | undefined;
}
