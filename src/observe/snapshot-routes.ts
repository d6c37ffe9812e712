/**
 * The run snapshot over HTTP, on a run's metrics server: `GET /run/snapshot` (the tracker's
 * RunSnapshot as JSON, the same object every terminal view renders) and `GET /run/stream`
 * (Server-Sent Events: `data: <snapshot JSON>` every `intervalMs`, and once at connect). The web
 * dashboard's Jobs page reads them (src/web), directly under `gammaflow live` and through
 * `[web] job_endpoints` under `gammaflow serve`.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { ProgressTracker } from './progress.js';

export interface SnapshotRouteTarget {
  route(path: string, handler: (req: IncomingMessage, res: ServerResponse) => void | Promise<void>): void;
}

export const RUN_SNAPSHOT_PATH = '/run/snapshot';
export const RUN_STREAM_PATH = '/run/stream';

export interface SnapshotRoutes {
  /** Ends the open SSE responses and stops their timers. */
  close(): void;
}

export function attachSnapshotRoutes(server: SnapshotRouteTarget, tracker: ProgressTracker, intervalMs = 1000): SnapshotRoutes {
  const clients = new Set<ServerResponse>();
  server.route(RUN_SNAPSHOT_PATH, (req, res) => {
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.writeHead(405, { allow: 'GET, HEAD', 'content-type': 'text/plain; charset=utf-8' });
      res.end('method not allowed\n');
      return;
    }
    res.writeHead(200, { 'content-type': 'application/json; charset=utf-8', 'cache-control': 'no-store' });
    res.end(req.method === 'HEAD' ? undefined : JSON.stringify(tracker.snapshot()) + '\n');
  });
  server.route(RUN_STREAM_PATH, (req, res) => {
    if (req.method !== 'GET') {
      res.writeHead(405, { allow: 'GET', 'content-type': 'text/plain; charset=utf-8' });
      res.end('method not allowed\n');
      return;
    }
    res.writeHead(200, { 'content-type': 'text/event-stream; charset=utf-8', 'cache-control': 'no-store', connection: 'keep-alive' });
    res.write(`data: ${JSON.stringify(tracker.snapshot())}\n\n`);
    clients.add(res);
    const forget = (): void => { clients.delete(res); };
    res.on('close', forget);
    req.on('close', forget);
  });
  const timer = setInterval(() => {
    if (clients.size === 0) return;
    const message = `data: ${JSON.stringify(tracker.snapshot())}\n\n`;
    for (const res of clients) {
      // A client that does not read is dropped rather than buffered without bound.
      if (res.writableLength > 1024 * 1024) { clients.delete(res); res.destroy(); continue; }
      res.write(message);
    }
  }, intervalMs);
  timer.unref();
  return {
    close: () => {
      clearInterval(timer);
      for (const res of clients) res.end();
      clients.clear();
    },
  };
}
