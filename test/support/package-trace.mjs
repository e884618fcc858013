// `node --import <this file>` (with MARG_PACKAGE_TRACE=<file>): appends to that file the name of
// each npm package the process imports, once, as it is imported. Tests read it to check which
// drivers a process loaded (issue 19: a node loads only the drivers its config picks).
// Plain JavaScript: Node loads it before any TypeScript loader, and its hooks run in their own thread.
import { register } from 'node:module';

if (process.env.MARG_PACKAGE_TRACE) register('./package-trace-hooks.mjs', import.meta.url, { data: { file: process.env.MARG_PACKAGE_TRACE } });
