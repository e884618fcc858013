import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';

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

/** The `skip` option of a browser test: its reason, announced on stderr, when chromium is missing and not required; else false. */
export function browserSkip(what: string): string | false {
  const availability = browserAvailability();
  if (availability.run || availability.required) return false;
  process.stderr.write(`SKIPPED ${what}: ${availability.message}\n`);
  return availability.message;
}

/** Fails a browser test whose chromium is missing where it is required (CI=true or MARG_REQUIRE_SERVICES=1). */
export function requireBrowser(): void {
  const availability = browserAvailability();
  if (!availability.run) assert.fail(`${availability.message} (required: CI=true or MARG_REQUIRE_SERVICES=1)`);
}

/** Headless chromium with bounded launch time; close it in `after()`. */
export function launchChromium(): Promise<Browser> {
  return chromium.launch({ executablePath: CHROMIUM_PATH, headless: true, args: ARGS, timeout: 30_000 });
}

/** A page in a context of its own, with the CSP violations its console reported so far. */
export interface WatchedPage {
  readonly context: BrowserContext;
  readonly page: Page;
  /** Console errors about the Content Security Policy: an inline style or script the pages must not have. */
  readonly cspErrors: string[];
}

/** A fresh context at this width (844 px high) whose page collects CSP violations; close the context when done. */
export async function watchedContext(browser: Browser, width: number): Promise<WatchedPage> {
  const context = await browser.newContext({ viewport: { width, height: 844 } });
  const page = await context.newPage();
  page.setDefaultTimeout(15_000);
  const cspErrors: string[] = [];
  page.on('console', (message) => {
    if (message.type() === 'error' && /Content Security Policy/i.test(message.text())) cspErrors.push(message.text());
  });
  return { context, page, cspErrors };
}

export interface SignIn {
  /** `http://accounts.marg.localhost:<port>`. */
  readonly accounts: string;
  readonly email: string;
  readonly password: string;
  /** Where the sign-in form sends the browser after; default the accounts home page. */
  readonly next?: string;
}

/** Signs in through the accounts sign-in form and waits until the browser is at `next`. */
export async function signInPage(page: Page, as: SignIn): Promise<void> {
  const next = as.next ?? `${as.accounts}/`;
  await page.goto(`${as.accounts}/signin?next=${encodeURIComponent(next)}`);
  await page.fill('#email', as.email);
  await page.fill('#password', as.password);
  await Promise.all([page.waitForURL(next), page.click('#signin button[type=submit]')]);
}

/** watchedContext, signed in (the session cookie is the context's: one signed-in user per context). */
export async function signedInContext(browser: Browser, width: number, as: SignIn): Promise<WatchedPage> {
  const watched = await watchedContext(browser, width);
  await signInPage(watched.page, as);
  return watched;
}
