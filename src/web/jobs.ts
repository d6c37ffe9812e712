/**
 * Where the Jobs page gets run progress: the RunSnapshot of each run, the same object the
 * terminal dashboard renders (src/observe/progress.ts). Under `gammaflow live` that is the live
 * run's own tracker; under `gammaflow serve`, the `/run/snapshot` endpoint of each run's metrics
 * server (`[web] job_endpoints`, default `[metrics] listen`), asked on every refresh.
 */
import type { ProgressTracker } from '../observe/progress.js';
import type { RunSnapshot } from '../observe/run-snapshot.js';
import { RUN_SNAPSHOT_PATH } from '../observe/snapshot-routes.js';

export interface JobView {
  /** Where the snapshot came from: `this process` or the metrics address. */
  readonly source: string;
  /** `running`: a snapshot was read; `unreachable`: nothing answered there (no run, or one with metrics off). */
  readonly state: 'running' | 'unreachable';
  readonly snapshot?: RunSnapshot;
  /** Why the source is unreachable. */
  readonly error?: string;
}

export type JobsProvider = () => Promise<JobView[]>;

export function localJobs(tracker: ProgressTracker): JobsProvider {
  return async () => [{ source: 'this process', state: 'running', snapshot: tracker.snapshot() }];
}

/** Asks each `host:port` for its run snapshot, `timeoutMs` each (in parallel). */
export function remoteJobs(addresses: readonly string[], timeoutMs = 1000): JobsProvider {
  return () => Promise.all(addresses.map(async (address): Promise<JobView> => {
    const url = `http://${address}${RUN_SNAPSHOT_PATH}`;
    try {
      const res = await fetch(url, { signal: AbortSignal.timeout(timeoutMs) });
      if (!res.ok) return { source: address, state: 'unreachable', error: `${url} answered HTTP ${res.status}` };
      return { source: address, state: 'running', snapshot: (await res.json()) as RunSnapshot };
    } catch (e) {
      const cause = (e as { cause?: { code?: string } }).cause?.code;
      return { source: address, state: 'unreachable', error: `no run answers at ${url}${cause ? ` (${cause})` : ''}` };
    }
  }));
}
