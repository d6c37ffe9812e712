/**
 * `gammaflow finalize`: turns a day's preliminary feature rows (computed live from the realtime
 * feed) into final ones computed from the published flat files, and reports what changed.
 *
 * For each requested trading day: the features partitions of every window size are read (the
 * rows before); `recompute` runs the `run` pipeline (ingest what the lake lacks or what changed
 * upstream — a flat file with another ETag is ingested again —, greeks, features), which replaces
 * each prelim partition atomically through DayWriter publish with `quality = final` rows; the
 * rows after are read and compared. The report (JSON, `LAKE/finalize-reports/symbol=S/date=D/report.json`,
 * written atomically) and a summary line give: rows compared and changed, changed values and
 * max abs/rel change per column, corrected and cancelled prints in the flat files (`correction`
 * ≠ 0, by code), trades in the flat files but not received live and the reverse (option trades
 * matched on contract, ms time, price, size, exchange — the feed has no trade id —, stock trades
 * on the same key; how many matched uniquely), and the ledger's gap intervals, resolved by the
 * flat files.
 *
 * Idempotent: when every partition of the day was already final and the recompute left it as it
 * was (same flat files, same settings), nothing is written and the day is reported as already final.
 */
import { closeSync, fsyncSync, mkdirSync, openSync, renameSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';
import type { Config } from '../config/schema.js';
import { decodeOpra, underlyingOfRoot } from '../formats/opra.js';
import { partitionDir } from '../lake/layout.js';
import { FinalizeQueries } from '../lake/queries/finalize.js';
import { ensureLocalPartition, partitionFilePaths } from '../lake/manifest.js';
import { withDayRun } from '../jobs/day-runner.js';
import { readLedger } from '../live/gap-ledger.js';
import { REALTIME_DATASETS } from '../live/realtime-columns.js';
import { compactRealtimeDay } from '../live/realtime-compact.js';
import type { ProgressTracker } from '../observe/progress.js';
import { compareRows, matchTrades, summaryLine, type RowComparison, type StoredRow, type TradeMatch } from './finalize-report.js';
import { publishedFeaturePartition, type PublishedFeaturePartition } from './output.js';

export interface FinalizeRequest {
  readonly lake: string;
  readonly symbol: string;
  /** Trading days to finalize. */
  readonly days: readonly string[];
  readonly windows: readonly string[];
  readonly config: Config;
  readonly tracker: ProgressTracker;
  /** Runs ingest → greeks → features for the days (the `run` pipeline), calling the hooks; resolves with its exit code. */
  readonly recompute: (hooks: RecomputeHooks) => Promise<number>;
  readonly version: string;
}

/**
 * Where finalize's own reads join the recompute, so that they run while it works instead of
 * before and after it.
 */
export interface RecomputeHooks {
  /** The flat files of these days are in the lake (ingest is over; greeks and features follow). */
  readonly ingested: (days: readonly string[]) => void;
  /** Awaited before the features step replaces any features partition; a rejection stops the recompute. */
  readonly beforeFeatures: () => Promise<void>;
}

export interface FinalizeReport {
  readonly symbol: string;
  readonly date: string;
  readonly finalizedAt: string;
  /** Policy and manifest run of each window's final partition. */
  readonly partitions: Readonly<Record<string, { policyId?: string; runId: string; qualityBefore?: string; sourceBefore?: string }>>;
  readonly rows: RowComparison;
  readonly correctedPrints: { readonly stocks: Readonly<Record<string, number>>; readonly options: Readonly<Record<string, number>>; readonly stocksTotal: number; readonly optionsTotal: number };
  readonly stockTrades?: TradeMatch;
  readonly optionTrades?: TradeMatch;
  readonly gapsResolved: number;
  readonly gaps: readonly unknown[];
}

export interface FinalizeDayOutcome {
  readonly date: string;
  readonly state: 'finalized' | 'already_final' | 'not_final';
  readonly message: string;
  readonly report?: FinalizeReport;
}

export const FINALIZE_REPORTS = 'finalize-reports';
export const finalizeReportPath = (lake: string, symbol: string, date: string): string =>
  join(partitionDir(lake, `${FINALIZE_REPORTS}/symbol=${symbol}`, date), 'report.json');

interface DaySnapshot {
  readonly partitions: Map<string, PublishedFeaturePartition | undefined>;
  readonly rows: StoredRow[];
}

export async function runFinalize(req: FinalizeRequest): Promise<{ exitCode: number; outcomes: FinalizeDayOutcome[] }> {
  const duck = await DuckDBInstance.create(':memory:', { threads: '2', memory_limit: req.config.storage.duckdb_memory_limit });
  const queries = new FinalizeQueries(duck, req.lake);
  try {
    // The rows before are read while ingest runs (it does not touch features partitions); the
    // features step waits for them. The flat-file facts (corrected prints, trade matching) are
    // read while greeks and features run. Each read is awaited where its result is used, so
    // its error, if any, is reported there.
    const started = performance.now();
    let snapshotMs = 0;
    const beforeAll = Promise.all(req.days.map(async (date) => [date, await snapshot(queries, req, date)] as const))
      .then((entries) => { snapshotMs = performance.now() - started; return new Map(entries); });
    beforeAll.catch(() => undefined);
    const facts = new Map<string, Promise<FlatFileFacts>>();
    const factsOf = (date: string): Promise<FlatFileFacts> => {
      let f = facts.get(date);
      if (f === undefined) {
        facts.set(date, f = flatFileFacts(queries, req, date));
        f.catch(() => undefined);
      }
      return f;
    };
    const wanted = new Set(req.days);
    const code = await req.recompute({
      ingested: (days) => { for (const date of days) if (wanted.has(date)) void factsOf(date); },
      beforeFeatures: async () => { await beforeAll; },
    });
    const before = await beforeAll;
    const recomputeMs = performance.now() - started;
    const reportStarted = performance.now();
    const outcomes: FinalizeDayOutcome[] = [];
    for (const date of req.days) {
      const after = await snapshot(queries, req, date);
      const old = before.get(date)!;
      const notFinal = req.windows.filter((w) => after.partitions.get(w)?.quality !== 'final');
      if (notFinal.length > 0) {
        const message = `finalize ${req.symbol} ${date}: not final (window ${notFinal.join(', ')}): the flat files are not all published or a step failed; see above`;
        req.tracker.error(message);
        outcomes.push({ date, state: 'not_final', message });
        continue;
      }
      const unchanged = req.windows.every((w) => {
        const a = old.partitions.get(w), b = after.partitions.get(w);
        return a?.quality === 'final' && a.entry.runId === b?.entry.runId && a.entry.publishedAt === b?.entry.publishedAt;
      });
      if (unchanged) {
        const message = `finalize ${req.symbol} ${date}: already final from the same flat files and settings; nothing changed`;
        req.tracker.log('info', message);
        outcomes.push({ date, state: 'already_final', message });
        continue;
      }
      const report = buildReport(req, date, old, after, await factsOf(date));
      writeReport(finalizeReportPath(req.lake, req.symbol, date), report);
      const message = summaryLine(req.symbol, date, {
        comparison: report.rows, corrections: { stocks: report.correctedPrints.stocksTotal, options: report.correctedPrints.optionsTotal },
        ...(report.optionTrades ? { optionTrades: report.optionTrades } : {}), ...(report.stockTrades ? { stockTrades: report.stockTrades } : {}),
        gapsResolved: report.gapsResolved,
      });
      req.tracker.log('info', message);
      outcomes.push({ date, state: 'finalized', message, report });
    }
    const reportMs = performance.now() - reportStarted;
    const compactStarted = performance.now();
    await compactDays(duck, req, outcomes.filter((o) => o.state !== 'not_final').map((o) => o.date));
    req.tracker.log('info', `finalize ${req.symbol}: rows before ${seconds(snapshotMs)} (during ingest), ingest, greeks and features ${seconds(recomputeMs)}, comparison and report ${seconds(reportMs)}, `
      + `realtime compaction ${seconds(performance.now() - compactStarted)}`);
    const exitCode = Math.max(code, outcomes.some((o) => o.state === 'not_final') ? 1 : 0);
    return { exitCode, outcomes };
  } finally {
    duck.closeSync();
  }
}

/** Compacts the realtime tables of the final days (the per-flush files of live), each partition under its lock. */
async function compactDays(duck: DuckDBInstance, req: FinalizeRequest, days: readonly string[]): Promise<void> {
  if (days.length === 0) return;
  await withDayRun({ lake: req.lake, tracker: req.tracker }, async (run) => {
    for (const date of days) {
      // The three tables side by side: each streams from DuckDB while another encodes.
      await Promise.all(REALTIME_DATASETS.map(async (dataset) => {
        const done = await compactRealtimeDay(duck, {
          lake: req.lake, dataset, date, runId: run.runId, rowGroupRows: req.config.storage.row_group_rows,
          fileSizeTargetBytes: req.config.storage.file_size_mb_target * 1024 * 1024, zstdLevel: req.config.storage.zstd_level, version: req.version,
        });
        if (done !== undefined) req.tracker.log('info', `${dataset} ${date}: ${done.files} files compacted (${done.rows.toLocaleString('en-US')} events)`);
      }));
    }
  });
}

const seconds = (ms: number): string => `${(ms / 1000).toFixed(1)} s`;

async function snapshot(queries: FinalizeQueries, req: FinalizeRequest, date: string): Promise<DaySnapshot> {
  const partitions = new Map<string, PublishedFeaturePartition | undefined>();
  const rows: StoredRow[] = [];
  for (const window of req.windows) {
    const p = await publishedFeaturePartition(req.lake, req.symbol, window, date);
    partitions.set(window, p);
    if (p === undefined) continue;
    const files = await partitionFilePaths(req.lake, p.entry);
    rows.push(...((await queries.rowsOf(files)) as StoredRow[]));
  }
  return { partitions, rows };
}

/** What the report says of a day's flat files: corrected prints and the trades matched against the realtime tables. */
interface FlatFileFacts {
  readonly stocks: Record<string, number>;
  readonly options: Record<string, number>;
  readonly stockTrades?: TradeMatch;
  readonly optionTrades?: TradeMatch;
}

async function flatFileFacts(queries: FinalizeQueries, req: FinalizeRequest, date: string): Promise<FlatFileFacts> {
  const { lake, symbol } = req;
  const roots = req.config.aggregations.option_roots;
  const stockSelection = { ticker: symbol }, optionSelection = { options: { underlying: symbol, extraRoots: roots } };
  for (const dataset of ['stocks-trades', 'options-trades']) await ensureLocalPartition(lake, dataset, date);
  const stocks = await queries.correctionsByCode('stocks-trades', date, stockSelection);
  const options = await queries.correctionsByCode('options-trades', date, optionSelection);
  const stockTrades = await queries.hasParts('realtime-stocks-trades', date)
    ? matchTrades(await queries.tradeKeyGroups('stocks-trades', 'realtime-stocks-trades', date, stockSelection)) : undefined;
  let optionTrades: TradeMatch | undefined;
  if (await queries.hasParts('realtime-options-trades', date)) {
    const tickers = (await queries.tickers('realtime-options-trades', date)).filter((t) => {
      const decoded = decodeOpra(t);
      return decoded.ok && (underlyingOfRoot(decoded.contract.root) === symbol || roots.includes(decoded.contract.root));
    });
    optionTrades = matchTrades(await queries.tradeKeyGroups('options-trades', 'realtime-options-trades', date, optionSelection, tickers));
  }
  return { stocks, options, ...(stockTrades ? { stockTrades } : {}), ...(optionTrades ? { optionTrades } : {}) };
}

function buildReport(req: FinalizeRequest, date: string, before: DaySnapshot, after: DaySnapshot, facts: FlatFileFacts): FinalizeReport {
  const { lake, symbol } = req;
  const { stocks, options, stockTrades, optionTrades } = facts;
  const sum = (o: Record<string, number>): number => Object.values(o).reduce((n, v) => n + v, 0);
  const gaps = readLedger(lake, date).filter((e) => e.type === 'gap' || e.type === 'dropped');
  const partitions = Object.fromEntries(req.windows.map((w) => {
    const a = after.partitions.get(w)!, b = before.partitions.get(w);
    return [w, {
      ...(a.policy ? { policyId: a.policy.id } : {}), runId: a.entry.runId,
      ...(b?.quality ? { qualityBefore: b.quality } : {}), ...(b?.source ? { sourceBefore: b.source } : {}),
    }];
  }));
  return {
    symbol, date, finalizedAt: new Date().toISOString(), partitions, rows: compareRows(before.rows, after.rows),
    correctedPrints: { stocks, options, stocksTotal: sum(stocks), optionsTotal: sum(options) },
    ...(stockTrades ? { stockTrades } : {}), ...(optionTrades ? { optionTrades } : {}),
    gapsResolved: gaps.filter((g) => g.type === 'gap').length, gaps,
  };
}

/** Writes the report whole: temporary file, fsync, rename. */
function writeReport(path: string, report: FinalizeReport): void {
  mkdirSync(join(path, '..'), { recursive: true });
  const tmp = `${path}.${process.pid}.tmp`;
  const fd = openSync(tmp, 'w');
  try {
    writeSync(fd, JSON.stringify(report, (_k, v: unknown) => (typeof v === 'bigint' ? v.toString() : v), 2) + '\n');
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  renameSync(tmp, path);
}
