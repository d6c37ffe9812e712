/** `gammaflow serve`: the web dashboard over a lake (src/web/serve.ts). */
import { csvList, parseCommand } from './args.js';
import { EXIT_OK, UsageError } from './report.js';
import { lakeOption, loadCliConfig } from './common.js';
import { parseListenAddress } from '../config/listen.js';
import { startWebServer } from '../web/serve.js';

export const SERVE_HELP = `gammaflow serve [--lake DIR] [--port 8080] [--host 127.0.0.1] [--live URL,...] [--config FILE]

A web dashboard over the lake: the day view (underlying price, calls vs puts dadvv and gadvv,
aggressive buys vs sells, dip p-values, the IV smile and gadvv by strike of a selected window,
its feature table), the Live page of running gammaflow live processes, the Jobs page (progress
of running ingest/greeks/features/run/live) and CSV/Parquet downloads. JSON API under /api (docs/web.md). Prints the URL on stdout; runs until
Ctrl-C / SIGTERM.

  --lake DIR      lake directory (default: storage.lake, ./lake)
  --host HOST     address to bind (default: from [web] listen, 127.0.0.1); a non-loopback
                  address needs [web] allow_remote = true
  --port PORT     port (default: from [web] listen, 8080); 0 picks a free port
  --live URLS     gammaflow live processes the Live page shows, comma-separated metrics URLs
                  such as http://127.0.0.1:9090 (default: [web] live_urls); live processes
                  writing to the lake are found without it (LAKE/_live)
  --config FILE   config file (default ./config.toml)`;

export async function serveCommand(argv: string[]): Promise<number> {
  const { values } = parseCommand('serve', argv, {
    lake: { type: 'string' }, host: { type: 'string' }, port: { type: 'string' }, live: { type: 'string' }, config: { type: 'string' },
    help: { type: 'boolean', short: 'h' },
  });
  if (values.help) { process.stdout.write(SERVE_HELP + '\n'); return EXIT_OK; }
  if (values.port !== undefined && !/^\d{1,5}$/.test(values.port)) throw new UsageError(`--port: expected a port number 0-65535, got "${values.port}"`);
  const port = values.port !== undefined ? Number(values.port) : undefined;
  if (port !== undefined && port > 65_535) throw new UsageError(`--port: expected a port number 0-65535, got "${values.port}"`);
  if (values.host !== undefined && !/^(\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9.:-]+)$/.test(values.host)) throw new UsageError(`--host: "${values.host}" is not a host name or address`);
  const liveUrls = csvList(values.live);
  for (const url of liveUrls ?? []) {
    if (!/^https?:\/\/[^\s/]+\/?$/.test(url)) throw new UsageError(`--live: expected the http://host:port of a gammaflow live process, got "${url}"`);
  }
  const { config } = await loadCliConfig(values.config, false);
  const listen = parseListenAddress(config.web.listen)!;
  const host = (values.host ?? listen.host).replace(/^\[(.*)\]$/, '$1');
  const lake = lakeOption(values.lake, config);
  const server = await startWebServer({
    config, lake, host, port: port ?? listen.port, ...(liveUrls ? { liveUrls } : {}),
    log: (level, message) => process.stderr.write(`${level === 'warn' ? 'warning: ' : ''}${message}\n`),
  });
  process.stdout.write(`${server.url}/\n`);
  process.stderr.write(`gammaflow serve: the dashboard of ${lake} at ${server.url}/ (Ctrl-C to stop)\n`);
  await new Promise<void>((resolve) => {
    const stop = (): void => { process.off('SIGINT', stop); process.off('SIGTERM', stop); resolve(); };
    process.on('SIGINT', stop);
    process.on('SIGTERM', stop);
  });
  await server.close();
  return EXIT_OK;
}
