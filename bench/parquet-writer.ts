/**
 * Parquet writer throughput: our ParquetFileWriter (in-thread, zstd 1 and 3),
 * ParquetWorkerWriter (encoding on a second core) and DuckDB (appender into a
 * table, then COPY … TO parquet), on the same synthetic stocks-trades rows.
 *
 *   npx tsc -p . && node dist/bench/parquet-writer.js [rows] [--json] [--cases a,b]
 *
 * Rows (default 5 M) have the 13 `stocks-trades` columns, tickers sorted and
 * each ticker's rows in sip_timestamp order, like Massive's files: ~4,000
 * tickers with skewed row counts, cent-grid random-walk prices, round/odd/
 * fractional sizes, TRF prints (exchange 4 with trf_id/trf_timestamp), ~40 %
 * rows with conditions, rare corrections, ~1 % null participant timestamps.
 * They are generated on the fly in batches of 10,000 rows (about what the CSV
 * parser emits per 1 MiB chunk), fresh arrays per batch (the worker writer
 * takes ownership of them).
 *
 * Each case runs in its own child process so that peak RSS (resourceUsage
 * maxRSS, worker threads included) belongs to that case alone. The
 * `generate` case only generates the batches: subtract its time to get the
 * writer's own cost. Wall time includes generation for every case (the worker
 * case overlaps it with encoding, as ingest overlaps parsing).
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import type { ColumnBatch } from '../src/formats/columns.js';
import { DATASETS } from '../src/formats/datasets.js';
import { ParquetWorkerWriter } from '../src/lake/parquet/worker-writer.js';
import { ParquetFileWriter } from '../src/lake/parquet/writer.js';

const SCHEMA = DATASETS['stocks-trades'].columns;
const BATCH_ROWS = 10_000;
const ROW_GROUP_ROWS = 131_072;

export const CASES = ['generate', 'file-zstd1', 'file-zstd3', 'worker-zstd1', 'duckdb-appender-copy'] as const;
export type BenchCase = (typeof CASES)[number];

export interface BenchResult {
  readonly case: BenchCase;
  readonly rows: number;
  readonly wallS: number;
  /** User + system CPU seconds of the case's process (all threads): robust on a busy machine. */
  readonly cpuS: number;
  readonly mRowsPerS: number;
  /** Output file size, MB (10^6 bytes); 0 for `generate`. */
  readonly fileMB: number;
  readonly peakRssMB: number;
}

// ---------------------------------------------------------------- synthetic rows

/** xorshift32: deterministic and cheap. */
class Rng {
  constructor(private state: number) {}
  /** Uniform in [0, 1). */
  next(): number {
    let x = this.state;
    x ^= x << 13; x ^= x >>> 17; x ^= x << 5;
    this.state = x >>> 0;
    return this.state / 4294967296;
  }
  int(n: number): number {
    return Math.floor(this.next() * n);
  }
}

const SESSION_START_NS = 1_762_506_000_000_000_000n; // 2025-11-07 09:00 UTC (04:00 New York)
const SESSION_NS = 16 * 3600 * 1e9; // 04:00–20:00
const VENUES = [4, 4, 4, 4, 12, 12, 11, 10, 8, 19, 21, 15, 7];

interface TickerPlan { readonly name: Uint8Array; readonly rows: number; readonly startPriceCents: number; readonly tape: number }

function planTickers(totalRows: number, rng: Rng): TickerPlan[] {
  const names = new Set<string>();
  const letters = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ';
  while (names.size < 4000) {
    const length = 1 + rng.int(4);
    let name = '';
    for (let k = 0; k < length; k++) name += letters[rng.int(26)];
    names.add(name);
  }
  const sorted = [...names].sort();
  const weights = sorted.map(() => 1 / (1 + rng.int(4000)) ** 1.1);
  const total = weights.reduce((a, b) => a + b, 0);
  const rows = weights.map((w) => Math.floor((w / total) * totalRows));
  rows[0] += totalRows - rows.reduce((a, b) => a + b, 0);
  const encoder = new TextEncoder();
  return sorted.map((name, i) => ({ name: encoder.encode(name), rows: rows[i], startPriceCents: 500 + rng.int(50_000), tape: 1 + rng.int(3) }));
}

