#!/usr/bin/env node
// The `marg` command. It runs the compiled JavaScript in dist/ when that build is up to date
// (`npm install` builds it), and otherwise the TypeScript sources through tsx, so a developer's
// edit is never hidden by an old build (bin/code-location.js says how it decides).
import { codeLocation } from './code-location.js';

// `marg migrate --status | head`: a reader that stops early is not an error.
process.stdout.on('error', (error) => {
  if (error.code === 'EPIPE') process.exit(0);
  throw error;
});

const root = new URL('..', import.meta.url).pathname;
let location;
try {
  location = codeLocation(root);
} catch (error) {
  process.stderr.write(`marg: ${error.message}\n`);
  process.exit(2);
}
if (process.env.MARG_DEBUG_CODE) process.stderr.write(`marg: running from ${location.from}/ (${location.why})\n`);

if (location.from === 'dist') {
  const { main } = await import('../dist/src/cli/main.js');
  await main(process.argv, () => import('../dist/apps/index.js').then((m) => m.APPS));
} else {
  // Loaded only here: production runs dist/ without a TypeScript loader (tsx is a devDependency).
  const { register } = await import('tsx/esm/api');
  register();
  const { main } = await import('../src/cli/main.ts');
  await main(process.argv, () => import('../apps/index.ts').then((m) => m.APPS));
}
