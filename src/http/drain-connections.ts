import type { onSendHookHandler } from 'fastify';
import type { Lifecycle } from '../platform/lifecycle.ts';
import { HttpError } from './errors.ts';

/**
 * While the node drains (SIGTERM: `/health/ready` already answers 503), every response says
 * `Connection: close`. A balancer keeps connections to its nodes alive and reuses them; this
 * way each one is closed by the node right after a complete response, so none is left idle
 * for the final close to cut while the balancer sends a request on it (a reset request).
 */
export function closeConnectionsWhileDraining(lifecycle: Lifecycle): onSendHookHandler {
  return (_request, reply, payload, done) => {
    if (lifecycle.draining) reply.header('connection', 'close');
    done(null, payload);
  };
}

/**
 * Once the server is closing, a request that still arrives (pipelined, or on a connection that
 * was busy at the close) gets a 503 through the error handler, in Marg's shape with its headers;
 * Fastify's own (return503OnClosing) has neither. Fastify closes the connection after it.
 */
export function shuttingDown(): HttpError {
  return new HttpError(503, 'shutting_down', 'This node is shutting down: send the request again.', undefined, { 'retry-after': '1' });
}
