/**
 * A backfilled day from its spools into the lake: the tickers' spools, in
 * ticker order (the flat files' order: ticker, then time), go through the
 * flat-file CSV parser (same columns, types, OPRA columns and rejects as
 * `ingest`) into a DayWriter, published with `source=rest` provenance.
 */
import { createReadStream } from 'node:fs';
import type { DatasetSpec } from '../formats/datasets.js';
import { CsvBatchParser } from '../formats/csv/parser.js';
import { optionDerivedColumns } from '../options/contract-columns.js';
import { DayWriter } from '../lake/day-writer.js';
import type { ManifestEntry } from '../lake/manifest.js';
import { spoolHeader } from '../sources/rest/records.js';
import type { DaySpool } from './spool.js';

export interface AssembleOptions {
  readonly lake: string;
  readonly runId: string;
  readonly dataset: DatasetSpec;
  readonly date: string;
  readonly spool: DaySpool;
  /** Tickers to publish (their spools are complete), any order. */
  readonly tickers: readonly string[];
  /** `tickers=SPY` / `underlyings=QQQ,SPY`: what the day holds, as an ingest filter says it. */
  readonly filter: string;
  /** Manifest `source`: description `rest <url>`, key `rest:<dataset>/<date>`, size = rows, etag = the spools' fingerprint. */
  readonly source: ManifestEntry['source'];
  readonly batchRows: number;
  readonly rowGroupRows: number;
  readonly fileSizeTargetBytes: number;
  readonly zstdLevel: number;
  readonly useWorkerWriter: boolean;
  readonly version: string;
  readonly signal?: AbortSignal;
  readonly onRows?: (delta: { written?: number; rejected?: number }) => void;
}

export async function assembleDay(o: AssembleOptions): Promise<ManifestEntry> {
  const { dataset, date } = o;
  const derived = dataset.filterKind === 'underlyings' ? optionDerivedColumns() : undefined;
  const schema = [...dataset.columns, ...(derived?.specs ?? [])];
  const label = `${o.source.description} ${dataset.name} ${date} (spooled under ${o.spool.dir})`;
  const parser = new CsvBatchParser({
    columns: dataset.columns, batchRows: o.batchRows, file: label,
    ...(derived ? { derived } : {}), sharedMemory: o.useWorkerWriter,
  });
  const writer = await DayWriter.create({
    lake: o.lake, dataset: dataset.name, date, runId: o.runId, schema,
    rowGroupRows: o.rowGroupRows, batchRows: o.batchRows, fileSizeTargetBytes: o.fileSizeTargetBytes, zstdLevel: o.zstdLevel,
    useWorker: o.useWorkerWriter,
    onBatchDone: (batch) => parser.recycle(batch),
    keyValueMetadata: {
      'gammaflow.schema_version': String(dataset.schemaVersion),
      'gammaflow.dataset': dataset.name,
      'gammaflow.date': date,
      'gammaflow.source': 'rest',
      'gammaflow.source_key': o.source.key,
      'gammaflow.source_size': String(o.source.size),
      'gammaflow.source_etag': o.source.etag,
      'gammaflow.units': JSON.stringify(Object.fromEntries(schema.filter((c) => c.unit).map((c) => [c.name, c.unit]))),
      'gammaflow.filter': o.filter,
      'gammaflow.version': o.version,
    },
  });
  let rejected = 0;
  const write = async (batches: ReturnType<CsvBatchParser['push']>): Promise<void> => {
    for (const b of batches) {
      await writer.append(b);
      o.onRows?.({ written: b.rows });
    }
    const rejects = parser.takeRejects();
    if (rejects.length > 0) {
      await writer.addRejects(label, rejects);
      o.onRows?.({ rejected: parser.rowsRejected - rejected });
      rejected = parser.rowsRejected;
    }
  };
  try {
    await write(parser.push(Buffer.from(spoolHeader(dataset) + '\n')));
    const tickers = [...o.tickers].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
    for (const ticker of tickers) {
      const bytes = o.spool.state(ticker).bytes;
      if (bytes === 0) continue;
      const stream = createReadStream(o.spool.spoolPath(ticker), { start: 0, end: bytes - 1, highWaterMark: 1 << 20, ...(o.signal ? { signal: o.signal } : {}) });
      for await (const chunk of stream as AsyncIterable<Buffer>) await write(parser.push(chunk));
    }
    await write(parser.end());
    await writer.finish();
    return await writer.publish({
      dataset: dataset.name, date, source: o.source, filter: o.filter,
      rowsFiltered: 0, schemaVersion: dataset.schemaVersion, runId: o.runId,
    });
  } catch (e) {
    await writer.abort();
    throw e;
  }
}
