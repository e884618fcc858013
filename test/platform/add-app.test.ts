import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { after, describe, it } from 'node:test';
import { HostClient } from '../support/client.ts';
import { cleanEnv, cleanupCli, tempDir } from '../support/cli.ts';
import { captureChildOutput, recordSecret } from '../support/log-capture.ts';

const ROOT = resolve(import.meta.dirname, '../..');
const src = (path: string) => JSON.stringify(pathToFileURL(join(ROOT, path)).href);

/**
 * docs/platform.md's recipe "Add an app", done by the suite: a project folder holding one
 * new app folder (`apps/hello/`), an app list of the shipped apps plus one line, and an entry
 * point that hands that list to the CLI, exactly as bin/marg.js does. Nothing in src/ changes.
 */
function helloProject(): string {
  const dir = tempDir('marg-add-app-');
  writeFileSync(join(dir, 'package.json'), '{ "private": true, "type": "module" }\n');
  mkdirSync(join(dir, 'apps', 'hello'), { recursive: true });
  writeFileSync(
    join(dir, 'apps', 'hello', 'index.ts'),
    `import type { Kysely } from 'kysely';
import type { AppModule } from ${src('src/platform/app-module.ts')};
import { withId } from ${src('src/database/schema.ts')};

interface HelloDatabase { greetings: { id: number; text: string } }

export const hello: AppModule = {
  name: 'hello',
  title: 'Hello',
  description: 'A test app added by one folder and one registry line',
  migrations: {
    '2026_12_06_0001_create_greetings': {
      async up(db, ctx) {
        await withId(db.schema.createTable('greetings'), ctx).addColumn('text', 'varchar(100)', (c) => c.notNull()).execute();
        await (db as Kysely<HelloDatabase>).insertInto('greetings').values({ text: 'hello, world' } as never).execute();
      },
    },
  },
  permissions: {
    permissions: { 'hello.greetings.read': 'Read greetings' },
    roles: {
      viewer: { description: 'Reads greetings', permissions: ['hello.greetings.read'] },
      editor: { description: 'Reads greetings', permissions: ['hello.greetings.read'] },
      admin: { description: 'Reads greetings', permissions: ['hello.greetings.read'] },
    },
  },
  async routes(app, ctx) {
    app.get('/api/greetings', async (request) => {
      await ctx.requirePermission(request, 'hello.greetings.read');
      const data = await ctx.services.databases.get<HelloDatabase>('hello').db.selectFrom('greetings').select(['id', 'text']).orderBy('id').execute();
      return { data, next: null };
    });
  },
};
`,
  );
  // The one registry line: the shipped list, plus hello.
  writeFileSync(join(dir, 'apps', 'index.ts'), `import { APPS as SHIPPED } from ${src('apps/index.ts')};\nimport { hello } from './hello/index.ts';\n\nexport const APPS = [...SHIPPED, hello];\n`);
  writeFileSync(join(dir, 'marg.ts'), `import { main } from ${src('src/cli/main.ts')};\nimport { APPS } from './apps/index.ts';\n\nawait main(process.argv, async () => APPS);\n`);
  return dir;
}

/** Runs the project's own `marg` (its entry point through tsx), collecting its output. */
function projectMarg(dir: string, args: readonly string[], env: Record<string, string> = {}) {
  const tsx = pathToFileURL(join(ROOT, 'node_modules', 'tsx', 'dist', 'loader.mjs')).href;
  const child = spawn(process.execPath, ['--import', tsx, join(dir, 'marg.ts'), ...args], { cwd: dir, env: cleanEnv(env), stdio: ['ignore', 'pipe', 'pipe'] });
  captureChildOutput(child.pid, child.stdout, child.stderr);
  const output = { stdout: '', stderr: '' };
  child.stdout.setEncoding('utf8').on('data', (c: string) => (output.stdout += c));
  child.stderr.setEncoding('utf8').on('data', (c: string) => (output.stderr += c));
  const exited = new Promise<number | null>((done) => child.once('close', (code) => done(code)));
  const timer = setTimeout(() => child.kill('SIGKILL'), 60_000);
  void exited.then(() => clearTimeout(timer));
  return { child, output, exited };
}

async function until(check: () => boolean, ms: number, what: () => string): Promise<void> {
  const deadline = Date.now() + ms;
  while (!check()) {
    if (Date.now() > deadline) assert.fail(what());
    await new Promise((r) => setTimeout(r, 50));
  }
}

describe('adding an app: one folder and one registry line', () => {
  after(() => cleanupCli());

  it('boots, migrates its own database, syncs its roles and serves its route on its own host', async () => {
    const dir = helloProject();
    const marg = projectMarg(dir, ['start'], { PORT: '0', HOST: '127.0.0.1' });
    try {
      await until(() => marg.output.stdout.includes('Press Ctrl-C to stop.') || marg.child.exitCode !== null, 45_000, () => `no banner:\n${marg.output.stdout}\n${marg.output.stderr}`);
      const { stdout, stderr } = marg.output;
      const port = Number(/http:\/\/hello\.marg\.localhost:(\d+)\//.exec(stdout)?.[1]);
      assert.ok(port > 0, `the banner lists the new app's host:\n${stdout}\n${stderr}`);
      const email = /^\s+email:\s+(\S+)$/m.exec(stdout)?.[1];
      const password = /^\s+password:\s+(\S+)$/m.exec(stdout)?.[1];
      recordSecret(password);
      assert.ok(email && password, stdout);

      assert.ok(existsSync(join(dir, 'storage', 'database', 'hello.sqlite')), 'the app has a database of its own, named after it');
      const client = new HostClient(port, 'marg.localhost');
      assert.equal((await client.get('hello', '/api/greetings')).status, 401, 'signed out');
      // The seeded admin holds every app's admin role, the new one's too (its roles were synced).
      await client.signIn('accounts', email, password);
      const me = await client.get('hello', '/api/me');
      assert.ok((me.json().permissions as string[]).includes('hello.greetings.read'), me.text);
      const greetings = await client.get('hello', '/api/greetings');
      assert.equal(greetings.status, 200, greetings.text);
      assert.deepEqual(greetings.json().data, [{ id: 1, text: 'hello, world' }]);
    } finally {
      marg.child.kill('SIGINT');
    }
    assert.equal(await marg.exited, 0, marg.output.stderr);
  });

  it('validates the new database variables at boot, naming them', async () => {
    const dir = helloProject();
    const marg = projectMarg(dir, ['migrate'], { HELLO_DB_DRIVER: 'oracle' });
    assert.equal(await marg.exited, 2, marg.output.stderr);
    assert.match(marg.output.stderr, /HELLO_DB_DRIVER: must be one of sqlite, mysql, mariadb, pgsql \(got "oracle"\)/);
  });

  it('refuses an app list the platform cannot run, with one clear line', async () => {
    const dir = helloProject();
    writeFileSync(join(dir, 'apps', 'index.ts'), `import { APPS as SHIPPED } from ${src('apps/index.ts')};\nimport { hello } from './hello/index.ts';\n\nexport const APPS = [...SHIPPED, hello, { ...hello, title: 'Again' }];\n`);
    const marg = projectMarg(dir, ['migrate']);
    assert.equal(await marg.exited, 2, marg.output.stderr);
    assert.equal(marg.output.stderr, 'marg: app "hello" is registered twice\n');
  });
});
