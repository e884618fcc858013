#!/usr/bin/env node
// The CLI runs the TypeScript sources directly through tsx's loader: no build step is
// needed to run Marg (DESIGN: `npm install && npm start`).
import { register } from 'tsx/esm/api';

// `marg migrate --status | head`: a reader that stops early is not an error.
process.stdout.on('error', (error) => {
  if (error.code === 'EPIPE') process.exit(0);
  throw error;
});

register();
const [{ main }, { APPS }] = await Promise.all([import('../src/cli/main.ts'), import('../apps/index.ts')]);
await main(process.argv, APPS);
