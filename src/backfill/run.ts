/**
 * `gammaflow backfill`: one symbol's ticks of some days from Massive's REST
 * API into the lake, as flat-file ingest would have written them.
 *
 * Per (dataset, day): the tickers (the symbol for stocks; every contract of
 * its roots listed that day for options), each fetched page by page into a
 * spool with a journaled cursor (spool.ts; a kill -9 loses at most the pages in
 * flight and duplicates nothing), then the day's spools are published through
 * DayWriter (assemble.ts) with source `rest`. A day already in the lake from
 * flat files is left alone unless `force`; `ingest` later replaces a REST day
 * with the flat file as soon as Massive publishes it (its source differs).
 */
import { createHash } from 'node:crypto';
import type { DatasetSpec } from '../formats/datasets.js';
import { underlyingOfRoot, decodeOpra } from '../formats/opra.js';
import { readManifest, partitionMatches, type ManifestEntry } from '../lake/manifest.js';
import type { ProgressTracker } from '../observe/progress.js';
import type { RestClient } from '../sources/rest/client.js';
import { listContracts } from '../sources/rest/contracts.js';
import { GammaflowError, errorMessage } from '../util/errors.js';
import { withDayRun, type DayContext, type DayWork, type WorkKey } from '../jobs/day-runner.js';
import { assembleDay } from './assemble.js';
import { fetchTicker } from './fetch-ticker.js';
import type { BackfillProgress } from './progress.js';
import { DaySpool } from './spool.js';

export type BackfillState = 'backfilled' | 'skipped' | 'failed' | 'abandoned';

export interface BackfillOutcome {
  readonly dataset: string;
  readonly date: string;
  readonly state: BackfillState;
  readonly message: string;
  readonly errorCode?: string;
  readonly entry?: ManifestEntry;
}

export interface BackfillRequest {
  readonly symbol: string;
  readonly days: readonly string[];
  readonly datasets: readonly DatasetSpec[];
  readonly lake: string;
  readonly client: RestClient;
  readonly force: boolean;
  /** Tickers fetched at once (the client's limiter bounds the requests). */
  readonly tickerConcurrency: number;
  readonly batchRows: number;
  readonly rowGroupRows: number;
  readonly fileSizeTargetBytes: number;
  readonly zstdLevel: number;
  readonly useWorkerWriter: boolean;
  /** Which (dataset, day) items of the work list this run does (a shard's share, src/jobs/shard.ts); default all. */
  readonly selectWork?: (key: WorkKey) => boolean;
  readonly tracker: ProgressTracker;
  readonly progress: BackfillProgress;
  readonly signal?: AbortSignal;
  readonly version: string;
}

export interface BackfillResult {
  readonly outcomes: BackfillOutcome[];
  readonly exitCode: number;
}

export const restSourceKey = (dataset: string, date: string): string => `rest:${dataset}/${date}`;
export const isRestEntry = (e: ManifestEntry): boolean => e.source.key.startsWith('rest:');

/** Whether an ingest filter (`tickers=A,B` / `underlyings=A,B`, absent = every row) holds `name`. */
function filterHolds(filter: string | undefined, name: string): boolean {
  if (filter === undefined) return true;
  return filter.slice(filter.indexOf('=') + 1).split(',').includes(name);
}

type BackfillWork = DayWork & { readonly dataset: DatasetSpec };

