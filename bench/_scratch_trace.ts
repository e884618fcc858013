import { readFileSync } from 'node:fs';
import { createMargFixture } from './marg-fixture.ts';
import { freePort, PinnedProcess, stopAll } from './pinned-process.ts';
const port = await freePort();
const fixture = await createMargFixture((process.argv[2] ?? 'servers') as 'servers', port);
try {
  const { process: server } = await PinnedProcess.start('marg serve', port, ['--import', './test/support/package-trace.mjs', 'bin/marg.js', 'serve'], { ...fixture.env, MARG_PACKAGE_TRACE: '/tmp/trace.txt' }, process.cwd());
  console.log('rss', server.memory().rssMb.toFixed(0));
  await server.stop();
  console.log(readFileSync('/tmp/trace.txt', 'utf8').split('\n').sort().join(' '));
} finally {
  await stopAll();
  await fixture.teardown();
}
