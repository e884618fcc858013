#!/usr/bin/env node
// "No secret in any log line the suite produced" (issue 5). Reads a log capture folder
// (test/support/log-capture.ts: `*.log` = what the test platforms and CLI children logged,
// `*.secrets` = JSON strings the tests used: passwords, APP_KEYs, cookie values) and reports
// every log line that holds a recorded secret or looks like a credential whatever its value:
// an APP_KEY, a session cookie, an unredacted password, cookie or authorization field.
// Run by scripts/run-tests.js after the tests; by hand: node scripts/check-log-secrets.js <folder>
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** Shapes that are a leak whatever their value (a value of exactly "[redacted]" is fine). */
export const LEAK_PATTERNS = [
  { name: 'an APP_KEY', pattern: /base64:[A-Za-z0-9+/]{43}=/ },
  { name: 'a session cookie', pattern: /marg_session=[A-Za-z0-9_-]{16,}/ },
  { name: 'a password field', pattern: /"(?:password|pass|passwd)"\s*:\s*"(?!\[redacted\]")[^"]+"/i },
  { name: 'a cookie field', pattern: /"(?:cookie|set-cookie)"\s*:\s*(?:"(?!\[redacted\]")[^"]+"|\[)/i },
  { name: 'an authorization field', pattern: /"authorization"\s*:\s*"(?!\[redacted\]")[^"]+"/i },
];

/** `abcdef…` → `ab…(32 chars)`: a report must not print the secret it found. */
export function mask(secret) {
  return `${secret.slice(0, 2)}…(${secret.length} chars)`;
}

/**
 * Scans the folder. Returns how much was read and every leak found, at most `maxLeaks`,
 * each with its file, line number, and what leaked (masked).
 */
export function checkLogCapture(folder, { maxLeaks = 50 } = {}) {
  let entries;
  try {
    entries = readdirSync(folder);
  } catch {
    entries = [];
  }
  const secrets = new Set();
  for (const file of entries.filter((f) => f.endsWith('.secrets'))) {
    for (const line of readFileSync(join(folder, file), 'utf8').split('\n')) {
      if (line.trim() === '') continue;
      const value = JSON.parse(line);
      if (typeof value === 'string' && value.length >= 8) secrets.add(value);
    }
  }
  const leaks = [];
  let lines = 0;
  const logFiles = entries.filter((f) => f.endsWith('.log'));
  for (const file of logFiles) {
    const text = readFileSync(join(folder, file), 'utf8');
    const lineOf = (index) => text.slice(0, index).split('\n').length;
    const lineTexts = text.split('\n');
    lines += lineTexts.filter((l) => l !== '').length;
    // Each secret is searched in the whole file (fast native search), raw and as escaped in a JSON string.
    for (const secret of secrets) {
      for (const needle of new Set([secret, JSON.stringify(secret).slice(1, -1)])) {
        const index = text.indexOf(needle);
        if (index !== -1 && leaks.length < maxLeaks) leaks.push({ file, line: lineOf(index), what: `recorded secret ${mask(secret)}` });
      }
    }
    lineTexts.forEach((line, index) => {
      for (const { name, pattern } of LEAK_PATTERNS) if (leaks.length < maxLeaks && pattern.test(line)) leaks.push({ file, line: index + 1, what: name });
    });
  }
  return { files: logFiles.length, lines, secrets: secrets.size, leaks };
}

/** One summary line, plus one line per leak. */
export function describeCheck(folder, result) {
  const head = `log secrets check: ${result.lines} log lines in ${result.files} files, ${result.secrets} recorded secrets`;
  if (result.leaks.length === 0) return `${head}: no secret logged`;
  return [
    `${head}: ${result.leaks.length} LEAK(S) in ${folder}`,
    ...result.leaks.map((l) => `  ${l.file}:${l.line}: ${l.what}`),
  ].join('\n');
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const folder = process.argv[2];
  if (!folder) {
    console.error('usage: node scripts/check-log-secrets.js <capture folder>');
    process.exit(2);
  }
  const result = checkLogCapture(folder);
  console.log(describeCheck(folder, result));
  process.exit(result.leaks.length === 0 ? 0 : 1);
}
