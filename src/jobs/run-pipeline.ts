/**
 * Features from flat files in one job (`gammaflow run`, and the recompute of `finalize`): ingest
 * only what the features need (the symbol's stock trades, its option trades, and its option quotes
 * when aggression is on, all filtered while streaming) → greeks → features, each step only for the
 * days the previous one delivered, under the caller's run UI.
 */
import type { SessionKind } from '../calendar/index.js';
import type { Config } from '../config/schema.js';
import { runFeatures } from '../features/job.js';
import { DATASETS, type DatasetSpec } from '../formats/datasets.js';
import { ingestDaysWithin } from '../ingest/command.js';
import type { ProgressTracker } from '../observe/progress.js';
import { runGreeks } from '../options/greeks-job.js';
import { IngestDaySides, SidesBudget, type IngestedSides } from '../options/ingest-sides.js';

export interface PipelineOptions {
  readonly config: Config;
  readonly configPath: string | undefined;
  readonly symbol: string;
  readonly from: string;
  readonly to: string;
  readonly lake: string;
  readonly sourceSpec: string;
  readonly force: boolean;
  /** A trading day without a file fails the run (exit 1). */
  readonly requireAll?: boolean;
  readonly noTui: boolean;
  readonly json: boolean;
  readonly windows?: readonly string[];
  readonly session?: SessionKind;
  readonly out?: string;
  /** Only these days (a shard's days: `finalize --shard`). */
  readonly selectDay?: (date: string) => boolean;
  /** Told the days whose flat files are in the lake, once ingest is over (finalize reads them meanwhile). */
  readonly onIngested?: (days: readonly string[]) => void;
  /** Awaited before the features step replaces any features partition (finalize's rows before). */
  readonly beforeFeatures?: () => Promise<void>;
}

/** The steps of runPipeline under a dashboard the caller owns. */
export async function runPipelineSteps({ tracker, signal }: { readonly tracker: ProgressTracker; readonly signal: AbortSignal }, o: PipelineOptions, version: string): Promise<number> {
  const { config, symbol } = o;
  {
    const datasets = [DATASETS['stocks-trades'], DATASETS['options-trades']];
    if (config.aggregations.aggression) datasets.push(DATASETS['options-quotes']);
    // With aggression, the option trades are classified while both option files stream
    // (options/ingest-sides.ts); the greeks step then does not read the quotes back.
    const selection = { underlying: symbol, extraRoots: [...config.aggregations.option_roots].sort() };
    const sidesByDay = new Map<string, IngestDaySides>();
    const budget = new SidesBudget();
    const daySides = (date: string): IngestDaySides => {
      let day = sidesByDay.get(date);
      if (day === undefined) sidesByDay.set(date, day = new IngestDaySides(date, selection, config.aggregations, { budget }));
      return day;
    };
    tracker.nextStage('run');
    const ingest = await ingestDaysWithin(tracker, signal, {
      config, configPath: o.configPath, datasets, from: o.from, to: o.to, lake: o.lake, sourceSpec: o.sourceSpec,
      force: o.force, noTui: o.noTui, json: o.json, ...(o.requireAll ? { requireAll: true } : {}),
      ...(o.selectDay ? { selectDay: o.selectDay } : {}),
      tickers: [symbol], underlyings: [symbol, ...config.aggregations.option_roots],
      ...(config.aggregations.aggression ? {
        tapFor: (dataset: DatasetSpec, date: string) => dataset.name === 'options-trades' ? daySides(date).tradesTap
          : dataset.name === 'options-quotes' ? daySides(date).quotesTap : undefined,
      } : {}),
    }, version);
    const ingestedSides = new Map<string, IngestedSides>();
    for (const [date, day] of sidesByDay) {
      const r = await day.result();
      if ('sides' in r) ingestedSides.set(date, r);
      else if (day.ingestedAny) tracker.log('info', `aggression ${date}: the greeks step classifies from the lake (${r.off})`);
    }
    const usable = new Set(['ingested', 'skipped']);
    const byDate = new Map<string, boolean>();
    for (const d of ingest.outcomes) {
      // options-quotes are optional input (aggression is simply off for a day without them)
      if (d.dataset === 'options-quotes') continue;
      byDate.set(d.date, (byDate.get(d.date) ?? true) && usable.has(d.state));
    }
    const days = [...byDate].filter(([, ok]) => ok).map(([date]) => date).sort();
    if (signal.aborted || days.length === 0) return ingest.exitCode || (days.length === 0 && byDate.size > 0 ? 1 : 0);
    o.onIngested?.(days);

    tracker.nextStage('run');
    const greeks = await runGreeks({ lake: o.lake, symbol, days, config, tracker, signal, force: o.force, version, ingestedSides });
    const greeksDays = greeks.outcomes.filter((g) => g.state === 'computed' || g.state === 'skipped').map((g) => g.date);
    if (signal.aborted || greeksDays.length === 0) return Math.max(ingest.exitCode, greeks.exitCode, 1);

    await o.beforeFeatures?.();
    tracker.nextStage('run');
    const features = await runFeatures({
      lake: o.lake, symbol, days: greeksDays, config, tracker, signal, force: o.force,
      ...(o.windows ? { windows: o.windows } : {}), ...(o.session ? { session: o.session } : {}), ...(o.out ? { out: o.out } : {}),
    });
    tracker.log('info', `features: ${features.rowsWritten.toLocaleString('en-US')} row(s) for ${symbol}${o.out ? ` in ${o.out}` : ''}`);
    return Math.max(ingest.exitCode, greeks.exitCode, features.exitCode);
  }
}