export async function runBackfill(req: BackfillRequest): Promise<BackfillResult> {
  return withDayRun({
    lake: req.lake, tracker: req.tracker, ...(req.signal ? { signal: req.signal } : {}), ...(req.selectWork ? { selectWork: req.selectWork } : {}),
  }, async (run) => {
    const works: BackfillWork[] = req.days.flatMap((date) => req.datasets.map((dataset) => ({
      dataset, key: { dataset: dataset.name, day: date, symbol: req.symbol }, id: `${dataset.name}/${date}`, label: restSourceKey(dataset.name, date),
    })));
    const outcomes = await run.days(works, {
      command: 'backfill',
      run: (w, day) => backfillDay(req, day, w),
      notRun: (w, message): BackfillOutcome => ({ dataset: w.dataset.name, date: w.key.day, state: 'abandoned', message }),
      threw: (w, failure): BackfillOutcome => ({
        dataset: w.dataset.name, date: w.key.day, state: failure.stopped ? 'abandoned' : 'failed', message: failure.message,
        ...(failure.stopped ? {} : { errorCode: failure.error instanceof GammaflowError ? failure.error.code : 'error' }),
      }),
      describeError: (w, e) => {
        const what = e instanceof GammaflowError ? e.message : errorMessage(e);
        return { message: `${w.dataset.name} ${w.key.day}: ${what}`, progressMessage: what };
      },
      stoppedNote: 'stopped: fetched pages are kept, rerun to resume',
      stoppedMessage: 'stopped by the user; nothing was published for this day, the pages fetched so far are kept for the next run',
      // A refused key or plan refuses every other day alike: stop at the first.
      stopAfter: (o) => (o.state === 'failed' && o.errorCode === 'access_denied' ? o.message : undefined),
    });
    const ok = outcomes.every((o) => o.state === 'backfilled' || o.state === 'skipped');
    return { outcomes, exitCode: ok ? 0 : 1 };
  });
}

