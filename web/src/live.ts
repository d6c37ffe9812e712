/**
 * Live view (under `gammaflow live`): the flow charts of one window size filling in as windows
 * close, from /api/live (rows so far) and /features/stream (SSE, one row per closed window;
 * `event: revision` replaces a row), with the run's connection state, lag, msgs/s and last window
 * per size from /api/jobs/stream. `#live[data-last-window-<size>]` holds the start (epoch ms) of
 * the newest row received per size; `data-stream` the SSE state.
 */
import { getJson, type FeatureTable, type JobView, type LiveInfo, type LiveStatus } from './api.js';
import { h, setOptions } from './dom.js';
import { FlowCharts } from './flow-charts.js';
import { nyClock } from './format.js';

type Row = Record<string, number | string | null>;

export class LiveView {
  readonly root: HTMLElement;
  readonly #window = h('select', { id: 'live-window', 'aria-label': 'window size' });
  readonly #status = h('dl', { class: 'live-status', id: 'live-status' });
  readonly #note = h('p', { class: 'note' });
  readonly #flow: FlowCharts;
  /** Rows per window size, by window start (ms). */
  readonly #rows = new Map<string, Map<number, Row>>();
  #columns: string[] = [];
  #stream: EventSource | undefined;
  #jobs: EventSource | undefined;
  #received = 0;
  #lastReceivedAt = 0;
  #pending = false;
  #info: LiveInfo = { active: false };

  constructor(parent: HTMLElement) {
    this.root = h('section', { id: 'live', 'data-stream': 'closed' },
      h('div', { class: 'controls' }, h('label', {}, 'Window size ', this.#window)), this.#note, this.#status);
    parent.append(this.root);
    this.#flow = new FlowCharts(this.root, () => undefined);
    this.#window.addEventListener('change', () => void this.#loadWindow());
  }

  async start(): Promise<void> {
    try {
      this.#info = await getJson<LiveInfo>('/api/live');
    } catch (e) {
      this.#note.textContent = `Cannot read the live session: ${(e as Error).message}`;
      return;
    }
    if (!this.#info.active) {
      this.#note.textContent = 'No live session on this server: the Live view is served by gammaflow live (on its metrics address, e.g. http://127.0.0.1:9090/#live).';
      this.root.dataset.active = 'false';
      return;
    }
    this.root.dataset.active = 'true';
    const windows = this.#info.windows ?? [];
    setOptions(this.#window, windows.map((w) => ({ value: w, label: w })), windows.includes('1m') ? '1m' : windows[0]);
    this.#note.textContent = `${this.#info.symbol}: feature rows as windows close.`;
    // The stream first: rows closing while the rows so far are fetched arrive on it (both fill the same map).
    await this.#connect();
    await this.#loadWindow();
    this.#watchRun();
  }

  stop(): void {
    this.#stream?.close();
    this.#jobs?.close();
    this.#stream = undefined;
    this.#jobs = undefined;
    this.root.dataset.stream = 'closed';
  }

  async #loadWindow(): Promise<void> {
    const window = this.#window.value;
    const table = await getJson<LiveInfo>('/api/live', { window });
    if (table.columns !== undefined) this.#columns = table.columns;
    const rows = this.#rowsOf(window);
    for (const r of table.rows ?? []) {
      const row: Row = {};
      this.#columns.forEach((c, i) => { row[c] = r[i] ?? null; });
      rows.set(row.window_start_ms as number, row);
      this.#noteLast(window, row.window_start_ms as number);
    }
    this.#draw();
  }

  #rowsOf(window: string): Map<number, Row> {
    let rows = this.#rows.get(window);
    if (rows === undefined) this.#rows.set(window, (rows = new Map()));
    return rows;
  }

  /** Opens /features/stream; resolves once it is open (or failed: EventSource keeps retrying). */
  #connect(): Promise<void> {
    const stream = new EventSource('/features/stream');
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
    stream.onerror = () => { this.root.dataset.stream = stream.readyState === EventSource.CLOSED ? 'closed' : 'reconnecting'; this.#renderStatus(); opened(); };
    const onRow = (e: MessageEvent<string>): void => {
      const raw = JSON.parse(e.data) as Row;
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
      if (window === this.#window.value) this.#schedule();
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

  #draw(): void {
    const rows = [...this.#rowsOf(this.#window.value).values()].sort((a, b) => (a.window_start_ms as number) - (b.window_start_ms as number));
    const table: FeatureTable = { columns: this.#columns, rows: rows.map((r) => this.#columns.map((c) => r[c] ?? null)) };
    this.#flow.update(table);
    this.root.dataset.rows = String(rows.length);
    this.#renderStatus();
  }

  #watchRun(): void {
    const jobs = new EventSource('/api/jobs/stream');
    this.#jobs = jobs;
    jobs.onmessage = (e: MessageEvent<string>) => {
      const { jobs: list } = JSON.parse(e.data) as { jobs: JobView[] };
      this.#renderStatus(list[0]?.snapshot?.live);
    };
  }

  #live: LiveStatus | undefined;

  #renderStatus(live?: LiveStatus): void {
    if (live !== undefined) this.#live = live;
    const entries: [string, string][] = [
      ['page stream', `${this.root.dataset.stream} (${this.#received} rows received${this.#lastReceivedAt ? `, last at ${new Date(this.#lastReceivedAt).toLocaleTimeString()}` : ''})`],
    ];
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
    const fromRun = new Set((l?.lastWindows ?? []).map((w) => w.window));
    for (const w of l?.lastWindows ?? []) entries.push([`last ${w.window} window`, nyClock(w.windowStartMs)]);
    for (const w of this.#info.windows ?? []) {
      const last = this.root.dataset[`lastWindow${w}`];
      if (last !== undefined && !fromRun.has(w)) entries.push([`last ${w} window`, nyClock(Number(last))]);
    }
    this.#status.replaceChildren(...entries.flatMap(([k, v]) => [h('dt', {}, k), h('dd', { 'data-key': k }, v)]));
  }
}
