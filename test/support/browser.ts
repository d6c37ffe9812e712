/**
 * Headless Chromium for the web dashboard tests, driven by playwright-core through Debian's
 * `chromium` package (`executablePath`; playwright downloads no browser). Each session gets a
 * fresh user data dir, removed at close. Console errors and uncaught page errors are collected so
 * a test can assert there were none.
 *
 *   const browser = await openBrowser();          // undefined when no Chromium is installed
 *   if (!browser) return t.skip(NO_CHROMIUM);
 *   const page = await browser.page();
 *   ...
 *   assert.deepEqual(browser.errors, []);
 *   await browser.close();
 */
import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium, type BrowserContext, type Page } from 'playwright-core';

const CANDIDATES = [process.env.CHROMIUM_PATH, '/usr/bin/chromium', '/usr/bin/chromium-browser'].filter((p): p is string => !!p);

/** The Chromium executable, or undefined. */
export function chromiumPath(): string | undefined {
  return CANDIDATES.find((p) => existsSync(p));
}

export const NO_CHROMIUM = 'no Chromium found (/usr/bin/chromium or CHROMIUM_PATH): install Debian\'s chromium package (apt-get install chromium) to run the browser tests';

/** Where screenshots go: .tmp/test-artifacts/ at the repository root (gitignored). */
export const ARTIFACTS_DIR = fileURLToPath(new URL('../../../.tmp/test-artifacts/', import.meta.url));

export interface BrowserSession {
  readonly context: BrowserContext;
  /** Console errors and uncaught exceptions of every page, in order. */
  readonly errors: string[];
  page(): Promise<Page>;
  /** Saves a full-page PNG under ARTIFACTS_DIR; returns its path. */
  screenshot(page: Page, name: string): Promise<string>;
  close(): Promise<void>;
}

export async function openBrowser(viewport = { width: 1400, height: 1000 }): Promise<BrowserSession | undefined> {
  const executablePath = chromiumPath();
  if (executablePath === undefined) return undefined;
  const userDataDir = mkdtempSync(join(tmpdir(), 'gf-chromium-'));
  const context = await chromium.launchPersistentContext(userDataDir, {
    executablePath, headless: true, viewport,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking',
      '--disable-component-update', '--disable-sync'],
  });
  const errors: string[] = [];
  const watch = (page: Page): void => {
    page.on('console', (m) => { if (m.type() === 'error') errors.push(`console: ${m.text()}`); });
    page.on('pageerror', (e) => errors.push(`page error: ${e.message}`));
  };
  context.on('page', watch);
  for (const p of context.pages()) watch(p);
  return {
    context, errors,
    page: async () => context.pages()[0] ?? context.newPage(),
    screenshot: async (page, name) => {
      mkdirSync(ARTIFACTS_DIR, { recursive: true });
      const path = join(ARTIFACTS_DIR, `${name}.png`);
      await page.screenshot({ path, fullPage: true });
      return path;
    },
    close: async () => {
      await context.close();
      rmSync(userDataDir, { recursive: true, force: true });
    },
  };
}
