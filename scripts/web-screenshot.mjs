// Saves the README's screenshot of the day view: node scripts/web-screenshot.mjs LAKE [OUT.png]
// (LAKE: a lake made by `npm run demo`; OUT default docs/img/day-view.png). Needs the build and Chromium.
import { spawn } from 'node:child_process';
import { resolve } from 'node:path';
import { openBrowser } from '../dist/test/support/browser.js';

const lake = resolve(process.argv[2] ?? 'lake');
const out = resolve(process.argv[3] ?? 'docs/img/day-view.png');
const serve = spawn(process.execPath, ['dist/src/cli/main.js', 'serve', '--lake', lake, '--port', '0'], { stdio: ['ignore', 'pipe', 'inherit'] });
const url = await new Promise((ok, fail) => {
  let text = '';
  serve.stdout.on('data', (d) => { text += d; const line = text.split('\n').find((l) => l.startsWith('http://')); if (line) ok(line.trim()); });
  serve.once('exit', (code) => fail(new Error(`serve exited ${code}`)));
});
const browser = await openBrowser({ width: 1400, height: 1150 });
try {
  const page = await browser.page();
  await page.goto(`${url}#day`);
  await page.waitForSelector('#day[data-state="ready"]', { timeout: 60_000 });
  await page.waitForTimeout(500);
  await page.screenshot({ path: out });
  if (browser.errors.length > 0) throw new Error(browser.errors.join('; '));
  console.log(out);
} finally {
  await browser.close();
  serve.kill('SIGTERM');
}
