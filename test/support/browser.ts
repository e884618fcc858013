import { existsSync } from 'node:fs';
import { chromium, type Browser } from 'playwright-core';

/** Debian's chromium package; playwright-core never downloads a browser of its own here. */
export const CHROMIUM_PATH = '/usr/bin/chromium';

const ARGS = [
  '--headless=new',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  // The app hosts are names under one domain; every one of them is this machine.
  '--host-resolver-rules=MAP *.marg.localhost 127.0.0.1',
];

/**
 * Whether a browser test can run: with chromium it runs; without it, CI (or anyone who
 * asked for every service with MARG_REQUIRE_SERVICES=1) must fail, and a developer's
 * run skips loudly instead.
 */
export function browserAvailability(): { run: true } | { run: false; required: boolean; message: string } {
  if (existsSync(CHROMIUM_PATH)) return { run: true };
  const required = process.env.CI === 'true' || process.env.MARG_REQUIRE_SERVICES === '1';
  return {
    run: false,
    required,
    message: `${CHROMIUM_PATH} not found: the browser test needs Debian's chromium (install it with \`apt-get install chromium\`)`,
  };
}

/** Headless chromium with bounded launch time; close it in `after()`. */
export function launchChromium(): Promise<Browser> {
  return chromium.launch({ executablePath: CHROMIUM_PATH, headless: true, args: ARGS, timeout: 30_000 });
}
