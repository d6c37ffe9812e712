/**
 * The browser app's files (built by scripts/build-web.mjs into dist/web/: index.html, app.css,
 * the compiled client modules under assets/, uPlot under assets/vendor/) and the feature
 * definitions (docs/features.md), read once into memory when the server starts: every asset
 * ships in the package and is served from this process, so the page works offline.
 */
import { readdir, readFile, stat } from 'node:fs/promises';
import { extname, join, relative, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { GammaflowError } from '../util/errors.js';

/** dist/web/ (this module compiles to dist/src/web/assets.js). */
export const DEFAULT_ASSETS_DIR = fileURLToPath(new URL('../../web/', import.meta.url));
/** The package's docs/ folder. */
export const DEFAULT_DOCS_DIR = fileURLToPath(new URL('../../../docs/', import.meta.url));

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.png': 'image/png',
  '.svg': 'image/svg+xml',
  '.map': 'application/json; charset=utf-8',
  '.md': 'text/plain; charset=utf-8',
};

export interface Asset {
  readonly body: Uint8Array;
  readonly type: string;
}

/** URL path (`/assets/app.js`) → file. */
export type AssetMap = ReadonlyMap<string, Asset>;

async function walk(dir: string, out: string[]): Promise<string[]> {
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) await walk(path, out);
    else if (entry.isFile()) out.push(path);
  }
  return out;
}

/** Every file of the assets folder plus `/docs/features.md`; a clear error when the web app was not built. */
export async function loadAssets(assetsDir = DEFAULT_ASSETS_DIR, docsDir = DEFAULT_DOCS_DIR): Promise<AssetMap> {
  const index = join(assetsDir, 'index.html');
  try {
    await stat(index);
  } catch {
    throw new GammaflowError('web', `the web app is not built: ${index} is missing (run npm run build)`, { path: index });
  }
  const assets = new Map<string, Asset>();
  for (const path of await walk(assetsDir, [])) {
    const type = TYPES[extname(path)];
    if (type === undefined) continue;
    assets.set('/' + relative(assetsDir, path).split(sep).join('/'), { body: await readFile(path), type });
  }
  try {
    assets.set('/docs/features.md', { body: await readFile(join(docsDir, 'features.md')), type: TYPES['.md']! });
  } catch {
    // A package without docs still serves the app; the definitions link then answers 404.
  }
  return assets;
}
