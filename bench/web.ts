/**
 * The web dashboard's day view on the demo day, in headless Chromium: time from navigation to every
 * chart drawn (the page's `data-render-ms`: request → last chart, and the wall time of the whole
 * page load), selecting another window, and switching to 1-minute windows.
 *
 *   node dist/bench/web.js [--lake DIR] [--runs N]
 *
 * Without --lake, the demo day is made first (`gammaflow demo`, as `npm run demo`) in a temporary
 * folder. Needs Chromium (/usr/bin/chromium or CHROMIUM_PATH).
 */
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { openBrowser } from '../test/support/browser.js';

const CLI = fileURLToPath(new URL('../src/cli/main.js', import.meta.url));

function quantile(values: number[], q: number): number {
  const s = [...values].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor(q * s.length))]!;
}

export async function main(argv: readonly string[] = process.argv.slice(2)): Promise<void> {
  const { values } = parseArgs({ args: [...argv], options: { lake: { type: 'string' }, runs: { type: 'string', default: '10' } } });
  const runs = Number(values.runs);
  const work = mkdtempSync(join(tmpdir(), 'gf-bench-web-'));
  writeFileSync(join(work, 'config.toml'), '[metrics]\nlisten = "0"\n');
  let lake = values.lake === undefined ? undefined : resolve(values.lake);
  if (lake === undefined) {
    lake = join(work, 'lake');
    process.stderr.write('making the demo day (gammaflow demo) ...\n');
    const demo = spawnSync(process.execPath, [CLI, 'demo', '--data', join(work, 'data'), '--lake', lake, '--no-tui'], { cwd: work, stdio: ['ignore', 'ignore', 'inherit'] });
    if (demo.status !== 0) throw new Error(`gammaflow demo failed (exit ${demo.status})`);
  }
  const serve = spawn(process.execPath, [CLI, 'serve', '--lake', lake, '--port', '0'], { cwd: work, stdio: ['ignore', 'pipe', 'inherit'] });
  const browser = await openBrowser({ width: 1400, height: 1000 });
  try {
    if (browser === undefined) throw new Error('no Chromium (/usr/bin/chromium or CHROMIUM_PATH)');
    const url = await new Promise<string>((resolve, reject) => {
      let out = '';
      serve.stdout!.on('data', (d: Buffer) => { out += d.toString(); const line = out.split('\n').find((l) => l.startsWith('http://')); if (line) resolve(line.trim()); });
      serve.once('exit', (code) => reject(new Error(`serve exited ${code}`)));
    });
    const page = await browser.page();
    const load: number[] = [];
    const render: number[] = [];
    const select: number[] = [];
    const oneMinute: number[] = [];
    let info = '';
    for (let i = 0; i <= runs; i++) {
      await page.goto('about:blank');
      const t0 = performance.now();
      await page.goto(`${url}#day`);
      await page.waitForSelector('#day[data-state="ready"]', { timeout: 60_000 });
      const loaded = performance.now() - t0;
      const renderMs = Number(await page.getAttribute('#day', 'data-render-ms'));
      if (i === 0) info = await page.textContent('#day .summary') ?? '';
      const options = await page.evaluate<string[]>(`[...document.querySelectorAll('#day-selected-window option')].map((o) => o.value)`);
      const t1 = performance.now();
      await page.selectOption('#day-selected-window', options[(i * 7 + 3) % options.length]!);
      await page.waitForFunction(`document.querySelector('#day').dataset.state === 'ready'`, undefined, { timeout: 60_000 });
      const selected = performance.now() - t1;
      const t2 = performance.now();
      await page.selectOption('#day-window', '1m');
      await page.waitForFunction(`document.querySelector('#day').dataset.rows === '390' && document.querySelector('#day').dataset.state === 'ready'`, undefined, { timeout: 60_000 });
      const minute = performance.now() - t2;
      if (i === 0) continue; // warm-up: DuckDB and the browser's caches
      load.push(loaded); render.push(renderMs); select.push(selected); oneMinute.push(minute);
    }
    const row = (name: string, v: number[]): string => `| ${name} | ${quantile(v, 0.5).toFixed(0)} | ${quantile(v, 0.9).toFixed(0)} | ${Math.max(...v).toFixed(0)} |`;
    process.stdout.write([
      `day view, ${runs} runs after one warm-up; ${info}`,
      '',
      '| measure (ms) | p50 | p90 | max |',
      '|---|---:|---:|---:|',
      row('page load → every chart drawn (5m windows)', load),
      row('data-render-ms: first request → last chart', render),
      row('another window selected → smile, strikes, table redrawn', select),
      row('window size 5m → 1m, all charts redrawn', oneMinute),
      '',
    ].join('\n'));
    if (browser.errors.length > 0) throw new Error(`page errors: ${browser.errors.join('; ')}`);
  } finally {
    await browser?.close();
    serve.kill('SIGTERM');
    rmSync(work, { recursive: true, force: true });
  }
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) await main();
