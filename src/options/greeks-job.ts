/**
 * The greeks enrichment job: for each day, one symbol's option trades joined as-of with its
 * underlying trades and priced (enrich.ts), written to LAKE/options-greeks/symbol=S/date=D/ through the
 * DayWriter (staged, published atomically with a manifest entry).
 *
 *   stocks-trades/date=D ──(DuckDB: ticker = SYMBOL, sorted)──┐
 *                                                            ├─ merge by (sip_timestamp, underlying
 *   options-trades/date=D ─(DuckDB: underlying/roots, sorted)─┘   first, sequence) ─ OptionEnricher
 *                                                                  ─ columns ─ DayWriter (worker)
 *
 * Aggression: when `[aggregations] aggression` is true and the day's options-quotes
 * partition holds the symbol's contracts, every option trade (priced or not) is classified against
 * its contract's as-of quote (a quote at the same nanosecond as a trade counts) before the merge,
 * contract by contract in the lake's order (aggression-job.ts TradeSides: no time sort of the
 * quotes, O(trades) memory); the table then carries AGGRESSION_COLUMNS
 * after GREEKS_COLUMNS. Without that partition the day is computed without them (logged): the
 * features job then emits the 81 columns only for it.
 *
 * Memory is bounded: DuckDB sorts under its memory_limit (spilling beyond it), JS holds one chunk
 * of each stream and one output batch, the Parquet writer one row group.
 *
 * A day is skipped when its latest options-greeks manifest entry was computed from the same
 * inputs (the options-trades, stocks-trades and, when used, options-quotes partitions' file
 * checksums; the absence of quotes counts too, so ingesting them later recomputes), with the same
 * symbol, roots, enrichment and aggression parameters, and its files are all there; `force` redoes it.
 * The inputs must be in the lake: a missing partition fails that day with the ingest command
 * that fills it.
 */
