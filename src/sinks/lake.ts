/**
 * The live pipeline's rows in the lake's features table. Intraday, rows are appended as rotated
 * files `LAKE/features/symbol=S/window=W/date=D/live-<runId>-NNNNN.parquet` (every `rotateRows`
 * rows of a partition, or on `flush()`, which the command calls on a timer and at the end).
 * Each file is written under a temporary name (`….parquet.<pid>.tmp`) and renamed when
 * complete, so a reader globbing `*.parquet` never sees a partial file. A corrected row
 * (late_policy revise) is appended again in a later file: within a run, the last occurrence of
 * a (window, window_start) wins. Once a New York day has no open window left, the day is
 * *published* like a historical run does it (publishFeatureDay: one part file with the final
 * row of each window, staged, partition replaced by rename, manifest entry): the live files
 * disappear with the old partition; a revision arriving later republishes the whole day. The
 * manifest source is `live/<runId>`, so a later `gammaflow features` (or `finalize`) run for
 * that day does not consider it up to date and recomputes it from the lake.
 *
 * Every row is `quality = prelim`, `source = realtime`, under the run's policy (policy.ts).
 * Before its first write to a partition the sink reads what the lake already publishes there:
 * rows of another policy, or final rows, are never overwritten by live rows; the partition is
 * left alone and the reason logged once (error for a policy conflict).
 */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { partitionDir } from '../lake/layout.js';
import { withPartitionsIfFree } from '../lake/lock.js';
import { FeatureFileWriter, featureDataset, policyConflict, publishFeatureDay, publishedFeaturePartition } from '../features/output.js';
import type { FeaturePolicy } from '../features/policy.js';
import { PRELIM_REALTIME, type RowProvenance } from '../features/provenance.js';
import { parseDurationMs } from '../calendar/durations.js';
import type { FeatureRow } from '../features/row.js';
import type { RowEmission } from '../live/pipeline.js';
import type { OutputLog } from './sink-log.js';

export interface LakeFeatureSinkOptions {
  readonly lake: string;
  readonly symbol: string;
  readonly runId: string;
  readonly aggression: boolean;
  /** The policy of each window size's rows. */
  readonly policies: ReadonlyMap<string, FeaturePolicy>;
  /** Rows of one partition per live file; default 1000. */
  readonly rotateRows?: number;
  readonly rowGroupRows: number;
  readonly zstdLevel: number;
  readonly onLog?: OutputLog;
}

export interface LakeSinkStats {
  readonly liveFiles: number;
  readonly liveRows: number;
  readonly daysPublished: number;
  /** Partitions left alone (another policy, or already final). */
  readonly partitionsRefused: number;
}

interface DayRows {
  /** Final row per window label and start (revisions replace). Kept after publication: a late revision republishes the whole day. */
  readonly final: Map<string, Map<bigint, FeatureRow>>;
  /** Rows not yet in a live file, per window label. */
  readonly pending: Map<string, FeatureRow[]>;
  /** Rows added since the day was last published (or never published). */
  dirty: boolean;
}

export class LakeFeatureSink {
  readonly #o: LakeFeatureSinkOptions;
  readonly #rotateRows: number;
  readonly #days = new Map<string, DayRows>();
  /** Per `date/window`: undefined = not checked yet, null = writable, string = why not. */
  readonly #verdicts = new Map<string, string | null>();
  #fileIndex = 0;
  #liveFiles = 0;
  #liveRows = 0;
  #daysPublished = 0;

  constructor(options: LakeFeatureSinkOptions) {
    this.#o = options;
    this.#rotateRows = options.rotateRows ?? 1000;
  }

