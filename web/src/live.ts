/**
 * Live view: for a symbol the live process follows, the flow charts of one window size filling in
 * as windows close, from /api/live (rows so far) and /features/stream (SSE, one row per closed
 * window; `event: revision` replaces a row), and for the newest closed window (or a picked one)
 * the IV smile and gadvv by strike of its priced option trades (/api/live/smile,
 * /api/live/gadvv-by-strike), fetched again as each window closes. The run's connection state,
 * lag, msgs/s and last window per size come from /api/live/run/stream. The same page works under
 * `gammaflow live` (its own session) and `gammaflow serve` (forwarded to the live process; when
 * there is none, a message, and the page looks again every few seconds).
 *
 * For people and tests: `#live[data-stream]` (`none`, `connecting`, `open`, `reconnecting`,
 * `closed`), `data-last-window-<size>` (start, epoch ms, of the newest row received per size),
 * `data-rows`, `data-window-start` (the window whose smile and strikes are drawn) and
 * `data-window-state` (`loading`, `ready`, `error`).
 */
import { getJson, type FeatureTable, type JobView, type LiveInfo, type LiveStatus, type Smile, type StrikeProfile } from './api.js';
import { h, setOptions } from './dom.js';
import { FlowCharts } from './flow-charts.js';
import { nyClock } from './format.js';
import { StrikeCharts } from './strike-charts.js';

type Row = Record<string, number | string | null>;

const LATEST = 'latest';
const RETRY_MS = 3000;

export class LiveView {
  readonly root: HTMLElement;
  readonly #symbol = h('select', { id: 'live-symbol', 'aria-label': 'symbol' });
  readonly #window = h('select', { id: 'live-window', 'aria-label': 'window size' });
  readonly #status = h('dl', { class: 'live-status', id: 'live-status' });
  readonly #note = h('p', { class: 'note', id: 'live-note' });
  readonly #selected = h('select', { id: 'live-selected-window', 'aria-label': 'selected window' });
  readonly #expiry = h('select', { id: 'live-expiry', 'aria-label': 'expiry' });
  readonly #scope = h('select', { id: 'live-strike-scope', 'aria-label': 'gadvv by strike over' });
  readonly #windowTitle = h('h2', {}, 'Selected window');
  readonly #windowNote = h('p', { class: 'note', id: 'live-window-note' });
  readonly #windowCharts = h('div', { class: 'window-charts' });
  readonly #flow: FlowCharts;
  readonly #byStrike = new StrikeCharts(this.#windowCharts);
  /** Rows per window size of the selected symbol, by window start (ms). */
  readonly #rows = new Map<string, Map<number, Row>>();
  #columns: string[] = [];
  #stream: EventSource | undefined;
  #run: EventSource | undefined;
  #retry: ReturnType<typeof setTimeout> | undefined;
  #received = 0;
  #lastReceivedAt = 0;
  #pending = false;
  #info: LiveInfo = { active: false };
  #live: LiveStatus | undefined;
  /** The by-strike charts: one request at a time, the newest wish served after it. */
  #windowBusy = false;
  #windowAgain = false;

