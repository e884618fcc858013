import { after } from 'node:test';
import { cleanupCli } from '../support/cli.ts';
import { probeTcp, requireService } from '../support/services.ts';
import { describeServerRoundTrip } from './server-round-trip.ts';

const mariadb = await requireService('MariaDB', () => probeTcp('127.0.0.1', 3306), { target: '127.0.0.1:3306' });
after(() => cleanupCli());

// The Done-when: MariaDB with every object (avatars, flow attachments) on S3, backed up
// to S3 (`--to s3://…`), both on an s3rver the suite starts.
describeServerRoundTrip({
  name: 'MariaDB + S3 (objects and backup on s3rver)',
  skip: mariadb.skipReason,
  env: { DB_CONNECTION: 'mysql', DB_HOST: '127.0.0.1', DB_PORT: '3306', DB_USERNAME: 'root' },
  s3: true,
});