/** Yields fresh stocks-trades batches, tickers sorted, timestamps ascending within a ticker. */
export function* stocksTradesBatches(totalRows: number, batchRows = BATCH_ROWS, seed = 20251107): Generator<ColumnBatch> {
  const rng = new Rng(seed);
  const tickers = planTickers(totalRows, rng);
  let tickerIndex = 0;
  let rowInTicker = 0;
  let sipNs = 0;
  let priceCents = 0;
  let sequence = 1;
  const idBase = 52_983_525_000_000;
  for (let produced = 0; produced < totalRows;) {
    const rows = Math.min(batchRows, totalRows - produced);
    const tickerOffsets = new Int32Array(rows + 1);
    const tickerBytes = new Uint8Array(rows * 4);
    const conditionOffsets = new Int32Array(rows + 1);
    const conditionValues = new Int32Array(rows * 2);
    const correction = new Int32Array(rows);
    const correctionValid = new Uint8Array(rows);
    const exchange = new Int32Array(rows);
    const idOffsets = new Int32Array(rows + 1);
    const idBytes = new Uint8Array(rows * 14);
    const participant = new BigInt64Array(rows);
    const participantValid = new Uint8Array(rows);
    const price = new Float64Array(rows);
    const sequenceNumber = new BigInt64Array(rows);
    const sip = new BigInt64Array(rows);
    const size = new Float64Array(rows);
    const tape = new Int32Array(rows);
    const trfId = new Int32Array(rows);
    const trfIdValid = new Uint8Array(rows);
    const trfTimestamp = new BigInt64Array(rows);
    // Int64 columns are filled through 32-bit words, as the CSV parser does (no BigInt per row).
    const words = (a: BigInt64Array) => new Uint32Array(a.buffer);
    const participantWords = words(participant), sipWords = words(sip), sequenceWords = words(sequenceNumber), trfWords = words(trfTimestamp);
    let tickerByteCount = 0;
    let conditionCount = 0;
    let idByteCount = 0;
    for (let r = 0; r < rows; r++) {
      while (rowInTicker >= tickers[tickerIndex].rows) { tickerIndex++; rowInTicker = 0; }
      const ticker = tickers[tickerIndex];
      if (rowInTicker === 0) { sipNs = rng.next() * 1e9; priceCents = ticker.startPriceCents; }
      rowInTicker++;
      for (const byte of ticker.name) tickerBytes[tickerByteCount++] = byte;
      tickerOffsets[r + 1] = tickerByteCount;

      sipNs += rng.next() * 2 * (SESSION_NS / ticker.rows);
      const venue = VENUES[rng.int(VENUES.length)];
      exchange[r] = venue;
      tape[r] = ticker.tape;
      priceCents = Math.max(1, priceCents + (rng.next() < 0.5 ? -1 : 1) * (rng.next() < 0.7 ? 0 : 1));
      price[r] = venue === 4 && rng.next() < 0.3 ? (priceCents * 100 + rng.int(100)) / 10_000 : priceCents / 100;
      const lot = rng.next();
      size[r] = lot < 0.55 ? 100 * (1 + rng.int(5)) : lot < 0.98 ? 1 + rng.int(99) : Math.round(rng.next() * 1000) / 1000;

      const c = rng.next();
      if (c < 0.25) conditionValues[conditionCount++] = 37;
      else if (c < 0.33) conditionValues[conditionCount++] = 12;
      else if (c < 0.38) { conditionValues[conditionCount++] = 12; conditionValues[conditionCount++] = 37; }
      else if (c < 0.41) { conditionValues[conditionCount++] = 14; conditionValues[conditionCount++] = 41; }
      conditionOffsets[r + 1] = conditionCount;

      correctionValid[r] = rng.next() < 0.00005 ? 1 : 0;
      if (correctionValid[r] === 1) correction[r] = 1;

      // id: decimal digits of an increasing trade id.
      let id = idBase + sequence * 7;
      const digits = 1 + Math.floor(Math.log10(id));
      for (let d = digits - 1; d >= 0; d--) { idBytes[idByteCount + d] = 48 + (id % 10); id = Math.floor(id / 10); }
      idByteCount += digits;
      idOffsets[r + 1] = idByteCount;

      const sipOffsetNs = Math.floor(sipNs);
      setSessionNs(sipWords, r, sipOffsetNs);
      participantValid[r] = rng.next() < 0.01 ? 0 : 1;
      if (participantValid[r] === 1) setSessionNs(participantWords, r, sipOffsetNs - 1000 - rng.int(20_000));
      setSmallInt64(sequenceWords, r, sequence++);
      if (venue === 4) {
        trfIdValid[r] = 1;
        trfId[r] = 201 + rng.int(3);
        setSessionNs(trfWords, r, sipOffsetNs - rng.int(2_000_000));
      }
    }
    produced += rows;
    yield {
      rows,
      columns: [
        { type: 'utf8', offsets: tickerOffsets, bytes: tickerBytes },
        { type: 'list_int32', offsets: conditionOffsets, values: conditionValues },
        { type: 'int32', values: correction, valid: correctionValid },
        { type: 'int32', values: exchange },
        { type: 'utf8', offsets: idOffsets, bytes: idBytes },
        { type: 'int64', values: participant, valid: participantValid },
        { type: 'float64', values: price },
        { type: 'int64', values: sequenceNumber },
        { type: 'int64', values: sip },
        { type: 'float64', values: size },
        { type: 'int32', values: tape },
        { type: 'int32', values: trfId, valid: trfIdValid },
        { type: 'int64', values: trfTimestamp },
      ],
    };
  }
}

