/**
 * Where a backfill keeps what it fetched, so that a kill -9 costs at most the
 * pages in flight:
 *
 *   LAKE/_backfill/<dataset>/date=D/journal.jsonl           one line per page written (fsynced)
 *   LAKE/_backfill/<dataset>/date=D/spool/<ticker>.csv      the ticker's rows, flat-file CSV with a dedup key
 *   LAKE/_backfill/<dataset>/date=D/contracts-<SYMBOL>.json the contracts listed for SYMBOL that day
 *
 * A page is appended to the ticker's spool and fsynced, then a journal line
 * records the spool's length, the rows and the cursor (`next_url`) of the page
 * that follows, and is fsynced. On resume the latest journal line of each
 * ticker is the truth: the spool is cut back to the recorded length (bytes of
 * a page whose journal line never landed are dropped and fetched again) and
 * fetching goes on from the recorded cursor. Rows are also deduplicated on
 * their key (sequence number, and id for stocks) against everything in the
 * ticker's spool, so an overlapping page adds nothing twice.
 *
 * Spools stay after the day is published: a later backfill of another symbol
 * on the same day publishes the union of the tickers spooled for that day.
 */
import { createReadStream } from 'node:fs';
import { mkdir, open, readFile, rename, rm, stat, truncate, type FileHandle } from 'node:fs/promises';
import { createInterface } from 'node:readline';
import { dirname, join } from 'node:path';
import { LakeError } from '../util/errors.js';
import { KeySet } from './dedup.js';

export interface TickerState {
  /** Bytes of the spool that hold complete, journaled pages. */
  readonly bytes: number;
  readonly rows: number;
  readonly pages: number;
  readonly duplicates: number;
  /** The page to fetch next; null when not started or done. */
  readonly next: string | null;
  readonly done: boolean;
}

interface JournalLine extends TickerState { readonly ticker: string }

const EMPTY: TickerState = { bytes: 0, rows: 0, pages: 0, duplicates: 0, next: null, done: false };

export const backfillDir = (lake: string, dataset: string, date: string): string => join(lake, '_backfill', dataset, `date=${date}`);

/** A file name for a ticker (`O:SPY251107C00680000` → `O%3ASPY251107C00680000.csv`). */
export function spoolFileName(ticker: string): string {
  return encodeURIComponent(ticker).replace(/\./g, '%2E') + '.csv';
}

export class DaySpool {
  readonly dir: string;
  private readonly states = new Map<string, TickerState>();
  private journal: FileHandle | undefined;
  private journalChain: Promise<void> = Promise.resolve();
  private writing = false;
  private waiting: Array<{ line: string; resolve: () => void; reject: (e: unknown) => void }> = [];

  private constructor(dir: string) { this.dir = dir; }

