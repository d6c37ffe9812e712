/**
 * Backfill counters shown with the run's progress (dashboard, plain and JSON
 * lines, Prometheus `gammaflow_run_value`): tickers done/total, pages, rows,
 * REST requests per second, 429s, retries and an ETA from the pace of tickers.
 */
import type { ProgressTracker } from '../observe/progress.js';
import { RateWindow } from '../observe/rate.js';
import { formatDuration } from '../observe/format.js';
import type { RestEvent } from '../sources/rest/client.js';

export class BackfillProgress {
  private tickersTotal = 0;
  private tickersDone = 0;
  private pages = 0;
  private rows = 0;
  private duplicates = 0;
  private requests = 0;
  private rateLimited = 0;
  private retries = 0;
  private readonly requestRate = new RateWindow(5000);
  private readonly startedAtMs: number;

  constructor(private readonly tracker: ProgressTracker, private readonly now: () => number = Date.now) {
    this.startedAtMs = now();
    this.publish();
  }

  /** The REST client's events. */
  onRest = (e: RestEvent): void => {
    if (e.kind === 'request') {
      this.requests++;
      this.requestRate.record(this.now(), this.requests);
    } else if (e.kind === 'rate_limited') {
      this.rateLimited++;
    } else {
      this.retries++;
    }
    this.publish();
  };

  tickersPlanned(n: number): void { this.tickersTotal += n; this.publish(); }
  tickerDone(): void { this.tickersDone++; this.publish(); }
  page(added: number, duplicates: number): void {
    this.pages++;
    this.rows += added;
    this.duplicates += duplicates;
    this.publish();
  }

  get totals(): { pages: number; rows: number; requests: number; rateLimited: number; retries: number; duplicates: number } {
    return { pages: this.pages, rows: this.rows, requests: this.requests, rateLimited: this.rateLimited, retries: this.retries, duplicates: this.duplicates };
  }

  private publish(): void {
    const t = this.tracker;
    const now = this.now();
    t.setExtra('rest_tickers', `${this.tickersDone}/${this.tickersTotal}`);
    t.setExtra('rest_tickers_done', this.tickersDone);
    t.setExtra('rest_tickers_total', this.tickersTotal);
    t.setExtra('rest_pages', this.pages);
    t.setExtra('rest_rows', this.rows);
    t.setExtra('rest_requests_per_second', Math.round(this.requestRate.perSecond(now) * 10) / 10);
    t.setExtra('rest_429s', this.rateLimited);
    t.setExtra('rest_retries', this.retries);
    if (this.duplicates > 0) t.setExtra('rest_duplicates', this.duplicates);
    const left = this.tickersTotal - this.tickersDone;
    const elapsedSec = (now - this.startedAtMs) / 1000;
    const eta = this.tickersDone > 0 && left > 0 ? (elapsedSec / this.tickersDone) * left : left === 0 ? 0 : undefined;
    t.setExtra('rest_eta', formatDuration(eta));
  }
}
