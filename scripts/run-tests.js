#!/usr/bin/env node
// Runs every test/**/*.test.ts with Node's own test runner (through tsx). Node 20's
// `--test` cannot glob TypeScript files itself, hence this small finder.
// Usage: node scripts/run-tests.js [path-substring ...]   e.g. `npm run test:only -- http`
import { spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { checkLogCapture, describeCheck } from './check-log-secrets.js';

const root = new URL('..', import.meta.url).pathname;

function find(dir) {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return find(path);
    return entry.name.endsWith('.test.ts') ? [path] : [];
  });
}

const filters = process.argv.slice(2);
const files = find(join(root, 'test'))
  .map((f) => relative(root, f))
  .filter((f) => filters.length === 0 || filters.some((x) => f.includes(x)))
  .sort();
if (files.length === 0) {
  console.error(`no test files match ${filters.join(' ')}`);
  process.exit(1);
}

// Everything the test platforms log goes to a capture folder (at debug level), and after the run
// no secret the tests used may be found in it (test/support/log-capture.ts, check-log-secrets.js).
// MARG_LOG_CAPTURE=<folder> keeps it there; MARG_LOG_CAPTURE=0 turns the check off.
const given = process.env.MARG_LOG_CAPTURE;
const capture = given === '0' ? undefined : given || mkdtempSync(join(tmpdir(), 'marg-log-capture-'));

// MARG_TEST_TIMEOUT_MS: longer for the container stage (`npm run test:containers`), whose file builds an image.
const timeoutMs = Number(process.env.MARG_TEST_TIMEOUT_MS) || 120_000;
const args = ['--import', 'tsx', '--test', '--test-concurrency=2', `--test-timeout=${timeoutMs}`, ...files];
const env = { ...process.env, NODE_ENV: 'test', ...(capture ? { MARG_LOG_CAPTURE: capture } : {}) };
const child = spawn(process.execPath, args, { cwd: root, stdio: 'inherit', env });
child.on('exit', (code, signal) => {
  let status = signal ? 1 : (code ?? 1);
  if (capture) {
    const result = checkLogCapture(capture);
    // On stderr: the test runner's own summary stays the last thing on stdout.
    console.error(describeCheck(capture, result));
    if (result.leaks.length > 0) status = 1;
    // Kept for inspection when something leaked, or when the folder was asked for.
    else if (!given) rmSync(capture, { recursive: true, force: true });
  }
  process.exit(status);
});