const SESSION_START_LO = Number(SESSION_START_NS & 0xffffffffn);
const SESSION_START_HI = Number(SESSION_START_NS >> 32n);

/** Stores a non-negative integer below 2^53 through its (lo, hi) 32-bit words. */
function setSmallInt64(words: Uint32Array, row: number, value: number): void {
  const hi = Math.floor(value / 4294967296);
  words[2 * row] = value - hi * 4294967296;
  words[2 * row + 1] = hi;
}

/**
 * Stores SESSION_START_NS + offsetNs through the value's (lo, hi) 32-bit
 * words, the way the CSV parser fills int64 columns: no BigInt per row.
 * `offsetNs` is an integer with |offsetNs| < 2^53 and a non-negative sum.
 */
function setSessionNs(words: Uint32Array, row: number, offsetNs: number): void {
  const offsetHi = Math.floor(offsetNs / 4294967296);
  const lo = SESSION_START_LO + (offsetNs - offsetHi * 4294967296);
  const carry = lo >= 4294967296 ? 1 : 0;
  words[2 * row] = lo - carry * 4294967296;
  words[2 * row + 1] = SESSION_START_HI + offsetHi + carry;
}

// ---------------------------------------------------------------- cases

async function runCase(name: BenchCase, rows: number, dir: string): Promise<BenchResult> {
  const path = join(dir, `${name}.parquet`);
  const started = process.hrtime.bigint();
  const cpuStarted = process.cpuUsage();
  switch (name) {
    case 'generate':
      for (const batch of stocksTradesBatches(rows)) void batch;
      break;
    case 'file-zstd1':
    case 'file-zstd3': {
      const writer = new ParquetFileWriter(path, SCHEMA, { rowGroupRows: ROW_GROUP_ROWS, zstdLevel: name === 'file-zstd1' ? 1 : 3 });
      for (const batch of stocksTradesBatches(rows)) writer.append(batch);
      writer.close();
      break;
    }
    case 'worker-zstd1': {
      const writer = new ParquetWorkerWriter(path, SCHEMA, { rowGroupRows: ROW_GROUP_ROWS, zstdLevel: 1 });
      for (const batch of stocksTradesBatches(rows)) await writer.append(batch);
      await writer.close();
      break;
    }
    case 'duckdb-appender-copy':
      await duckdbAppenderCopy(rows, path);
      break;
  }
  const wallS = Number(process.hrtime.bigint() - started) / 1e9;
  const cpu = process.cpuUsage(cpuStarted);
  return {
    case: name,
    rows,
    wallS: round(wallS, 2),
    cpuS: round((cpu.user + cpu.system) / 1e6, 2),
    mRowsPerS: round(rows / wallS / 1e6, 2),
    fileMB: name === 'generate' ? 0 : round(statSync(path).size / 1e6, 1),
    peakRssMB: Math.round(process.resourceUsage().maxRSS / 1024),
  };
}

/**
 * DuckDB peer: the appender fed one DataChunk (2,048 rows) at a time, values
 * converted column by column, into a table; then COPY to zstd parquet with
 * the same row-group size. DuckDB holds every row until the COPY.
 */
