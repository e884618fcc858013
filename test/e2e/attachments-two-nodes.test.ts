import assert from 'node:assert/strict';
import { it } from 'node:test';
import { describeResult, runMarg } from '../support/cli.ts';
import { describeTwoNodes, s3Store } from './attachments-two-nodes.ts';

// FILESYSTEM_DISK=s3 on one bucket of an s3rver started here: the bytes live in the bucket, not on a node's disk.
describeTwoNodes('sharing an S3 bucket', s3Store, (context) => {
  it('refuses to start on a bucket it cannot reach, naming it', async () => {
    const { dir, env } = context();
    const result = await runMarg(['serve'], { cwd: dir, env: { ...env, PORT: '0', HOST: '127.0.0.1', AWS_BUCKET: 'no-such-bucket-here' }, timeoutMs: 60_000 });
    assert.notEqual(result.code, 0, describeResult(result));
    assert.equal(result.timedOut, false, describeResult(result));
    assert.match(result.stderr + result.stdout, /cannot reach bucket no-such-bucket-here \(AWS_BUCKET\): no such bucket/, describeResult(result));
  });
});
