import { hostname } from 'node:os';
import type { onRequestHookHandler } from 'fastify';

export const NODE_HEADER = 'x-marg-node';

/** What a node calls itself: MARG_NODE_NAME (`marg cluster` sets web-1, web-2, …), else `<hostname>:<pid>`. */
export function nodeName(configured: string | undefined): string {
  return configured ?? `${hostname()}:${process.pid}`;
}

/**
 * Names the node on every response (`X-Marg-Node: web-2`), so that behind a load balancer an
 * operator, a test or a bug report can tell which node answered.
 */
export function nodeHeader(configured: string | undefined): onRequestHookHandler {
  const name = nodeName(configured);
  return (_request, reply, done) => {
    reply.header(NODE_HEADER, name);
    done();
  };
}
