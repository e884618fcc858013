import { after } from 'node:test';
import { cleanupCli } from '../support/cli.ts';
import { probeTcp, requireService } from '../support/services.ts';
import { describeServerRoundTrip } from './server-round-trip.ts';

const postgres = await requireService('PostgreSQL', () => probeTcp('127.0.0.1', 5432), { target: '127.0.0.1:5432' });
after(() => cleanupCli());

describeServerRoundTrip({
  name: 'PostgreSQL',
  skip: postgres.skipReason,
  env: { DB_CONNECTION: 'pgsql', DB_HOST: '127.0.0.1', DB_PORT: '5432', DB_USERNAME: 'postgres' },
});
