import { mkdirSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import type { Page } from 'playwright-core';

/** Where browser tests save screenshots: test-artifacts/screenshots (git-ignored), or MARG_TEST_ARTIFACTS. */
export const ARTIFACTS_DIR = process.env.MARG_TEST_ARTIFACTS ?? join(import.meta.dirname, '..', '..', 'test-artifacts', 'screenshots');

const axeSource = readFileSync(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8');

export interface PageReport {
  readonly screenshot: string;
  readonly scrollWidth: number;
  readonly viewport: number;
  /** Serious and critical axe violations, as `rule: target…`. */
  readonly violations: readonly string[];
}

/**
 * The checks every page gets: no horizontal page overflow, a full-page screenshot, and axe-core
 * (run through the DevTools protocol, which the page's CSP does not govern: no inline script is added).
 */
export async function checkPage(page: Page, name: string): Promise<PageReport> {
  mkdirSync(ARTIFACTS_DIR, { recursive: true });
  const viewport = page.viewportSize()?.width ?? 0;
  // Fonts and the avatar settle before measuring.
  await page.waitForLoadState('load');
  const scrollWidth = await page.evaluate(() => document.documentElement.scrollWidth);
  const screenshot = join(ARTIFACTS_DIR, `${name}-${viewport}.png`);
  await page.screenshot({ path: screenshot, fullPage: true });
  await page.evaluate(axeSource);
  const results = await page.evaluate(async () => {
    const axe = (globalThis as unknown as { axe: { run(context: Document, options: object): Promise<{ violations: { id: string; impact: string | null; nodes: { target: unknown[] }[] }[] }> } }).axe;
    const run = await axe.run(document, { resultTypes: ['violations'] });
    return run.violations.map((v) => ({ id: v.id, impact: v.impact, targets: v.nodes.map((n) => JSON.stringify(n.target)) }));
  });
  const violations = results.filter((v) => v.impact === 'serious' || v.impact === 'critical').map((v) => `${v.id} (${v.impact}): ${v.targets.slice(0, 3).join(', ')}`);
  return { screenshot, scrollWidth, viewport, violations };
}
