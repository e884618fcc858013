import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { generateAppKey } from '../../src/config/app-key.ts';
import type { RawEnv } from '../../src/config/env-files.ts';
import { S3Storage } from '../../src/storage/s3.ts';
import { download, upload } from '../support/attachments.ts';
import { HostClient } from '../support/client.ts';
import { startServe, type ServeNode } from '../support/serve-node.ts';
import { cleanupCli, migratedProject, tempDir, withCliServices } from '../support/cli.ts';
import { TEST_DOMAIN, TEST_PASSWORD } from '../support/platform.ts';
import { startS3Server, type TestS3Server } from '../support/s3-server.ts';

export interface SharedStore {
  /** The two nodes' environment and where they run: one project and folder, or two. */
  setUp(project: string): Promise<{ env: RawEnv; cwds: readonly [string, string] }>;
  /** The attachment objects' keys, read from the store itself (not through a node). */
  attachmentKeys(): Promise<string[]>;
  /** Checks what the store holds besides: e.g. nothing on a node's local disk. */
  checkPlacement(project: string): void;
  close(): Promise<void>;
}

/**
 * Two `marg serve` processes on one set of SQLite databases and sessions, with the object
 * storage shared as `store` says (one S3 bucket, or one folder as NFS would give): a file
 * uploaded through one node downloads through the other, and a delete through one is seen by
 * the other.
 */
export function describeTwoNodes(title: string, store: () => SharedStore, more?: (context: () => { dir: string; env: RawEnv }) => void): void {
  describe(`flow attachments across two \`marg serve\` nodes ${title}`, () => {
    let shared: SharedStore;
    let dir: string;
    let env: RawEnv;
    const nodes: ServeNode[] = [];
    let a: HostClient;
    let b: HostClient;

    before(async () => {
      shared = store();
      dir = await migratedProject();
      const { env: storeEnv, cwds } = await shared.setUp(dir);
      env = { ...storeEnv, APP_KEY: generateAppKey(), MARG_DOMAIN: TEST_DOMAIN, API_RATE_LIMIT: '0', SIGNIN_RATE_LIMIT: '0' };
      const email = `two-nodes-${process.pid}@example.test`;
      await withCliServices(dir, env, async (services) => {
        const user = await services.users.create({ email, name: 'Two Nodes', password: TEST_PASSWORD });
        await services.rbac.grant(user.id, { app: 'flow', role: 'editor' });
      });
      nodes.push(await startServe('web-1', cwds[0], { ...env, MARG_NODE_NAME: 'web-1' }), await startServe('web-2', cwds[1], { ...env, MARG_NODE_NAME: 'web-2' }));
      a = new HostClient(nodes[0]!.port, TEST_DOMAIN);
      b = new HostClient(nodes[1]!.port, TEST_DOMAIN);
      await a.signIn('flow', email, TEST_PASSWORD);
      await b.signIn('flow', email, TEST_PASSWORD);
    });
    after(async () => {
      await Promise.all(nodes.map((node) => node.stop()));
      await cleanupCli();
      await shared?.close();
    });

    it('uploads through one node and downloads through the other, both ways', async () => {
      const created = await a.post('flow', '/api/tasks', { json: { title: 'Shared files' } });
      assert.equal(created.status, 201, created.text);
      const taskId = created.json().id as number;
      const textBytes = Buffer.from(`shared ${randomBytes(8).toString('hex')}\n`.repeat(500));
      const first = await upload(a, taskId, textBytes, 'notes.txt', 'text/plain');
      assert.equal(first.status, 201, first.text);
      const viaB = await download(b, first.json().url);
      assert.equal(viaB.status, 200);
      assert.deepEqual(viaB.body, textBytes, 'node 2 serves the bytes node 1 stored');

      const pdf = Buffer.concat([Buffer.from('%PDF-1.7\n'), randomBytes(50_000), Buffer.from('\n%%EOF\n')]);
      const second = await upload(b, taskId, pdf, 'scan.pdf', 'application/pdf');
      assert.equal(second.status, 201, second.text);
      const viaA = await download(a, second.json().url);
      assert.deepEqual(viaA.body, pdf, 'node 1 serves the bytes node 2 stored');
      assert.equal(viaA.headers['content-type'], 'application/pdf');

      const listedOnB = (await b.get('flow', `/api/tasks/${taskId}/attachments`)).json().data.map((x: { id: number }) => x.id);
      assert.deepEqual(listedOnB, [first.json().id, second.json().id]);

      const keys = await shared.attachmentKeys();
      assert.equal(keys.length, 2, keys.join(', '));
      shared.checkPlacement(dir);

      // A delete through node 2 is seen by node 1.
      assert.equal((await b.delete('flow', `/api/tasks/${taskId}/attachments/${first.json().id}`)).status, 204);
      assert.equal((await download(a, first.json().url)).status, 404);
      assert.equal((await shared.attachmentKeys()).length, 1);
    });

    more?.(() => ({ dir, env }));
  });
}

/** One S3 bucket on an s3rver started here; both nodes in the project folder, nothing on its disk. */
export function s3Store(): SharedStore {
  let s3: TestS3Server | undefined;
  let bucket = '';
  return {
    async setUp(project) {
      s3 = await startS3Server();
      bucket = await s3.createBucket();
      return { env: s3.env(bucket), cwds: [project, project] as const };
    },
    async attachmentKeys() {
      const storage = new S3Storage(s3!.config(bucket));
      try {
        const keys: string[] = [];
        for await (const object of storage.list('flow/attachments/')) keys.push(object.key);
        return keys;
      } finally {
        await storage.close();
      }
    },
    checkPlacement(project) {
      assert.equal(existsSync(join(project, 'storage', 'app', 'flow')), false, 'no attachment on the local disk');
    },
    close: async () => s3?.close(),
  };
}

/**
 * One folder as an NFS mount gives it: the second node runs from a project folder of its own
 * whose STORAGE_PATH is the first one's storage (databases, sessions and objects).
 */
export function sharedFolderStore(): SharedStore {
  let shared = '';
  return {
    async setUp(project) {
      shared = join(project, 'storage');
      return { env: { FILESYSTEM_DISK: 'local', STORAGE_PATH: shared }, cwds: [project, tempDir('marg-node-2-')] as const };
    },
    async attachmentKeys() {
      const root = join(shared, 'app', 'flow', 'attachments');
      if (!existsSync(root)) return [];
      return readdirSync(root, { recursive: true, withFileTypes: true })
        .filter((e) => e.isFile() && e.name === 'original')
        .map((e) => join(e.parentPath, e.name));
    },
    checkPlacement() {},
    close: async () => {},
  };
}