  static async open(lake: string, dataset: string, date: string): Promise<DaySpool> {
    const s = new DaySpool(backfillDir(lake, dataset, date));
    await mkdir(join(s.dir, 'spool'), { recursive: true });
    let text = '';
    try { text = await readFile(s.journalPath, 'utf8'); } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw new LakeError(`cannot read ${s.journalPath}: ${(e as Error).message}`, { path: s.journalPath }, { cause: e });
    }
    for (const line of text.split('\n')) {
      if (line.trim() === '') continue;
      try {
        const j = JSON.parse(line) as JournalLine;
        if (typeof j.ticker === 'string' && typeof j.bytes === 'number') {
          s.states.set(j.ticker, { bytes: j.bytes, rows: j.rows, pages: j.pages, duplicates: j.duplicates ?? 0, next: j.next ?? null, done: j.done === true });
        }
      } catch { /* the torn last line of a killed run: its page is fetched again */ }
    }
    // A torn last line must not glue onto the next one.
    if (text.length > 0 && !text.endsWith('\n')) await writeFileAppend(s.journalPath, '\n');
    return s;
  }

  private get journalPath(): string { return join(this.dir, 'journal.jsonl'); }
  spoolPath(ticker: string): string { return join(this.dir, 'spool', spoolFileName(ticker)); }

  state(ticker: string): TickerState { return this.states.get(ticker) ?? EMPTY; }
  /** Tickers with a complete spool. */
  doneTickers(): string[] { return [...this.states].filter(([, s]) => s.done).map(([t]) => t).sort(byteOrder); }

  /** Forgets tickers (`--force`): their spools are removed and their journal lines superseded. */
  async reset(tickers: readonly string[]): Promise<void> {
    for (const t of tickers) {
      if (!this.states.has(t)) continue;
      await rm(this.spoolPath(t), { force: true });
      await this.record(t, EMPTY);
    }
  }

  /** The contracts listed for `symbol` that day, as saved by saveContracts; undefined when not saved yet. */
  async loadContracts(symbol: string): Promise<string[] | undefined> {
    try {
      const j = JSON.parse(await readFile(this.contractsPath(symbol), 'utf8')) as { tickers: string[] };
      return Array.isArray(j.tickers) ? j.tickers : undefined;
    } catch { return undefined; }
  }

  async saveContracts(symbol: string, tickers: readonly string[]): Promise<void> {
    const path = this.contractsPath(symbol);
    const tmp = path + '.tmp';
    const fh = await open(tmp, 'w');
    try {
      await fh.writeFile(JSON.stringify({ symbol, tickers, listedAt: new Date().toISOString() }));
      await fh.sync();
    } finally { await fh.close(); }
    await rename(tmp, path);
    await fsyncDir(this.dir);
  }

  async removeContracts(symbol: string): Promise<void> { await rm(this.contractsPath(symbol), { force: true }); }

  private contractsPath(symbol: string): string { return join(this.dir, `contracts-${encodeURIComponent(symbol)}.json`); }

  /** Opens a ticker's spool for appending, cut back to its journaled length, with its dedup keys loaded. */
  async openTicker(ticker: string): Promise<TickerSpool> {
    const path = this.spoolPath(ticker);
    let state = this.state(ticker);
    let size = 0;
    try { size = (await stat(path)).size; } catch { /* none yet */ }
    if (size < state.bytes) {
      // The journal promises more than the spool holds (a file system that lost writes): start the ticker over.
      await this.record(ticker, EMPTY);
      state = EMPTY;
    }
    if (size > state.bytes) await truncate(path, state.bytes);
    const keys = new KeySet(Math.max(1024, state.rows));
    if (state.bytes > 0) {
      const lines = createInterface({ input: createReadStream(path, { start: 0, end: state.bytes - 1 }), crlfDelay: Infinity });
      for await (const line of lines) {
        const comma = line.indexOf(',');
        const key = comma < 0 ? '' : line.slice(0, comma);
        if (key !== '') keys.add(key);
      }
    }
    const fh = await open(path, 'a');
    return new TickerSpool(this, ticker, fh, keys, state);
  }

  /**
   * Appends a journal line for `ticker`; resolves once it is fsynced. Group commit: lines recorded
   * while a write is in flight go together in the next write and fsync, so many tickers' pages
   * share one fsync instead of queueing one each.
   */
  record(ticker: string, state: TickerState): Promise<void> {
    this.states.set(ticker, state);
    return new Promise<void>((resolve, reject) => {
      this.waiting.push({ line: JSON.stringify({ ticker, ...state }) + '\n', resolve, reject });
      if (!this.writing) this.journalChain = this.flushJournal();
    });
  }

  private async flushJournal(): Promise<void> {
    this.writing = true;
    try {
      while (this.waiting.length > 0) {
        const group = this.waiting;
        this.waiting = [];
        try {
          this.journal ??= await open(this.journalPath, 'a');
          await this.journal.write(group.map((g) => g.line).join(''));
          await this.journal.sync();
          for (const g of group) g.resolve();
        } catch (e) {
          for (const g of group) g.reject(e);
        }
      }
    } finally {
      this.writing = false;
    }
  }

  async close(): Promise<void> {
    await this.journalChain;
    await this.journal?.close();
    this.journal = undefined;
  }
}

export class TickerSpool {
  constructor(private readonly day: DaySpool, readonly ticker: string, private readonly fh: FileHandle,
    private readonly keys: KeySet, private state: TickerState) {}

  get current(): TickerState { return this.state; }

  /**
   * Writes one page's rows (key + CSV line), skipping keys already spooled, and
   * journals the cursor of the page after it (`next` undefined: the ticker is done).
   */
  async appendPage(rows: ReadonlyArray<{ readonly key: string; readonly line: string }>, next: string | undefined): Promise<{ added: number; duplicates: number }> {
    const kept: string[] = [];
    let duplicates = 0;
    for (const r of rows) {
      if (r.key !== '' && !this.keys.add(r.key)) { duplicates++; continue; }
      kept.push(r.line);
    }
    let bytes = this.state.bytes;
    if (kept.length > 0) {
      const text = kept.join('\n') + '\n';
      await this.fh.write(text);
      await this.fh.sync();
      bytes += Buffer.byteLength(text);
    }
    this.state = {
      bytes, rows: this.state.rows + kept.length, pages: this.state.pages + 1, duplicates: this.state.duplicates + duplicates,
      next: next ?? null, done: next === undefined,
    };
    await this.day.record(this.ticker, this.state);
    return { added: kept.length, duplicates };
  }

  async close(): Promise<void> { await this.fh.close(); }
}

/** Plain byte order of ASCII tickers (the flat files' sort order). */
export function byteOrder(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

async function writeFileAppend(path: string, text: string): Promise<void> {
  await mkdir(dirname(path), { recursive: true });
  const fh = await open(path, 'a');
  try { await fh.write(text); await fh.sync(); } finally { await fh.close(); }
}

async function fsyncDir(path: string): Promise<void> {
  try {
    const fh = await open(path, 'r');
    try { await fh.sync(); } finally { await fh.close(); }
  } catch { /* some file systems refuse directory fsync */ }
}
