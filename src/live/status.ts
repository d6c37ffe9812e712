/**
 * The live section of the run snapshot (src/observe/live-snapshot.ts), built from what the live
 * run's parts report: the feed clients' stats, the pipeline's counters, the sinks' drops, the
 * recorder, the finalize schedule, and the last closed window of each size. Pure: no I/O.
 */
import { NS_PER_MS } from '../calendar/durations.js';
import { FEATURE_NAMES } from '../features/names.js';
import { DIAG, type FeatureRow } from '../features/row.js';
import type { FeedStats } from '../sources/massive-ws/feed-types.js';
import type { LiveFinalizeDay, LiveStatus, LiveWindowStatus } from '../observe/live-snapshot.js';
import type { LivePipelineStats } from './pipeline.js';

const featureIndex = (name: (typeof FEATURE_NAMES)[number]): number => FEATURE_NAMES.indexOf(name);
const CLOSE = featureIndex('underlying_price_close');
const CALLS_DADVV = featureIndex('calls_dadvv_total');
const PUTS_DADVV = featureIndex('puts_dadvv_total');
const CALLS_GADVV = featureIndex('calls_gadvv_total');
const PUTS_GADVV = featureIndex('puts_gadvv_total');

/** A feature value, undefined for null (NaN). */
function value(row: FeatureRow, index: number): number | undefined {
  const v = row.features[index];
  return v === undefined || Number.isNaN(v) ? undefined : v;
}

/** The key values of one closed window; aggression counts only when the row carries them. */
export function windowStatus(row: FeatureRow, aggression: boolean): LiveWindowStatus {
  return {
    window: row.window,
    windowStartMs: Number(row.windowStartNs / NS_PER_MS),
    windowEndMs: Number(row.windowEndNs / NS_PER_MS),
    close: value(row, CLOSE),
    callsDadvv: value(row, CALLS_DADVV),
    putsDadvv: value(row, PUTS_DADVV),
    callsGadvv: value(row, CALLS_GADVV),
    putsGadvv: value(row, PUTS_GADVV),
    aggressiveBuys: aggression ? row.diagnostics[DIAG.diag_aggressive_buys] : undefined,
    aggressiveSells: aggression ? row.diagnostics[DIAG.diag_aggressive_sells] : undefined,
  };
}

/**
 * The latest window of each size among the rows emitted: a row of a later window replaces the
 * size's entry, a revision of the same window updates it, a revision of an older one is ignored.
 */
export class LastWindows {
  readonly #rows = new Map<string, FeatureRow>();

  add(row: FeatureRow): void {
    const last = this.#rows.get(row.window);
    if (last === undefined || row.windowStartNs >= last.windowStartNs) this.#rows.set(row.window, row);
  }

  /** In the order of `windows` (sizes without a row yet are left out). */
  statuses(windows: readonly string[], aggression: boolean): LiveWindowStatus[] {
    const out: LiveWindowStatus[] = [];
    for (const w of windows) {
      const row = this.#rows.get(w);
      if (row !== undefined) out.push(windowStatus(row, aggression));
    }
    return out;
  }
}

export interface LiveStatusInput {
  readonly symbol: string;
  readonly feedUrl: string;
  readonly feeds: readonly (readonly [cluster: string, stats: FeedStats])[];
  readonly pipeline: LivePipelineStats;
  readonly jsonlDropped: number;
  readonly sseClientsDropped: number;
  readonly corrections: number;
  readonly quotedContracts: number | undefined;
  readonly keptEvents: number;
  readonly duplicatesSkipped: number;
  readonly finalize: readonly LiveFinalizeDay[] | undefined;
  readonly lastWindows: readonly LiveWindowStatus[];
}

export function liveStatus(i: LiveStatusInput): LiveStatus {
  const p = i.pipeline;
  return {
    symbol: i.symbol,
    feedUrl: i.feedUrl,
    connections: i.feeds.map(([cluster, f]) => ({
      cluster, state: f.state, failedAttempts: f.failedAttempts, lastError: f.lastError, eventsPerSecond: f.eventsPerSecond,
      lagMs: f.lagMs, reconnects: f.reconnects, queueDepth: f.queueDepth, dropped: f.dropped,
    })),
    eventsPerSecond: i.feeds.reduce((n, [, f]) => n + f.eventsPerSecond, 0),
    mergerDepth: p.bufferedEvents,
    watermarkMs: p.watermarkNs === undefined ? undefined : Number(p.watermarkNs / NS_PER_MS),
    rows: p.rowsEmitted,
    rowsRevised: p.rowsRevised,
    late: { total: p.late, dropped: p.lateDropped, revised: p.lateRevised },
    dropped: {
      feed: i.feeds.reduce((n, [, f]) => n + f.dropped, 0), jsonl: i.jsonlDropped, sseClients: i.sseClientsDropped,
      mergerReleasedEarly: p.forcedReleases,
    },
    corrections: i.corrections,
    quotedContracts: i.quotedContracts,
    keptEvents: i.keptEvents,
    duplicatesSkipped: i.duplicatesSkipped,
    finalize: i.finalize,
    lastWindows: i.lastWindows,
  };
}
