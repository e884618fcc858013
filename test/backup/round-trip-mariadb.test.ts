import { after } from 'node:test';
import { cleanupCli } from '../support/cli.ts';
import { probeTcp, requireService } from '../support/services.ts';
import { describeServerRoundTrip } from './server-round-trip.ts';

const mariadb = await requireService('MariaDB', () => probeTcp('127.0.0.1', 3306), { target: '127.0.0.1:3306' });
const redis = await requireService('Redis', () => probeTcp('127.0.0.1', 6379), { target: '127.0.0.1:6379' });
after(() => cleanupCli());

// MariaDB with the queue on Redis: the backup also holds the queue's keys.
describeServerRoundTrip({
  name: 'MariaDB (queue on Redis)',
  skip: mariadb.skipReason ?? redis.skipReason,
  env: { DB_CONNECTION: 'mysql', DB_HOST: '127.0.0.1', DB_PORT: '3306', DB_USERNAME: 'root', QUEUE_CONNECTION: 'redis' },
});
