/**
 * True for ioredis's errors when Redis cannot answer right now (an outage, or a Sentinel
 * failover in progress: the old primary gone, or demoted and answering READONLY), as opposed
 * to a bad command. A request that hits one gets a 503 to retry, not a 500.
 */
export function isRedisUnavailable(error: unknown): boolean {
  if (!(error instanceof Error)) return false;
  const code = (error as NodeJS.ErrnoException).code;
  if (code === 'ECONNREFUSED' || code === 'ECONNRESET' || code === 'ETIMEDOUT' || code === 'EPIPE') return true;
  return error.name === 'MaxRetriesPerRequestError' || /^(Connection is closed|Stream isn't writeable)/.test(error.message) || /^(READONLY|LOADING|MASTERDOWN|NOREPLICAS) /.test(error.message);
}
