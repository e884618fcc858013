#!/usr/bin/env node
// The CLI runs the TypeScript sources directly through tsx's loader: no build step is
// needed to run Marg (DESIGN: `npm install && npm start`).
import { register } from 'tsx/esm/api';

register();
const { main } = await import('../src/cli/main.ts');
await main(process.argv);