import { createHash, randomBytes } from 'node:crypto';
import { mkdir, readdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import type { ColumnBatch, ColumnSpec } from '../formats/columns.js';
import type { AggregationsConfig, Config } from '../config/schema.js';
import { DayWriter } from '../lake/day-writer.js';
import { recoverLake } from '../lake/publish.js';
import { readManifest, partitionMatches, type ManifestEntry } from '../lake/manifest.js';
import { stagingRoot } from '../lake/layout.js';
import { LakeReader, type LakeOptionTrade } from '../lake/reader.js';
import { AGGRESSION_COLUMNS, Classification } from './aggression.js';
import { AggressionColumnsBuilder, TradeSides, describeAggression, type AggressionSummary } from './aggression-job.js';
import type { IngestedSides } from './ingest-sides.js';
import { OPTION_CONTRACT_COLUMNS } from './contract-columns.js';
import { underlyingOfRoot } from '../formats/opra.js';
import { readTreasuryYields, treasuryCurveFor } from './rates/treasury-store.js';
import { OptionEnricher, emptyOptionGreeks, enrichmentParamsFromConfig, type EnrichmentParams, type OptionGreeks } from './enrich.js';
import { GreeksFlag, greeksDataset, type UnderlyingTrade } from '../formats/records.js';
import type { ProgressTracker } from '../observe/progress.js';
import { GammaflowError, LakeError, errorMessage } from '../util/errors.js';

/**
 * Bumped whenever the columns or their meaning change; written into every part's metadata.
 * 2: AGGRESSION_COLUMNS appended on days computed with quotes.
 */
export const GREEKS_SCHEMA_VERSION = 3;

const ns = (name: string, nullable: boolean, doc: string): ColumnSpec => ({ name, type: 'int64', nullable, unit: 'ns', doc });
const f64 = (name: string, doc: string): ColumnSpec => ({ name, type: 'float64', nullable: true, doc });

/** Columns of LAKE/options-greeks, in file order (docs/greeks.md explains each). */
export const GREEKS_COLUMNS: readonly ColumnSpec[] = [
  { name: 'ticker', type: 'utf8', nullable: false, doc: 'OPRA ticker, O:...' },
  { name: 'conditions', type: 'list_int32', nullable: false },
  { name: 'correction', type: 'int32', nullable: false, doc: '0 when the flat-file field was empty' },
  { name: 'exchange', type: 'int32', nullable: false },
  ns('participant_timestamp', true, 'absent in some sources'),
  { name: 'price', type: 'float64', nullable: false },
  ns('sip_timestamp', false, 'event time'),
  { name: 'size', type: 'float64', nullable: false, doc: 'contracts' },
  { name: 'sequence', type: 'int64', nullable: false, doc: 'row index in the options-trades partition: tie-break at equal sip_timestamp' },
  ...OPTION_CONTRACT_COLUMNS,
  f64('underlying_price', 'S: latest high/low-eligible underlying trade at or before sip_timestamp, within max_underlying_staleness; null when none or stale'),
  ns('underlying_sip_timestamp', true, 'sip_timestamp of that underlying trade; null with underlying_price'),
  { name: 't_years', type: 'float64', nullable: false, doc: '(expiry 16:00 New York − sip_timestamp) / 365 days, floored at min_time_to_expiry' },
  { name: 'r', type: 'float64', nullable: false, doc: 'risk-free rate used, continuous per year: risk_free_rate, or the Treasury curve at t_years' },
  f64('iv', 'BSM implied volatility per √year; null unless greeks_flag = 0'),
  f64('delta', 'null unless greeks_flag = 0'),
  f64('gamma', 'per unit of S; null unless greeks_flag = 0'),
  f64('intrinsic', 'call max(S−K,0), put max(K−S,0); null when S is unknown'),
  f64('dadvv', '|delta|·S·size·contract_size; null unless greeks_flag = 0'),
  f64('gadvv', '|gamma|·S²·size·contract_size·gadvv_scale; null unless greeks_flag = 0'),
  { name: 'greeks_flag', type: 'int32', nullable: false, doc: '0 ok, 1 no underlying, 2 stale underlying, 3 below intrinsic bound, 4 above upper bound, 5 expired, 6 solver failure / IV out of range, 7 ineligible, 8 invalid input' },
  { name: 'eligible', type: 'bool', nullable: false, doc: 'passes exclude_option_conditions, correction and adjusted rules' },
];

/** The table's columns: GREEKS_COLUMNS, then AGGRESSION_COLUMNS on a day classified against quotes. */
export function greeksColumns(aggression: boolean): readonly ColumnSpec[] {
  return aggression ? [...GREEKS_COLUMNS, ...AGGRESSION_COLUMNS] : GREEKS_COLUMNS;
}

/** Snake-case names of the flags, indexed by code (diagnostics, docs). */
export const GREEKS_FLAG_NAMES: readonly string[] = Object.entries(GreeksFlag)
  .sort((a, b) => a[1] - b[1])
  .map(([name]) => name.replace(/([a-z])([A-Z])/g, '$1_$2').toLowerCase());

const encoder = new TextEncoder();

/**
 * Accumulates enriched trades into one ColumnBatch of greeksColumns(aggression) (typed arrays,
 * reused); with aggression each {@link add} takes the trade's classification.
 */
export class GreeksBatchBuilder {
  rows = 0;
  private readonly strings: string[][] = [[], [], [], []]; // ticker, underlying, root, right
  private conditionOffsets: Int32Array;
  private conditionValues: number[] = [];
  private readonly int32: Int32Array[];
  private readonly int64: BigInt64Array[];
  private readonly f64: Float64Array[];
  private readonly valid: Uint8Array[];
  private readonly bools: Uint8Array[];
  private readonly encoded = new Map<string, Uint8Array>();
  private readonly aggression: AggressionColumnsBuilder | undefined;

  constructor(readonly capacity: number, aggression = false) {
    this.aggression = aggression ? new AggressionColumnsBuilder(capacity) : undefined;
    this.conditionOffsets = new Int32Array(capacity + 1);
    this.int32 = [0, 1, 2, 3].map(() => new Int32Array(capacity)); // correction, exchange, expiry, greeks_flag
    this.int64 = [0, 1, 2, 3].map(() => new BigInt64Array(capacity)); // participant, sip, sequence, underlying ts
    this.f64 = Array.from({ length: 12 }, () => new Float64Array(capacity)); // price size strike S t iv delta gamma intrinsic dadvv gadvv r
    this.valid = Array.from({ length: 9 }, () => new Uint8Array(capacity)); // participant, underlying ts, S, iv, delta, gamma, intrinsic, dadvv, gadvv
    this.bools = [0, 1].map(() => new Uint8Array(capacity)); // adjusted, eligible
  }

  get full(): boolean {
    return this.rows >= this.capacity;
  }

  add(t: LakeOptionTrade, g: OptionGreeks, side?: Classification): void {
    if (this.aggression !== undefined) {
      if (side === undefined) throw new RangeError('a greeks batch with aggression columns needs each trade\'s classification');
      this.aggression.add(side);
    }
    const i = this.rows++;
    const s = this.strings;
    s[0]![i] = t.ticker; s[1]![i] = t.underlying; s[2]![i] = t.root; s[3]![i] = t.right;
    for (const c of t.conditions) this.conditionValues.push(c);
    this.conditionOffsets[i + 1] = this.conditionValues.length;
    this.int32[0]![i] = t.correction; this.int32[1]![i] = t.exchange; this.int32[2]![i] = t.expiryDays; this.int32[3]![i] = g.greeksFlag;
    const participant = t.participantTimestampNs;
    this.int64[0]![i] = participant ?? 0n; this.valid[0]![i] = participant === null ? 0 : 1;
    this.int64[1]![i] = t.sipTimestampNs;
    this.int64[2]![i] = BigInt(t.sequence);
    this.int64[3]![i] = g.underlyingTimestampNs ?? 0n; this.valid[1]![i] = g.underlyingTimestampNs === null ? 0 : 1;
    const f = this.f64;
    f[0]![i] = t.price; f[1]![i] = t.size; f[2]![i] = t.strike; f[4]![i] = g.tYears; f[11]![i] = g.r;
    this.setOptional(3, 2, i, g.underlyingPrice);
    this.setOptional(5, 3, i, g.iv);
    this.setOptional(6, 4, i, g.delta);
    this.setOptional(7, 5, i, g.gamma);
    this.setOptional(8, 6, i, g.intrinsic);
    this.setOptional(9, 7, i, g.dadvv);
    this.setOptional(10, 8, i, g.gadvv);
    this.bools[0]![i] = t.adjusted ? 1 : 0;
    this.bools[1]![i] = g.eligible ? 1 : 0;
  }

  /** A nullable float64: NaN is stored as null. */
  private setOptional(column: number, validity: number, i: number, v: number): void {
    const present = v === v;
    this.f64[column]![i] = present ? v : 0;
    this.valid[validity]![i] = present ? 1 : 0;
  }

  /** The rows added since the last call, as a batch in GREEKS_COLUMNS order; the builder starts over. */
  take(): ColumnBatch {
    const n = this.rows;
    const utf8 = (k: number) => this.utf8(this.strings[k]!, n);
    const i32 = (k: number) => this.int32[k]!.slice(0, n);
    const f = (k: number) => this.f64[k]!.slice(0, n);
    const opt = (k: number, v: number) => ({ type: 'float64' as const, values: f(k), valid: this.valid[v]!.slice(0, n) });
    const batch: ColumnBatch = {
      rows: n,
      columns: [
        utf8(0),
        { type: 'list_int32', offsets: this.conditionOffsets.slice(0, n + 1), values: Int32Array.from(this.conditionValues) },
        { type: 'int32', values: i32(0) },
        { type: 'int32', values: i32(1) },
        { type: 'int64', values: this.int64[0]!.slice(0, n), valid: this.valid[0]!.slice(0, n) },
        { type: 'float64', values: f(0) },
        { type: 'int64', values: this.int64[1]!.slice(0, n) },
        { type: 'float64', values: f(1) },
        { type: 'int64', values: this.int64[2]!.slice(0, n) },
        utf8(1), utf8(2),
        { type: 'date32', values: i32(2) },
        utf8(3),
        { type: 'float64', values: f(2) },
        { type: 'bool', values: this.bools[0]!.slice(0, n) },
        opt(3, 2),
        { type: 'int64', values: this.int64[3]!.slice(0, n), valid: this.valid[1]!.slice(0, n) },
        { type: 'float64', values: f(4) },
        { type: 'float64', values: f(11) },
        opt(5, 3), opt(6, 4), opt(7, 5), opt(8, 6), opt(9, 7), opt(10, 8),
        { type: 'int32', values: i32(3) },
        { type: 'bool', values: this.bools[1]!.slice(0, n) },
        ...(this.aggression?.take() ?? []),
      ],
    };
    this.rows = 0;
    this.conditionValues = [];
    for (const s of this.strings) s.length = 0;
    return batch;
  }

  private utf8(values: readonly string[], n: number): ColumnBatch['columns'][number] {
    const offsets = new Int32Array(n + 1);
    const parts = new Array<Uint8Array>(n);
    let total = 0;
    for (let i = 0; i < n; i++) {
      const v = values[i]!;
      let bytes = this.encoded.get(v);
      if (bytes === undefined) {
        bytes = encoder.encode(v);
        if (this.encoded.size < 100_000) this.encoded.set(v, bytes);
      }
      parts[i] = bytes;
      total += bytes.length;
      offsets[i + 1] = total;
    }
    const out = new Uint8Array(total);
    for (let i = 0; i < n; i++) out.set(parts[i]!, offsets[i]!);
    return { type: 'utf8', offsets, bytes: out };
  }
}

export type GreeksDayState = 'computed' | 'skipped' | 'missing_input' | 'failed' | 'abandoned';

export interface GreeksDayOutcome {
  readonly date: string;
  readonly state: GreeksDayState;
  readonly message?: string;
  /** Option trades written (computed days). */
  readonly rows?: number;
  /** Underlying trades of the symbol fed to the as-of join, up to the day's last option trade (computed days). */
  readonly underlyingRows?: number;
  /** Option trades per greeks flag name (computed days). */
  readonly flags?: Record<string, number>;
  /** Classification counts (computed days with quotes); undefined when aggression was off for the day. */
  readonly aggression?: AggressionSummary;
  /** Why aggression was off for a computed day (disabled, or no usable options-quotes partition). */
  readonly aggressionOff?: string;
  readonly entry?: ManifestEntry;
}

export interface GreeksRequest {
  readonly lake: string;
  /** Underlying symbol, e.g. SPY. Its option trades are those whose root maps to it, plus `config.aggregations.option_roots`. */
  readonly symbol: string;
  /** Trading days, ascending. */
  readonly days: readonly string[];
  readonly config: Config;
  readonly tracker: ProgressTracker;
  readonly signal?: AbortSignal;
  readonly force?: boolean;
  /** Encode Parquet on a worker thread (default true). */
  readonly useWorkerWriter?: boolean;
  /** DuckDB memory_limit for the sorted reads (default `[storage] duckdb_memory_limit`). */
  readonly duckdbMemoryLimit?: string;
  readonly version?: string;
  /**
   * Verdicts computed while `gammaflow run` ingested the day's option files (ingest-sides.ts), by
   * date. A day uses them only when they belong to exactly the partitions and settings it reads;
   * otherwise it classifies from the lake.
   */
  readonly ingestedSides?: ReadonlyMap<string, IngestedSides>;
}

export interface GreeksResult {
  readonly outcomes: GreeksDayOutcome[];
  /** 0 when every day was computed or already up to date. */
  readonly exitCode: number;
}

/**
 * Identity of a day's inputs, recorded as the manifest `source`: a rerun after a re-ingest
 * recomputes. `quotes` is the options-quotes partition the trades were classified against, or
 * undefined when aggression was off (recorded as such: quotes ingested later change the etag).
 */
export function greeksSource(date: string, options: ManifestEntry, stocks: ManifestEntry, paramsKey: string,
  quotes?: ManifestEntry): ManifestEntry['source'] {
  const hash = createHash('sha256');
  const inputs = quotes === undefined ? [options, stocks] : [options, stocks, quotes];
  for (const e of inputs) {
    hash.update(`${e.dataset}/date=${date}:`);
    for (const f of e.files) hash.update(`${f.name}=${f.sha256};`);
  }
  hash.update(quotes === undefined ? 'aggression=off;' : 'aggression=on;');
  hash.update(paramsKey);
  const bytes = inputs.reduce((n, e) => n + e.files.reduce((m, f) => m + f.bytes, 0), 0);
  const quotesPart = quotes === undefined ? '' : ` + options-quotes (${quotes.rows} rows, run ${quotes.runId})`;
  return {
    description: `options-trades (${options.rows} rows, run ${options.runId}) + stocks-trades (${stocks.rows} rows, run ${stocks.runId})${quotesPart}`,
    key: `options-trades/date=${date} + stocks-trades/date=${date}` + (quotes === undefined ? '' : ` + options-quotes/date=${date}`),
    size: bytes,
    etag: hash.digest('hex'),
  };
}

/** The aggression settings that change the side columns (part of the manifest params key). */
function aggressionKey(agg: AggregationsConfig): Record<string, string> {
  return {
    fallback: agg.aggression_fallback, staleness: agg.quote_staleness_mode, max: agg.max_quote_staleness,
    ...(agg.quote_staleness_mode === 'adaptive' ? { min: agg.adaptive_staleness_min, maxAdaptive: agg.adaptive_staleness_max } : {}),
  };
}

/**
 * The options-quotes partition to classify `date`'s trades against, or why there is none
 * (aggression disabled, partition absent or incomplete, or ingested without the symbol).
 */
async function quotesFor(lake: string, date: string, symbol: string, roots: readonly string[], agg: AggregationsConfig,
  entry: ManifestEntry | undefined): Promise<{ quotes: ManifestEntry } | { off: string }> {
  if (!agg.aggression) return { off: 'aggression disabled ([aggregations] aggression = false)' };
  const hint = `gammaflow ingest --dataset options-quotes --underlyings ${symbol} --from ${date} --to ${date}`;
  if (entry === undefined || !(await partitionMatches(lake, entry))) {
    return { off: `aggression off for ${date}: no options-quotes partition in the lake (${hint} enables it)` };
  }
  for (const name of [symbol, ...roots]) {
    if (!filterKeeps(entry.filter, name) && !filterKeeps(entry.filter, underlyingOfRoot(name))) {
      return { off: `aggression off for ${date}: options-quotes were ingested with ${entry.filter}, without ${name} (${hint} enables it)` };
    }
  }
  return { quotes: entry };
}

/** Whether an ingest filter (`tickers=A,B` / `underlyings=A,B`, absent = all rows) kept `name`. */
function filterKeeps(filter: string | undefined, name: string): boolean {
  if (filter === undefined) return true;
  const eq = filter.indexOf('=');
  return filter.slice(eq + 1).split(',').includes(name);
}

function ingestHint(date: string, symbol: string): string {
  return `run gammaflow ingest --dataset stocks-trades,options-trades --from ${date} --to ${date} first (with --tickers/--underlyings, include ${symbol})`;
}

export async function runGreeks(req: GreeksRequest): Promise<GreeksResult> {
  const { lake, symbol, tracker } = req;
  const runId = `${Date.now().toString(36)}-${randomBytes(3).toString('hex')}`;
  const tempDirectory = join(stagingRoot(lake), '_duckdb', runId);
  let reader: LakeReader | undefined;
  try {
    for (const action of (await recoverLake(lake)).actions) tracker.log('warn', action);
    const agg = req.config.aggregations;
    const params = enrichmentParamsFromConfig(agg, symbol);
    const yields = params.riskFreeSource === 'treasury' ? await readTreasuryYields(lake) : [];
    const roots = [...agg.option_roots].sort();
    const filter = `symbol=${symbol}` + (roots.length > 0 ? `;option_roots=${roots.join(',')}` : '');
    const paramsKey = JSON.stringify({
      filter, schema: GREEKS_SCHEMA_VERSION, params: { ...params, maxUnderlyingStalenessNs: String(params.maxUnderlyingStalenessNs) },
      ...(agg.aggression ? { aggression: aggressionKey(agg) } : {}),
    });
    const [stocksManifest, optionsManifest, quotesManifest, greeksManifest] = await Promise.all(
      ['stocks-trades', 'options-trades', 'options-quotes', greeksDataset(symbol)].map((d) => readManifest(lake, d)));
    await mkdir(tempDirectory, { recursive: true }); // DuckDB creates only the last level when it spills
    reader = await LakeReader.open(lake, { memoryLimit: req.duckdbMemoryLimit ?? req.config.storage.duckdb_memory_limit, threads: 2, tempDirectory });

    tracker.startRun({ command: 'greeks', daysTotal: req.days.length, filesTotal: req.days.length });
    const legacy = await legacyGreeksDays(lake);
    if (legacy.length > 0) {
      tracker.log('warn', `${join(lake, 'options-greeks')} holds ${legacy.length} day(s) in the layout of gammaflow 0.1 (date=D, one symbol per day; `
        + `e.g. ${legacy[0]}): greeks now go to options-greeks/symbol=S/date=D, and readers globbing options-greeks/*/*/*.parquet would mix the two. `
        + `Remove them: rm -r ${join(lake, 'options-greeks', 'date=*')} ${join(lake, '_manifest', 'options-greeks.jsonl')}`);
    }
    const dataset = greeksDataset(symbol);
    const idOf = (date: string) => `${dataset}/${date}`;
    for (const date of req.days) tracker.fileQueued(idOf(date), { dataset: 'options-greeks', date, key: `${dataset}/date=${date}` });

    const outcomes: GreeksDayOutcome[] = [];
    for (const date of req.days) {
      const id = idOf(date);
      if (req.signal?.aborted) {
        outcomes.push({ date, state: 'abandoned', message: 'stopped before it started' });
        tracker.fileDone(id, { state: 'skipped', message: 'stopped' });
        continue;
      }
      const stocks = stocksManifest.get(date), options = optionsManifest.get(date);
      const missing = await missingInput(lake, date, symbol, roots, stocks, options);
      if (missing !== undefined) {
        tracker.fileDone(id, { state: 'missing', message: missing });
        tracker.dayDone('failed');
        tracker.error(missing);
        outcomes.push({ date, state: 'missing_input', message: missing });
        continue;
      }
      const rate = params.riskFreeSource === 'treasury' ? treasuryCurveFor(date, yields, lake) : undefined;
      if (rate !== undefined && 'missing' in rate) {
        tracker.fileDone(id, { state: 'missing', message: rate.missing });
        tracker.dayDone('failed');
        tracker.error(rate.missing);
        outcomes.push({ date, state: 'missing_input', message: rate.missing });
        continue;
      }
      const dayParams = rate !== undefined ? { ...params, rateCurve: rate.curve } : params;
      const quoteInput = await quotesFor(lake, date, symbol, roots, agg, quotesManifest.get(date));
      const quotes = 'quotes' in quoteInput ? quoteInput.quotes : undefined;
      const source = greeksSource(date, options!, stocks!, rate !== undefined ? `${paramsKey};curve=${rate.curve.id}` : paramsKey, quotes);
      const previous = greeksManifest.get(date);
      if (!req.force && previous !== undefined && previous.source.etag === source.etag && previous.filter === filter
        && previous.schemaVersion === GREEKS_SCHEMA_VERSION && (await partitionMatches(lake, previous))) {
        tracker.fileDone(id, { state: 'skipped', message: 'up to date (same inputs and parameters)' });
        tracker.dayDone('skipped');
        outcomes.push({ date, state: 'skipped', message: 'up to date', entry: previous });
        continue;
      }
      if ('off' in quoteInput && agg.aggression) tracker.log('warn', quoteInput.off);
      const ingested = req.ingestedSides?.get(date);
      const sides = quotes !== undefined && ingested !== undefined && sidesApply(ingested, options!, quotes, symbol, roots, agg)
        ? ingested.sides : undefined;
      outcomes.push(await greeksDay(req, reader, {
        id, date, runId, params: dayParams, roots, filter, source, aggression: quotes !== undefined ? agg : undefined,
        ...('off' in quoteInput ? { aggressionOff: quoteInput.off } : {}), ...(sides !== undefined ? { sides } : {}),
      }));
    }
    const ok = outcomes.every((o) => o.state === 'computed' || o.state === 'skipped');
    return { outcomes, exitCode: ok ? 0 : 1 };
  } finally {
    reader?.close();
    await rm(tempDirectory, { recursive: true, force: true });
  }
}

/**
 * Whether verdicts computed during the ingest belong to the partitions this day reads (the same
 * published entries: run, time, rows, source object) and to the day's selection and settings.
 */
function sidesApply(ingested: IngestedSides, trades: ManifestEntry, quotes: ManifestEntry, symbol: string,
  roots: readonly string[], agg: AggregationsConfig): boolean {
  const same = (a: ManifestEntry, b: ManifestEntry) => a.runId === b.runId && a.publishedAt === b.publishedAt
    && a.rows === b.rows && a.source.etag === b.source.etag && a.source.key === b.source.key;
  return same(ingested.trades, trades) && same(ingested.quotes, quotes)
    && ingested.selection.underlying === symbol
    && JSON.stringify([...(ingested.selection.extraRoots ?? [])].sort()) === JSON.stringify([...roots].sort())
    && JSON.stringify(aggressionKey(ingested.aggregations)) === JSON.stringify(aggressionKey(agg));
}

/** `date=D` directories directly under LAKE/options-greeks (the 0.1 layout, before symbol= partitions). */
async function legacyGreeksDays(lake: string): Promise<string[]> {
  try {
    return (await readdir(join(lake, 'options-greeks'))).filter((name) => name.startsWith('date=')).sort();
  } catch {
    return [];
  }
}

async function missingInput(lake: string, date: string, symbol: string, roots: readonly string[],
  stocks: ManifestEntry | undefined, options: ManifestEntry | undefined): Promise<string | undefined> {
  const absent: string[] = [];
  if (stocks === undefined || !(await partitionMatches(lake, stocks))) absent.push('stocks-trades');
  if (options === undefined || !(await partitionMatches(lake, options))) absent.push('options-trades');
  if (absent.length > 0) return `greeks ${date}: no ${absent.join(' or ')} partition for ${date} in ${lake}; ${ingestHint(date, symbol)}`;
  if (!filterKeeps(stocks!.filter, symbol)) {
    return `greeks ${date}: stocks-trades of ${date} were ingested with ${stocks!.filter}, without ${symbol}; ${ingestHint(date, symbol)}`;
  }
  for (const name of [symbol, ...roots]) {
    if (!filterKeeps(options!.filter, name) && !filterKeeps(options!.filter, underlyingOfRoot(name))) {
      return `greeks ${date}: options-trades of ${date} were ingested with ${options!.filter}, without ${name}; ${ingestHint(date, name)}`;
    }
  }
  return undefined;
}

interface DayTask {
  readonly id: string;
  readonly date: string;
  readonly runId: string;
  readonly params: EnrichmentParams;
  readonly roots: readonly string[];
  readonly filter: string;
  readonly source: ManifestEntry['source'];
  /** Classify against the day's options-quotes with these settings; undefined = aggression off. */
  readonly aggression: AggregationsConfig | undefined;
  readonly aggressionOff?: string;
  /** The day's verdicts, already computed during the ingest; absent = classify from the lake. */
  readonly sides?: TradeSides;
}

async function greeksDay(req: GreeksRequest, reader: LakeReader, task: DayTask): Promise<GreeksDayOutcome> {
  const { tracker, config, lake, symbol } = req;
  const { id, date } = task;
  tracker.fileStarted(id, 0);
  const writer = await DayWriter.create({
    lake, dataset: greeksDataset(req.symbol), date, runId: task.runId, schema: greeksColumns(task.aggression !== undefined),
    rowGroupRows: config.storage.row_group_rows, fileSizeTargetBytes: config.storage.file_size_mb_target * 1024 * 1024,
    zstdLevel: config.storage.zstd_level, useWorker: req.useWorkerWriter ?? true,
    keyValueMetadata: {
      'gammaflow.schema_version': String(GREEKS_SCHEMA_VERSION),
      'gammaflow.dataset': greeksDataset(req.symbol),
      'gammaflow.date': date,
      'gammaflow.symbol': symbol,
      'gammaflow.source_key': task.source.key,
      'gammaflow.source_etag': task.source.etag,
      'gammaflow.greeks_params': JSON.stringify({ ...task.params, maxUnderlyingStalenessNs: String(task.params.maxUnderlyingStalenessNs) }),
      'gammaflow.aggression': task.aggression === undefined ? 'off' : JSON.stringify(aggressionKey(task.aggression)),
      ...(req.version ? { 'gammaflow.version': req.version } : {}),
    },
  });
  try {
    const counts = await enrichDay(reader, date, symbol, task.roots, task.params, config.ingest.batch_rows, {
      batch: (batch) => writer.append(batch),
      progress: (rows) => tracker.fileRows(id, { parsed: rows, written: rows }),
      aborted: () => req.signal?.aborted === true,
    }, task.aggression, task.sides);
    tracker.filePublishing(id);
    await writer.finish();
    const entry = await writer.publish({
      dataset: greeksDataset(req.symbol), date, source: task.source, filter: task.filter,
      schemaVersion: GREEKS_SCHEMA_VERSION, runId: task.runId, rowsFiltered: 0,
    });
    const flags: Record<string, number> = {};
    counts.flags.forEach((n, code) => { if (n > 0) flags[GREEKS_FLAG_NAMES[code]!] = n; });
    const priced = counts.flags[GreeksFlag.Ok] ?? 0;
    const agg = counts.aggression;
    const message = `${counts.optionRows.toLocaleString('en-US')} option trades (${priced.toLocaleString('en-US')} priced) against ${counts.underlyingRows.toLocaleString('en-US')} ${symbol} trades`
      + `; ${agg === undefined ? 'aggression off' : describeAggression(agg)}`;
    if (agg !== undefined) {
      tracker.log('info', `greeks ${date}: ${describeAggression(agg)}`);
      tracker.setExtra('aggression_classified_pct', Number.isNaN(agg.classifiedPct) ? 0 : Number(agg.classifiedPct.toFixed(2)));
      tracker.setExtra('aggression_unclassified', agg.unclassified);
    }
    tracker.fileDone(id, { state: 'done', message });
    tracker.dayDone('done');
    return {
      date, state: 'computed', message, rows: counts.optionRows, underlyingRows: counts.underlyingRows, flags,
      ...(agg !== undefined ? { aggression: agg } : { aggressionOff: task.aggressionOff ?? 'aggression off' }), entry,
    };
  } catch (e) {
    await writer.abort();
    if (req.signal?.aborted) {
      tracker.fileDone(id, { state: 'failed', message: 'stopped: nothing published, will be redone next run' });
      tracker.dayDone('failed');
      return { date, state: 'abandoned', message: 'stopped by the user; nothing was published for this day' };
    }
    const message = e instanceof GammaflowError ? e.message : `greeks ${date}: ${errorMessage(e)}`;
    tracker.fileDone(id, { state: 'failed', message });
    tracker.dayDone('failed');
    tracker.error(message);
    return { date, state: 'failed', message };
  }
}

export interface EnrichDaySinks {
  /** Receives each full (and the last partial) batch of GREEKS_COLUMNS. */
  batch(batch: ColumnBatch): void | Promise<void>;
  /** Option trades enriched since the previous call. */
  progress?(rows: number): void;
  /** Polled between chunks; true stops the day with an error. */
  aborted?(): boolean;
}

export interface EnrichDayCounts {
  readonly optionRows: number;
  /** Underlying trades fed to the as-of join (those after the last option trade are not read). */
  readonly underlyingRows: number;
  /** Option trades per greeks flag code. */
  readonly flags: readonly number[];
  /** Classification counts when the day was classified against quotes. */
  readonly aggression?: AggressionSummary;
}

/**
 * The day's merge and enrichment without the writer: streams the inputs from the lake, feeds
 * underlying trades to the enricher up to each option trade's time (underlying first at equal
 * timestamps) and hands out batches. With `aggression` (the [aggregations] settings) every trade
 * is first classified against the day's option quotes (TradeSides: contract by contract, quotes
 * first at equal timestamps) and the batches carry AGGRESSION_COLUMNS. Used by the job and the
 * benchmark.
 */
export async function enrichDay(reader: LakeReader, date: string, symbol: string, roots: readonly string[],
  params: EnrichmentParams, batchRows: number, sinks: EnrichDaySinks, aggression?: AggregationsConfig,
  precomputed?: TradeSides): Promise<EnrichDayCounts> {
  const enricher = new OptionEnricher(params);
  const builder = new GreeksBatchBuilder(batchRows, aggression !== undefined);
  // Aggression first, contract by contract in the lake's order (TradeSides): verdicts by row index
  // (or the verdicts the ingest already computed from the same rows: ingest-sides.ts).
  const selection = { underlying: symbol, extraRoots: roots };
  const sides = aggression === undefined ? undefined
    : precomputed ?? await TradeSides.compute(reader.optionTradeKeys(date, selection), reader.optionQuotesInFileOrder(date, selection), aggression);
  const verdict = new Classification();
  const greeks = emptyOptionGreeks();
  const flags = new Array<number>(GREEKS_FLAG_NAMES.length).fill(0);
  const underlying = reader.underlyingTrades(date, symbol);
  const options = reader.optionTrades(date, { underlying: symbol, extraRoots: roots });
  let ubuf: UnderlyingTrade[] = [];
  let ui = 0;
  let underlyingDone = false;
  let underlyingRows = 0, optionRows = 0;
  try {
    for await (const chunk of options) {
      if (sinks.aborted?.()) throw new LakeError(`greeks ${date}: stopped`, { date });
      for (let k = 0; k < chunk.length; k++) {
        const o = chunk[k]!;
        for (;;) {
          if (ui === ubuf.length) {
            if (underlyingDone) break;
            const next = await underlying.next();
            if (next.done === true) { underlyingDone = true; break; }
            ubuf = next.value;
            ui = 0;
            continue;
          }
          const u = ubuf[ui]!;
          if (u.sipTimestampNs > o.sipTimestampNs) break;
          enricher.onUnderlyingTrade(u);
          ui++;
          underlyingRows++;
        }
        enricher.compute(o, greeks);
        flags[greeks.greeksFlag]!++;
        builder.add(o, greeks, sides?.get(o.sequence, verdict));
        if (builder.full) await sinks.batch(builder.take());
      }
      optionRows += chunk.length;
      sinks.progress?.(chunk.length);
    }
    if (builder.rows > 0) await sinks.batch(builder.take());
    return { optionRows, underlyingRows, flags, ...(sides !== undefined ? { aggression: sides.summary() } : {}) };
  } finally {
    await underlying.return(undefined);
    await options.return(undefined);
  }
}
