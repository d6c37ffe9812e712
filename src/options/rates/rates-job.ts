/**
 * `gammaflow rates`: Treasury yields of a date range from Massive's REST API
 * into the lake dataset `treasury-yields`, one partition per published date
 * (written and published through DayWriter, like every other dataset). A date
 * already stored with the same values is skipped; a revised one is replaced.
 */
import { createHash, randomBytes } from 'node:crypto';
import type { ColumnBatch } from '../../formats/columns.js';
import { DayWriter } from '../../lake/day-writer.js';
import { recoverLake } from '../../lake/publish.js';
import { readManifest, partitionMatches } from '../../lake/manifest.js';
import type { ProgressTracker } from '../../observe/progress.js';
import type { RestClient } from '../../sources/rest/client.js';
import { fetchTreasuryYields } from '../../sources/rest/treasury.js';
import { GammaflowError, errorMessage } from '../../util/errors.js';
import { TENORS, type TreasuryYields } from './treasury-curve.js';
import { TREASURY_COLUMNS, TREASURY_DATASET, TREASURY_SCHEMA_VERSION } from './treasury-store.js';

export interface RatesRequest {
  readonly lake: string;
  readonly from: string;
  readonly to: string;
  readonly client: RestClient;
  readonly force: boolean;
  readonly zstdLevel: number;
  readonly tracker: ProgressTracker;
  readonly signal?: AbortSignal;
  readonly version: string;
}

export interface RatesResult {
  readonly stored: number;
  readonly unchanged: number;
  readonly dates: readonly TreasuryYields[];
  readonly exitCode: number;
}

/** One row of the eleven yields (nulls where not published). */
export function yieldsBatch(y: TreasuryYields): ColumnBatch {
  return {
    rows: 1,
    columns: TENORS.map((t) => {
      const v = y.yields[t.field];
      const present = typeof v === 'number';
      return { type: 'float64' as const, values: Float64Array.of(present ? v : 0), valid: Uint8Array.of(present ? 1 : 0) };
    }),
  };
}

const fingerprint = (y: TreasuryYields): string =>
  createHash('sha256').update(JSON.stringify(TENORS.map((t) => y.yields[t.field] ?? null))).digest('hex').slice(0, 32);

export async function runRates(req: RatesRequest): Promise<RatesResult> {
  const { tracker } = req;
  for (const action of (await recoverLake(req.lake)).actions) tracker.log('warn', action);
  tracker.startRun({ command: 'rates', daysTotal: 0, filesTotal: 0 });
  const id = `${TREASURY_DATASET}/${req.from}..${req.to}`;
  tracker.fileQueued(id, { dataset: TREASURY_DATASET, date: req.from, key: `rest:/fed/v1/treasury-yields?date.gte=${req.from}&date.lte=${req.to}` });
  tracker.fileStarted(id, 0);
  let dates: TreasuryYields[];
  try {
    dates = await fetchTreasuryYields(req.client, req.from, req.to, req.signal);
  } catch (e) {
    const message = e instanceof GammaflowError ? e.message : errorMessage(e);
    tracker.fileDone(id, { state: 'failed', message });
    tracker.error(message);
    return { stored: 0, unchanged: 0, dates: [], exitCode: 1 };
  }
  tracker.fileRows(id, { parsed: dates.length });
  const manifest = await readManifest(req.lake, TREASURY_DATASET);
  const runId = `${Date.now().toString(36)}-${randomBytes(3).toString('hex')}`;
  let stored = 0, unchanged = 0;
  for (const y of dates) {
    if (req.signal?.aborted) break;
    const etag = fingerprint(y);
    const previous = manifest.get(y.date);
    if (!req.force && previous !== undefined && previous.source.etag === etag && previous.schemaVersion === TREASURY_SCHEMA_VERSION
      && (await partitionMatches(req.lake, previous))) { unchanged++; continue; }
    if (previous !== undefined && previous.source.etag !== etag) tracker.log('info', `${TREASURY_DATASET} ${y.date}: revised by the source; replacing`);
    const source = { description: `rest ${req.client.baseUrl}`, key: `rest:/fed/v1/treasury-yields/${y.date}`, size: 1, etag };
    const writer = await DayWriter.create({
      lake: req.lake, dataset: TREASURY_DATASET, date: y.date, runId, schema: TREASURY_COLUMNS,
      rowGroupRows: 1024, fileSizeTargetBytes: 1 << 30, zstdLevel: req.zstdLevel, useWorker: false,
      keyValueMetadata: {
        'gammaflow.schema_version': String(TREASURY_SCHEMA_VERSION), 'gammaflow.dataset': TREASURY_DATASET, 'gammaflow.date': y.date,
        'gammaflow.source': 'rest', 'gammaflow.source_key': source.key, 'gammaflow.source_etag': etag,
        'gammaflow.units': JSON.stringify({ yields: 'percent' }), 'gammaflow.version': req.version,
      },
    });
    try {
      await writer.append(yieldsBatch(y));
      await writer.finish();
      await writer.publish({ dataset: TREASURY_DATASET, date: y.date, source, rowsFiltered: 0, schemaVersion: TREASURY_SCHEMA_VERSION, runId });
    } catch (e) {
      await writer.abort();
      throw e;
    }
    stored++;
    tracker.fileRows(id, { written: 1 });
  }
  const message = `${dates.length} published date(s): ${stored} stored, ${unchanged} already there`;
  tracker.fileDone(id, { state: req.signal?.aborted ? 'failed' : 'done', message });
  tracker.log('info', `${TREASURY_DATASET} ${req.from}..${req.to}: ${message}`);
  if (dates.length === 0) tracker.log('warn', `Massive published no Treasury yields between ${req.from} and ${req.to}`);
  return { stored, unchanged, dates, exitCode: req.signal?.aborted ? 1 : 0 };
}
