/**
 * The gap ledger: what a realtime run knows it missed, per New York date, as JSON lines
 *
 *   LAKE/realtime-ledger/date=D/ledger.jsonl
 *
 * so `gammaflow finalize` (and a REST gap filler) know which intervals the realtime tables lack.
 * D is the New York date of the event time the entry is about (the last event before a gap;
 * the wall clock when no event was seen yet). One object per line, `type`:
 *
 *   run_start  {run_id, at_ms, symbol}
 *   gap        {run_id, cluster, from_ms, to_ms, last_event_ms?, reason}  wall-clock ms of the loss and of the
 *              recovery; reason: the feed's (server close, heartbeat…) or `process_restart` (the previous run
 *              ended without run_end: killed; from_ms = its last stored event's received_at) or `not_running`
 *   dropped    {run_id, cluster, count, from_ms, to_ms}   events the client dropped (slow consumer) in that interval
 *   late       {run_id, count, dropped, revised, from_ms, to_ms}  events behind the watermark in that interval
 *   run_end    {run_id, at_ms, reason}
 *
 * Lines are appended and fsynced at each flush of the live run; a torn last line (kill -9) is
 * skipped by readLedger.
 */
import { closeSync, mkdirSync, openSync, readFileSync, readSync, statSync } from 'node:fs';
import { appendFile, open } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { partitionDir } from '../lake/layout.js';

export const LEDGER_DATASET = 'realtime-ledger';
export const LEDGER_FILE = 'ledger.jsonl';

export type LedgerEntry =
  | { readonly type: 'run_start'; readonly run_id: string; readonly at_ms: number; readonly symbol: string }
  | { readonly type: 'gap'; readonly run_id: string; readonly cluster: string; readonly from_ms: number; readonly to_ms: number; readonly last_event_ms?: number; readonly reason: string }
  | { readonly type: 'dropped'; readonly run_id: string; readonly cluster: string; readonly count: number; readonly from_ms: number; readonly to_ms: number }
  | { readonly type: 'late'; readonly run_id: string; readonly count: number; readonly dropped: number; readonly revised: number; readonly from_ms: number; readonly to_ms: number }
  | { readonly type: 'run_end'; readonly run_id: string; readonly at_ms: number; readonly reason: string }
  /** A reconnection gap filled from REST: `filled` (all of it), `partial` or `not_filled`; `late` trades arrived after their windows were emitted. */
  | { readonly type: 'gap_fill'; readonly run_id: string; readonly cluster: string; readonly from_ms: number; readonly to_ms: number; readonly status: 'filled' | 'partial' | 'not_filled'; readonly trades: number; readonly late: number; readonly error?: string };

export const ledgerPath = (lake: string, date: string): string => join(partitionDir(lake, LEDGER_DATASET, date), LEDGER_FILE);

/** The entries of a day, in order; lines that do not parse (a torn write) are skipped. */
export function readLedger(lake: string, date: string): LedgerEntry[] {
  let text: string;
  try { text = readFileSync(ledgerPath(lake, date), 'utf8'); } catch { return []; }
  const out: LedgerEntry[] = [];
  for (const line of text.split('\n')) {
    if (line.trim() === '') continue;
    try { out.push(JSON.parse(line) as LedgerEntry); } catch { /* torn line */ }
  }
  return out;
}

/** Buffers entries per date and appends them durably on flush(). */
export class GapLedger {
  readonly #lake: string;
  readonly #pending = new Map<string, LedgerEntry[]>();

  constructor(lake: string) {
    this.#lake = lake;
  }

  add(date: string, entry: LedgerEntry): void {
    let list = this.#pending.get(date);
    if (list === undefined) this.#pending.set(date, list = []);
    list.push(entry);
  }

  /** Appends and fsyncs every buffered entry (the fsync on the thread pool, not blocking the event loop). */
  async flush(): Promise<void> {
    for (const [date, entries] of [...this.#pending]) {
      if (entries.length === 0) continue;
      this.#pending.delete(date);
      const path = ledgerPath(this.#lake, date);
      mkdirSync(dirname(path), { recursive: true });
      await appendFile(path, startsOnFreshLine(path) + entries.map((e) => JSON.stringify(e)).join('\n') + '\n');
      const fh = await open(path, 'r+');
      try { await fh.sync(); } finally { await fh.close(); }
    }
  }
}

/** '' when the file is empty or ends with a newline; '\n' after a torn last line. */
function startsOnFreshLine(path: string): string {
  try {
    const size = statSync(path).size;
    if (size === 0) return '';
    const fd = openSync(path, 'r');
    try {
      const b = Buffer.alloc(1);
      readSync(fd, b, 0, 1, size - 1);
      return b[0] === 10 ? '' : '\n';
    } finally { closeSync(fd); }
  } catch {
    return '';
  }
}