async function duckdbAppenderCopy(rows: number, path: string): Promise<void> {
  // Imported here so the other cases do not pay for loading DuckDB.
  const { DuckDBDataChunk, DuckDBInstance, BIGINT, DOUBLE, INTEGER, LIST, VARCHAR, listValue } = await import('@duckdb/node-api');
  type Value = import('@duckdb/node-api').DuckDBValue;
  const instance = await DuckDBInstance.create(':memory:');
  const connection = await instance.connect();
  await connection.run(`CREATE TABLE trades (ticker VARCHAR, conditions INTEGER[], correction INTEGER, exchange INTEGER,
    id VARCHAR, participant_timestamp BIGINT, price DOUBLE, sequence_number BIGINT, sip_timestamp BIGINT,
    size DOUBLE, tape INTEGER, trf_id INTEGER, trf_timestamp BIGINT)`);
  const types = [VARCHAR, LIST(INTEGER), INTEGER, INTEGER, VARCHAR, BIGINT, DOUBLE, BIGINT, BIGINT, DOUBLE, INTEGER, INTEGER, BIGINT];
  const appender = await connection.createAppender('trades');
  const decoder = new TextDecoder();
  const CHUNK_ROWS = 2048;
  for (const batch of stocksTradesBatches(rows)) {
    for (let from = 0; from < batch.rows; from += CHUNK_ROWS) {
      const to = Math.min(batch.rows, from + CHUNK_ROWS);
      const columns = batch.columns.map((column): Value[] => {
        const out: Value[] = new Array<Value>(to - from);
        for (let r = from; r < to; r++) {
          if (column.valid !== undefined && column.valid[r] !== 1) { out[r - from] = null; continue; }
          switch (column.type) {
            case 'utf8': out[r - from] = decoder.decode(column.bytes.subarray(column.offsets[r], column.offsets[r + 1])); break;
            case 'list_int32': out[r - from] = listValue(Array.from(column.values.subarray(column.offsets[r], column.offsets[r + 1]))); break;
            case 'bool': out[r - from] = column.values[r] === 1; break;
            default: out[r - from] = column.values[r];
          }
        }
        return out;
      });
      const chunk = DuckDBDataChunk.create(types, to - from);
      chunk.setColumns(columns);
      appender.appendDataChunk(chunk);
    }
  }
  appender.closeSync();
  await connection.run(`COPY trades TO '${path.replaceAll("'", "''")}' (FORMAT parquet, COMPRESSION zstd, ROW_GROUP_SIZE ${ROW_GROUP_ROWS})`);
  connection.closeSync();
  instance.closeSync();
}

function round(value: number, digits: number): number {
  const scale = 10 ** digits;
  return Math.round(value * scale) / scale;
}

// ---------------------------------------------------------------- driver

function parseArgs(argv: readonly string[]): { rows: number; json: boolean; cases: BenchCase[]; child?: BenchCase; dir?: string } {
  let rows = 5_000_000;
  let json = false;
  let cases: BenchCase[] = [...CASES];
  let child: BenchCase | undefined;
  let dir: string | undefined;
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (arg === '--json') json = true;
    else if (arg === '--cases') cases = argv[++i].split(',').map(asCase);
    else if (arg === '--child') child = asCase(argv[++i]);
    else if (arg === '--dir') dir = argv[++i];
    else if (/^\d+$/.test(arg)) rows = Number(arg);
    else throw new Error(`unknown argument ${arg}; usage: parquet-writer.js [rows] [--json] [--cases ${CASES.join(',')}]`);
  }
  return { rows, json, cases, child, dir };
}

function asCase(name: string): BenchCase {
  if (!(CASES as readonly string[]).includes(name)) throw new Error(`unknown case ${name}; cases: ${CASES.join(', ')}`);
  return name as BenchCase;
}

/** Runs the cases (each in a child process), prints a markdown table or JSON, returns the results. */
export async function main(argv: readonly string[] = process.argv.slice(2)): Promise<BenchResult[]> {
  const args = parseArgs(argv);
  if (args.child !== undefined) {
    const result = await runCase(args.child, args.rows, args.dir ?? tmpdir());
    process.stdout.write(JSON.stringify(result) + '\n');
    return [result];
  }
  const dir = mkdtempSync(join(tmpdir(), 'gammaflow-bench-parquet-'));
  const results: BenchResult[] = [];
  try {
    for (const name of args.cases) {
      const child = spawnSync(process.execPath, [fileURLToPath(import.meta.url), '--child', name, String(args.rows), '--dir', dir], {
        encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'], maxBuffer: 1 << 20,
      });
      if (child.status !== 0) throw new Error(`case ${name} failed (exit ${child.status})`);
      results.push(JSON.parse(child.stdout.trim().split('\n').pop() ?? '') as BenchResult);
      rmSync(join(dir, `${name}.parquet`), { force: true });
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  if (args.json) {
    process.stdout.write(JSON.stringify({ bench: 'parquet-writer', rows: args.rows, rowGroupRows: ROW_GROUP_ROWS, batchRows: BATCH_ROWS, results }, null, 2) + '\n');
  } else {
    process.stdout.write(`Parquet writers, ${args.rows.toLocaleString('en-US')} stocks-trades rows, row groups of ${ROW_GROUP_ROWS}, zstd\n\n`);
    process.stdout.write('| case | wall s | CPU s | M rows/s | file MB | peak RSS MB |\n|---|---|---|---|---|---|\n');
    for (const r of results) process.stdout.write(`| ${r.case} | ${r.wallS} | ${r.cpuS} | ${r.mRowsPerS} | ${r.fileMB || '–'} | ${r.peakRssMB} |\n`);
  }
  return results;
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) await main();
