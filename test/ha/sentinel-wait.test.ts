import assert from 'node:assert/strict';
import { describeSentinelFailover } from './sentinel-failover.ts';

// With QUEUE_REDIS_WAIT_REPLICAS=1 a dispatch needs a replica to confirm it: two replicas, so
// that one is left to confirm dispatches once the other has been promoted.
describeSentinelFailover(
  'QUEUE_REDIS_WAIT_REPLICAS=1: no acknowledged dispatch is lost; requests succeed again within 10 s',
  'wait',
  { QUEUE_REDIS_WAIT_REPLICAS: '1', QUEUE_REDIS_WAIT_TIMEOUT: '2000' },
  (round) => assert.deepEqual(round.lost, [], 'WAIT: a dispatch is acknowledged only once a replica holds it, so the promoted replica has every acknowledged job'),
  2,
);