  stats(): LakeSinkStats {
    return {
      liveFiles: this.#liveFiles, liveRows: this.#liveRows, daysPublished: this.#daysPublished,
      partitionsRefused: [...this.#verdicts.values()].filter((v) => typeof v === 'string').length,
    };
  }

  /** Takes a row; writes a live file when its partition has `rotateRows` pending (and was checked writable). */
  add(row: FeatureRow, _emission?: RowEmission): void {
    let day = this.#days.get(row.date);
    if (day === undefined) this.#days.set(row.date, (day = { final: new Map(), pending: new Map(), dirty: true }));
    day.dirty = true;
    let final = day.final.get(row.window);
    if (final === undefined) day.final.set(row.window, (final = new Map()));
    final.set(row.windowStartNs, row);
    let pending = day.pending.get(row.window);
    if (pending === undefined) day.pending.set(row.window, (pending = []));
    pending.push(row);
    if (pending.length >= this.#rotateRows && this.#verdicts.get(`${row.date}/${row.window}`) === null) {
      this.#writeLive(row.date, row.window, pending.splice(0));
    }
  }

  /** Writes every pending row into live files (one per partition). */
  async flush(): Promise<void> {
    for (const [date, day] of this.#days) {
      for (const [window, pending] of day.pending) {
        if (pending.length === 0) continue;
        if (await this.#writable(date, window)) this.#writeLive(date, window, pending.splice(0));
        else pending.length = 0;
      }
    }
  }

  /**
   * Publishes every day that has new rows and is not in `openDates` (its windows are all closed):
   * one partition per window size with every final row of the day, replacing that day's live
   * files (or its previous publication, after a late revision). Returns the dates published.
   */
  async publishClosedDays(openDates: readonly string[]): Promise<string[]> {
    const open = new Set(openDates);
    const published: string[] = [];
    if (![...this.#days].some(([date, day]) => !open.has(date) && day.dirty)) return published;
    // Publishing replaces partitions: each under its partition lock, like every writer (so no other run's
    // recovery mistakes the staged day for debris). A partition busy with another run is tried again on the next flush.
    const r = await withPartitionsIfFree(() => this.#publishClosed(open, published));
    if (!r.ran && !this.#busyLogged) this.#o.onLog?.('info', `features ${this.#o.symbol}: closed days wait to be published: ${r.busy}`);
    this.#busyLogged = !r.ran;
    return published;
  }

  #busyLogged = false;

  async #publishClosed(open: ReadonlySet<string>, published: string[]): Promise<void> {
    for (const [date, day] of [...this.#days]) {
      if (open.has(date) || !day.dirty) continue;
      let rowsPublished = 0;
      for (const [window, final] of day.final) {
        // Checked again at each publication: a finalize may have made the partition final since.
        this.#verdicts.delete(`${date}/${window}`);
        if (!(await this.#writable(date, window))) continue;
        const rows = [...final.values()].sort((a, b) => (a.windowStartNs < b.windowStartNs ? -1 : a.windowStartNs > b.windowStartNs ? 1 : 0));
        await publishFeatureDay({
          lake: this.#o.lake, symbol: this.#o.symbol, window, date, runId: this.#o.runId, rows, aggression: this.#o.aggression,
          source: { description: `gammaflow live run ${this.#o.runId}`, key: `live/${this.#o.runId}`, size: 0, etag: `live-${this.#o.runId}` },
          policy: this.#policy(window), provenance: this.#provenance(),
          rowGroupRows: this.#o.rowGroupRows, zstdLevel: this.#o.zstdLevel,
        });
        rowsPublished += rows.length;
      }
      day.dirty = false;
      day.pending.clear();
      if (rowsPublished === 0) continue;
      this.#daysPublished++;
      published.push(date);
      this.#o.onLog?.('info', `features ${this.#o.symbol} ${date}: day published to the lake as prelim (${rowsPublished} rows)`);
    }
  }

  /** Event-time intervals (ns) whose trades came from REST after a reconnect (live gap fill). */
  readonly #restFilled: { fromNs: bigint; toNs: bigint }[] = [];

  /** Trades of [fromMs, toMs] were fetched from REST: rows of the windows that overlap it have source `rest`. */
  noteRestFill(fromMs: number, toMs: number): void {
    this.#restFilled.push({ fromNs: BigInt(fromMs) * 1_000_000n, toNs: BigInt(toMs) * 1_000_000n });
  }

  #provenance(): RowProvenance {
    if (this.#restFilled.length === 0) return PRELIM_REALTIME;
    const filled = this.#restFilled;
    return {
      ...PRELIM_REALTIME,
      sourceOf: (row) => {
        const endNs = row.windowStartNs + BigInt(parseDurationMs(row.window)) * 1_000_000n;
        return filled.some((f) => f.fromNs < endNs && row.windowStartNs <= f.toNs) ? 'rest' : 'realtime';
      },
    };
  }

  #policy(window: string): FeaturePolicy {
    const policy = this.#o.policies.get(window);
    if (policy === undefined) throw new RangeError(`no feature policy for the window size ${window}`);
    return policy;
  }

  /** Whether live rows may go into the partition; the first refusal of a partition is logged. */
  async #writable(date: string, window: string): Promise<boolean> {
    const key = `${date}/${window}`;
    const known = this.#verdicts.get(key);
    if (known !== undefined) return known === null;
    const where = `${featureDataset(this.#o.symbol, window)}/date=${date}`;
    const existing = await publishedFeaturePartition(this.#o.lake, this.#o.symbol, window, date);
    const conflict = policyConflict(existing, this.#policy(window), where);
    let verdict: string | null = null;
    if (conflict !== undefined) {
      verdict = conflict;
      this.#o.onLog?.('error', `live rows not written: ${conflict}; move that partition away or run live with the same settings`);
    } else if (existing?.quality === 'final') {
      verdict = 'final';
      this.#o.onLog?.('info', `${where} is already final: the live rows of that day are not written over it`);
    }
    this.#verdicts.set(key, verdict);
    return verdict === null;
  }

  #writeLive(date: string, window: string, rows: readonly FeatureRow[]): void {
    const dir = partitionDir(this.#o.lake, featureDataset(this.#o.symbol, window), date);
    mkdirSync(dir, { recursive: true });
    const path = join(dir, `live-${this.#o.runId}-${String(this.#fileIndex++).padStart(5, '0')}.parquet`);
    const writer = new FeatureFileWriter(path, {
      aggression: this.#o.aggression, rowGroupRows: this.#o.rowGroupRows, zstdLevel: this.#o.zstdLevel,
      keyValueMetadata: { 'gammaflow.source': `live/${this.#o.runId}` },
      lake: { provenance: this.#provenance(), policy: this.#policy(window) },
    });
    try {
      writer.append(rows);
      writer.close();
    } catch (e) {
      writer.abort();
      throw e;
    }
    this.#liveFiles++;
    this.#liveRows += rows.length;
  }
}