/** One (dataset, day) of the symbol: skipped when the lake holds it already, else fetched and published; throws on failure. */
async function backfillDay(req: BackfillRequest, day: DayContext, w: BackfillWork): Promise<BackfillOutcome> {
  const { dataset } = w;
  const date = w.key.day, id = day.id, runId = day.runId;
  const { tracker, symbol } = req;
  const base = { dataset: dataset.name, date };
  const previous = (await readManifest(req.lake, dataset.name)).get(date);
  if (previous !== undefined && !isRestEntry(previous) && !req.force && (await partitionMatches(req.lake, previous))) {
    const has = filterHolds(previous.filter, symbol);
    const message = has
      ? `already in the lake from flat files (${previous.source.key}); --force backfills it from REST anyway`
      : `in the lake from flat files filtered ${previous.filter}, without ${symbol}: ingest it with the filter including ${symbol}, or --force to replace the day with REST data`;
    day.skipped(message);
    if (!has) tracker.log('warn', `${dataset.name} ${date}: ${message}`);
    return { ...base, state: 'skipped', message, ...(previous ? { entry: previous } : {}) };
  }

  const spool = await DaySpool.open(req.lake, dataset.name, date);
  const controller = new AbortController();
  const signal = req.signal ? AbortSignal.any([req.signal, controller.signal]) : controller.signal;
  try {
    day.started();
    // The tickers of this symbol on this day.
    let tickers: string[];
    if (dataset.filterKind === 'tickers') {
      tickers = [symbol];
    } else {
      let listed = req.force ? undefined : await spool.loadContracts(symbol);
      if (listed === undefined) {
        const r = await listContracts(req.client, symbol, date, signal);
        if (r.undecodable.length > 0) tracker.log('warn', `${dataset.name} ${date}: ${r.undecodable.length} listed contract(s) of ${symbol} are not OPRA tickers and were left out (e.g. ${r.undecodable[0]})`);
        listed = r.tickers;
        if (listed.length === 0) tracker.log('warn', `${dataset.name} ${date}: Massive lists no option contract of ${symbol} for ${date}`);
      }
      tickers = listed;
    }
    if (req.force) await spool.reset(tickers);
    if (dataset.filterKind === 'underlyings') await spool.saveContracts(symbol, tickers);

    const pending = tickers.filter((tk) => !spool.state(tk).done);
    if (pending.length < tickers.length && pending.length > 0) {
      tracker.log('info', `${dataset.name} ${date}: resuming, ${tickers.length - pending.length} of ${tickers.length} ticker(s) already fetched`);
    }
    req.progress.tickersPlanned(pending.length);
    let first: unknown;
    let next = 0;
    const worker = async (): Promise<void> => {
      while (next < pending.length && first === undefined && !signal.aborted) {
        const ticker = pending[next++]!;
        try {
          await fetchTicker({
            client: req.client, spool, dataset, date, ticker, signal,
            events: { page: (p) => { req.progress.page(p.added, p.duplicates); if (p.added > 0) tracker.fileRows(id, { parsed: p.added }); } },
          });
          req.progress.tickerDone();
        } catch (e) {
          // The first failure is the one reported; the others stop.
          if (first === undefined && !(req.signal?.aborted)) { first = e; controller.abort(e); }
        }
      }
    };
    await Promise.all(Array.from({ length: Math.max(1, Math.min(req.tickerConcurrency, pending.length)) }, worker));
    if (first !== undefined) throw first;
    if (req.signal?.aborted) throw req.signal.reason;

    // Publish the union of the symbols fully fetched for this day (an earlier backfill of another symbol included).
    const included = await completeTickers(spool, dataset, symbol, tickers);
    const symbols = [...new Set(included.symbols)].sort();
    const filter = `${dataset.filterKind}=${symbols.join(',')}`;
    const fingerprint = createHash('sha256');
    let rows = 0;
    for (const tk of included.tickers) {
      const s = spool.state(tk);
      fingerprint.update(`${tk}\t${s.bytes}\t${s.rows}\n`);
      rows += s.rows;
    }
    const source = { description: `rest ${req.client.baseUrl}`, key: restSourceKey(dataset.name, date), size: rows, etag: fingerprint.digest('hex').slice(0, 32) };
    if (!req.force && previous !== undefined && isRestEntry(previous) && previous.source.etag === source.etag && previous.filter === filter
      && previous.schemaVersion === dataset.schemaVersion && (await partitionMatches(req.lake, previous))) {
      const message = `already backfilled (${previous.rows.toLocaleString('en-US')} rows, ${filter})`;
      day.skipped(message);
      return { ...base, state: 'skipped', message, entry: previous };
    }
    tracker.filePublishing(id);
    const entry = await assembleDay({
      lake: req.lake, runId, dataset, date, spool, tickers: included.tickers, filter, source,
      batchRows: req.batchRows, rowGroupRows: req.rowGroupRows, fileSizeTargetBytes: req.fileSizeTargetBytes, zstdLevel: req.zstdLevel,
      useWorkerWriter: req.useWorkerWriter, version: req.version, signal,
      onRows: (d) => { if (d.rejected) tracker.fileRows(id, { rejected: d.rejected }); if (d.written) tracker.fileRows(id, { written: d.written }); },
    });
    const message = `${entry.rows.toLocaleString('en-US')} rows of ${included.tickers.length} ticker(s) (${filter}) in ${entry.files.length} file(s)`
      + (entry.rowsRejected ? `, ${entry.rowsRejected} rejected row(s) quarantined` : '');
    day.done(message);
    if (entry.rowsRejected > 0) tracker.log('warn', `${dataset.name} ${date}: ${entry.rowsRejected} malformed REST row(s) quarantined under _rejects/${dataset.name}/date=${date}/`);
    return { ...base, state: 'backfilled', message, entry };
  } finally {
    await spool.close();
  }
}

/**
 * The tickers to publish: this symbol's, and those of every other symbol
 * backfilled on this day whose tickers are all fetched.
 */
async function completeTickers(spool: DaySpool, dataset: DatasetSpec, symbol: string, tickers: readonly string[]): Promise<{ tickers: string[]; symbols: string[] }> {
  const done = spool.doneTickers();
  if (dataset.filterKind === 'tickers') return { tickers: done, symbols: done };
  const out = new Set(tickers);
  const symbols = [symbol];
  const others = new Set<string>();
  for (const tk of done) {
    if (out.has(tk)) continue;
    const r = decodeOpra(tk);
    if (r.ok) others.add(underlyingOfRoot(r.contract.root));
  }
  for (const other of others) {
    const listed = await spool.loadContracts(other);
    if (listed === undefined || !listed.every((tk) => spool.state(tk).done)) continue;
    for (const tk of listed) out.add(tk);
    symbols.push(other);
  }
  return { tickers: [...out], symbols };
}