  constructor(parent: HTMLElement) {
    setOptions(this.#scope, [{ value: 'window', label: 'selected window' }, { value: 'day', label: 'day so far' }], 'window');
    const label = (text: string, el: HTMLElement): HTMLElement => h('label', {}, text + ' ', el);
    this.root = h('section', { id: 'live', 'data-stream': 'closed' },
      h('div', { class: 'controls' }, label('Symbol', this.#symbol), label('Window size', this.#window)), this.#note, this.#status);
    parent.append(this.root);
    this.#flow = new FlowCharts(this.root, (i) => this.#pick(i));
    this.root.append(this.#windowTitle,
      h('div', { class: 'controls' }, label('Window', this.#selected), label('Expiry', this.#expiry), label('gadvv by strike over', this.#scope)),
      this.#windowNote, this.#windowCharts);
    this.#symbol.addEventListener('change', () => void this.#switchSymbol());
    this.#window.addEventListener('change', () => void this.#loadWindow());
    this.#selected.addEventListener('change', () => void this.#refreshStrikes());
    this.#expiry.addEventListener('change', () => void this.#refreshStrikes());
    this.#scope.addEventListener('change', () => void this.#refreshStrikes());
  }

  async start(): Promise<void> {
    try {
      this.#info = await getJson<LiveInfo>('/api/live');
    } catch (e) {
      this.#note.textContent = `Cannot read the live session: ${(e as Error).message}`;
      this.root.dataset.stream = 'none';
      this.#retryLater();
      return;
    }
    if (!this.#info.active) {
      this.#note.textContent = this.#info.message ?? 'No live process.';
      this.root.dataset.active = 'false';
      this.root.dataset.stream = 'none';
      this.#renderStatus();
      this.#retryLater();
      return;
    }
    this.root.dataset.active = 'true';
    const symbols = this.#info.symbols ?? (this.#info.symbol !== undefined ? [this.#info.symbol] : []);
    setOptions(this.#symbol, symbols.map((s) => ({ value: s, label: s })), this.#symbol.value || symbols[0]);
    await this.#switchSymbol();
  }

  stop(): void {
    this.#stream?.close();
    this.#run?.close();
    this.#stream = undefined;
    this.#run = undefined;
    if (this.#retry !== undefined) clearTimeout(this.#retry);
    this.#retry = undefined;
    this.root.dataset.stream = 'closed';
  }

  /** Looks for a live session again in a few seconds (none yet, or the one followed went away). */
  #retryLater(): void {
    if (this.#retry !== undefined) return;
    this.#retry = setTimeout(() => { this.#retry = undefined; void this.start(); }, RETRY_MS);
  }

  async #switchSymbol(): Promise<void> {
    this.#stream?.close();
    this.#run?.close();
    const symbol = this.#symbol.value;
    // The session's info for this symbol: under serve, the live process that follows it.
    try {
      this.#info = await getJson<LiveInfo>('/api/live', { symbol });
    } catch (e) {
      this.#note.textContent = `Cannot read the live session of ${symbol}: ${(e as Error).message}`;
      this.#retryLater();
      return;
    }
    this.#rows.clear();
    this.#received = 0;
    this.#live = undefined;
    for (const key of Object.keys(this.root.dataset)) if (key.startsWith('lastWindow')) delete this.root.dataset[key];
    const windows = this.#info.windows ?? [];
    setOptions(this.#window, windows.map((w) => ({ value: w, label: w })), windows.includes(this.#window.value) ? this.#window.value : windows.includes('1m') ? '1m' : windows[0]);
    this.#note.textContent = `${symbol}: feature rows as windows close${this.#info.source !== undefined ? ` (live process at ${this.#info.source})` : ''}.`;
    // The stream first: rows closing while the rows so far are fetched arrive on it (both fill the same map).
    await this.#connect(symbol);
    await this.#loadWindow();
    this.#watchRun(symbol);
  }

  async #loadWindow(): Promise<void> {
    const window = this.#window.value;
    let table: LiveInfo;
    try {
      table = await getJson<LiveInfo>('/api/live', { symbol: this.#symbol.value, window });
    } catch (e) {
      this.#note.textContent = `Cannot read the rows so far: ${(e as Error).message}`;
      return;
    }
    if (table.columns !== undefined) this.#columns = table.columns;
    const rows = this.#rowsOf(window);
    for (const r of table.rows ?? []) {
      const row: Row = {};
      this.#columns.forEach((c, i) => { row[c] = r[i] ?? null; });
      rows.set(row.window_start_ms as number, row);
      this.#noteLast(window, row.window_start_ms as number);
    }
    this.#draw();
    void this.#refreshStrikes();
  }

  #rowsOf(window: string): Map<number, Row> {
    let rows = this.#rows.get(window);
    if (rows === undefined) this.#rows.set(window, (rows = new Map()));
    return rows;
  }

  /** Opens /features/stream; resolves once it is open (or failed: EventSource keeps retrying). */
  #connect(symbol: string): Promise<void> {
    const stream = new EventSource(`/features/stream?symbol=${encodeURIComponent(symbol)}`);
    this.#stream = stream;
    this.root.dataset.stream = 'connecting';
    let opened: () => void = () => undefined;
    const open = new Promise<void>((resolve) => { opened = resolve; });
    let connections = 0;
    stream.onopen = () => {
      this.root.dataset.stream = 'open';
      // After a reconnect (the server dropped us, or restarted), rows closed meanwhile come from the rows so far.
      if (++connections > 1) void this.#loadWindow();
      this.#renderStatus();
      opened();
    };
    stream.onerror = () => {
      if (stream !== this.#stream) return;
      this.root.dataset.stream = stream.readyState === EventSource.CLOSED ? 'closed' : 'reconnecting';
      this.#renderStatus();
      opened();
      // Closed for good (e.g. serve answered that no live process follows the symbol any more): look again later.
      if (stream.readyState === EventSource.CLOSED) {
        this.#note.textContent = `The live stream of ${symbol} ended; looking for a live process again every ${RETRY_MS / 1000} s.`;
        this.#retryLater();
      }
    };
    const onRow = (e: MessageEvent<string>): void => {
      const raw = JSON.parse(e.data) as Row;
      if (raw.symbol !== symbol || stream !== this.#stream) return;
      // window_start / window_end are exact ns integers in the stream; ms are exact for window bounds.
      const row: Row = { ...raw, window_start_ms: Math.round((raw.window_start as number) / 1e6), window_end_ms: Math.round((raw.window_end as number) / 1e6) };
      delete row.window_start;
      delete row.window_end;
      const window = String(row.window);
      this.#rowsOf(window).set(row.window_start_ms as number, row);
      this.#received++;
      this.#lastReceivedAt = Date.now();
      this.#noteLast(window, row.window_start_ms as number);
      if (this.#columns.length === 0) this.#columns = ['symbol', 'window', 'window_start_ms', 'window_end_ms', ...Object.keys(raw).slice(4)];
      if (window === this.#window.value) {
        this.#schedule();
        if (this.#selected.value === LATEST || this.#selected.value === '') void this.#refreshStrikes();
      }
    };
    stream.onmessage = onRow;
    stream.addEventListener('revision', onRow as EventListener);
    return open;
  }

  /** Keeps `data-last-window-<size>`: the newest window start (ms) received for a size. */
  #noteLast(window: string, startMs: number): void {
    const key = `lastWindow${window}`;
    if (startMs > Number(this.root.dataset[key] ?? 0)) this.root.dataset[key] = String(startMs);
  }

  #schedule(): void {
    if (this.#pending) return;
    this.#pending = true;
    requestAnimationFrame(() => { this.#pending = false; this.#draw(); });
  }

  #sortedRows(): Row[] {
    return [...this.#rowsOf(this.#window.value).values()].sort((a, b) => (a.window_start_ms as number) - (b.window_start_ms as number));
  }

  #draw(): void {
    const rows = this.#sortedRows();
    const table: FeatureTable = { columns: this.#columns, rows: rows.map((r) => this.#columns.map((c) => r[c] ?? null)) };
    this.#flow.update(table);
    this.root.dataset.rows = String(rows.length);
    const chosen = this.#selected.value || LATEST;
    setOptions(this.#selected, [{ value: LATEST, label: 'newest closed' }, ...rows.map((r) => ({ value: String(r.window_start_ms), label: nyClock(r.window_start_ms as number) }))], chosen);
    this.#renderStatus();
  }

  /** A click on a time chart picks that window. */
  #pick(index: number): void {
    const row = this.#sortedRows()[index];
    if (row === undefined) return;
    this.#selected.value = String(row.window_start_ms);
    void this.#refreshStrikes();
  }

  /** The window whose trades are drawn: the picked one, or the newest closed. */
  #selectedRow(): Row | undefined {
    const rows = this.#sortedRows();
    const chosen = this.#selected.value;
    if (chosen === LATEST || chosen === '') return rows[rows.length - 1];
    return rows.find((r) => String(r.window_start_ms) === chosen);
  }

  /** Fetches and draws the selected window's smile and gadvv by strike. */
  async #refreshStrikes(): Promise<void> {
    if (this.#windowBusy) { this.#windowAgain = true; return; }
    this.#windowBusy = true;
    try {
      do {
        this.#windowAgain = false;
        await this.#drawStrikes();
      } while (this.#windowAgain);
    } finally {
      this.#windowBusy = false;
    }
  }

  async #drawStrikes(): Promise<void> {
    const row = this.#selectedRow();
    if (row === undefined) {
      this.#windowNote.textContent = 'No window has closed yet.';
      return;
    }
    const fromMs = row.window_start_ms as number;
    const toMs = row.window_end_ms as number;
    this.root.dataset.windowState = 'loading';
    this.#flow.select({ fromMs, toMs });
    this.#windowTitle.textContent = `Selected window: ${nyClock(fromMs)} – ${nyClock(toMs)} New York${this.#selected.value === LATEST || this.#selected.value === '' ? ' (newest closed)' : ''}`;
    const symbol = this.#symbol.value;
    const base = { symbol, expiry: this.#expiry.value };
    // The day so far: the session's trades from the first row of the day on.
    const dayStartMs = this.#sortedRows().find((r) => nyDate(r.window_start_ms as number) === nyDate(fromMs))?.window_start_ms as number | undefined;
    let smile: Smile;
    let strikes: StrikeProfile;
    try {
      [smile, strikes] = await Promise.all([
        getJson<Smile>('/api/live/smile', { ...base, from_ms: fromMs, to_ms: toMs }),
        getJson<StrikeProfile>('/api/live/gadvv-by-strike', this.#scope.value === 'day' ? { ...base, from_ms: dayStartMs ?? fromMs, to_ms: toMs } : { ...base, from_ms: fromMs, to_ms: toMs }),
      ]);
    } catch (e) {
      this.#windowNote.textContent = `Smile and strike profile unavailable: ${(e as Error).message}`;
      this.#byStrike.clear();
      this.root.dataset.windowState = 'error';
      return;
    }
    if (symbol !== this.#symbol.value) return;
    setOptions(this.#expiry, [{ value: '', label: 'all expiries' }, ...smile.expiries.map((e) => ({ value: e.expiry, label: `${e.expiry} (${e.trades})` }))], this.#expiry.value);
    this.#windowNote.textContent = `${smile.trades.toLocaleString('en-US')} priced option trades in the window`
      + (smile.downsampled ? ` (down-sampled to ${smile.strike.length.toLocaleString('en-US')} points: equal strike and IV within 0.1 vol point merged, the largest kept)` : '')
      + `; gadvv by strike over ${strikes.trades.toLocaleString('en-US')} trades (${this.#scope.value === 'day' ? 'day so far' : 'selected window'}).`;
    this.#byStrike.drawSmile(smile);
    this.#byStrike.drawStrikes(strikes);
    this.root.dataset.windowStart = String(fromMs);
    this.root.dataset.windowPoints = String(smile.strike.length);
    this.root.dataset.windowStrikes = String(strikes.strike.length);
    this.root.dataset.windowState = 'ready';
  }

  #watchRun(symbol: string): void {
    const run = new EventSource(`/api/live/run/stream?symbol=${encodeURIComponent(symbol)}`);
    this.#run = run;
    run.onmessage = (e: MessageEvent<string>) => {
      const { jobs: list } = JSON.parse(e.data) as { jobs: JobView[] };
      this.#renderStatus(list[0]?.snapshot?.live);
    };
    run.onerror = () => { if (run.readyState === EventSource.CLOSED) run.close(); };
  }

  #renderStatus(live?: LiveStatus): void {
    if (live !== undefined) this.#live = live;
    const entries: [string, string][] = [
      ['page stream', `${this.root.dataset.stream} (${this.#received} rows received${this.#lastReceivedAt ? `, last at ${new Date(this.#lastReceivedAt).toLocaleTimeString()}` : ''})`],
    ];
    if (this.#info.source !== undefined) entries.push(['live process', this.#info.source]);
    for (const s of this.#info.sources ?? []) if (s.state !== 'running') entries.push(['not answering', `${s.url}: ${s.error ?? s.state}`]);
    const l = this.#live;
    if (l !== undefined) {
      entries.push(
        ['connection', l.connections.map((c) => `${c.cluster} ${c.state}${c.state !== 'streaming' && c.lastError ? ` (last: ${c.lastError})` : ''}`).join(', ')],
        ['msgs/s', String(Math.round(l.eventsPerSecond))],
        ['lag', l.connections.map((c) => `${c.cluster} ${c.lagMs === undefined ? '–' : `${c.lagMs} ms`}`).join(', ')],
        ['rows', String(l.rows)],
        ['late', `${l.late.total} (${l.late.dropped} dropped, ${l.late.revised} revised)`],
        ['dropped', `feed ${l.dropped.feed}, jsonl ${l.dropped.jsonl}, sse clients ${l.dropped.sseClients}`],
      );
    }
    // The run's last windows are of its symbol (its first one when it follows several); this symbol's come from the rows received.
    const symbol = this.#symbol.value;
    const ofRun = l !== undefined && (l.symbol === symbol || l.symbol.split(',')[0] === symbol) ? l.lastWindows : [];
    const fromRun = new Set(ofRun.map((w) => w.window));
    for (const w of ofRun) entries.push([`last ${w.window} window`, nyClock(w.windowStartMs)]);
    for (const w of this.#info.windows ?? []) {
      const last = this.root.dataset[`lastWindow${w}`];
      if (last !== undefined && !fromRun.has(w)) entries.push([`last ${w} window`, nyClock(Number(last))]);
    }
    this.#status.replaceChildren(...entries.flatMap(([k, v]) => [h('dt', {}, k), h('dd', { 'data-key': k }, v)]));
  }
}

/** The New York date of an instant (windows of one day share it). */
function nyDate(ms: number): string {
  return new Date(ms).toLocaleDateString('en-CA', { timeZone: 'America/New_York' });
}
