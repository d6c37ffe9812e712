// Builds the browser app into dist/web/: the client TypeScript (web/src → dist/web/assets, ES
// modules), the static files (web/public) and uPlot (node_modules/uplot → dist/web/assets/vendor).
// Every asset is served by the gammaflow process itself: the page works offline.
import { spawnSync } from 'node:child_process';
import { copyFileSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const out = join(root, 'dist', 'web');
const tsc = join(root, 'node_modules', 'typescript', 'bin', 'tsc');
const built = spawnSync(process.execPath, [tsc, '-p', join(root, 'web', 'tsconfig.json')], { stdio: 'inherit' });
if (built.status !== 0) process.exit(built.status ?? 1);
mkdirSync(join(out, 'assets', 'vendor'), { recursive: true });
for (const name of readdirSync(join(root, 'web', 'public'))) copyFileSync(join(root, 'web', 'public', name), join(out, name));
const uplot = dirname(createRequire(import.meta.url).resolve('uplot/package.json'));
for (const name of ['uPlot.esm.js', 'uPlot.min.css']) copyFileSync(join(uplot, 'dist', name), join(out, 'assets', 'vendor', name));
copyFileSync(join(uplot, 'LICENSE'), join(out, 'assets', 'vendor', 'uPlot.LICENSE'));
// Every module is announced in the page (modulepreload): the browser fetches them at once instead of discovering
// them import by import.
const modules = [...readdirSync(join(out, 'assets')).filter((n) => n.endsWith('.js')).map((n) => `/assets/${n}`), '/assets/vendor/uPlot.esm.js'];
const index = join(out, 'index.html');
const preload = modules.map((m) => `  <link rel="modulepreload" href="${m}">`).join('\n');
writeFileSync(index, readFileSync(index, 'utf8').replace('<!-- modulepreload -->', preload.trimStart()));
