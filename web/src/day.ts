/**
 * Day view: pick a symbol, a date and a window size from what the lake holds; the day's flow
 * charts; for a selected window, the IV smile, gadvv by strike and the feature table.
 * `#day[data-state]` is `loading`, `ready` or `error`; `data-render-ms` is the time from the
 * request to the last chart drawn.
 */
import { column, getJson, type FeatureTable, type Inventory, type PriceSeries, type Smile, type StrikeProfile } from './api.js';
import { definition } from './definitions.js';
import { h, setOptions, showError } from './dom.js';
import { FlowCharts } from './flow-charts.js';
import { compact, nyClock, plain } from './format.js';
import { StrikeCharts } from './strike-charts.js';

export class DayView {
  readonly root: HTMLElement;
  readonly #symbol = h('select', { id: 'day-symbol', 'aria-label': 'symbol' });
  readonly #date = h('select', { id: 'day-date', 'aria-label': 'date' });
  readonly #window = h('select', { id: 'day-window', 'aria-label': 'window size' });
  readonly #selected = h('select', { id: 'day-selected-window', 'aria-label': 'selected window' });
  readonly #expiry = h('select', { id: 'day-expiry', 'aria-label': 'expiry' });
  readonly #scope = h('select', { id: 'day-strike-scope', 'aria-label': 'gadvv by strike over' });
  readonly #downloads = h('span', { class: 'downloads' });
  readonly #error = h('p', { class: 'error', hidden: '' });
  readonly #summary = h('p', { class: 'summary' });
  readonly #windowTitle = h('h2', {}, 'Selected window');
  readonly #windowNote = h('p', { class: 'note' });
  readonly #windowCharts = h('div', { class: 'window-charts' });
  readonly #table = h('table', { id: 'feature-table' });
  readonly #flow: FlowCharts;
  #inventory: Inventory = { symbols: [] };
  #rows: FeatureTable = { columns: [], rows: [] };
  #selectedIndex = -1;
  readonly #byStrike = new StrikeCharts(this.#windowCharts);
  #request = 0;
  #started = 0;

  constructor(parent: HTMLElement) {
    setOptions(this.#scope, [{ value: 'window', label: 'selected window' }, { value: 'day', label: 'whole day' }], 'window');
    const label = (text: string, el: HTMLElement): HTMLElement => h('label', {}, text + ' ', el);
    this.root = h('section', { id: 'day', 'data-state': 'loading' },
      h('div', { class: 'controls' }, label('Symbol', this.#symbol), label('Date', this.#date), label('Window size', this.#window), this.#downloads),
      this.#error, this.#summary);
    parent.append(this.root);
    this.#flow = new FlowCharts(this.root, (i) => void this.#selectIndex(i));
    this.root.append(
      this.#windowTitle,
      h('div', { class: 'controls' }, label('Window', this.#selected), label('Expiry', this.#expiry), label('gadvv by strike over', this.#scope)),
      this.#windowNote, this.#windowCharts,
      h('h2', {}, 'Features of the selected window'),
      h('p', { class: 'note' }, 'Definitions: ', h('a', { href: '/docs/features.md', target: '_blank' }, 'docs/features.md'), ' (sections "Feature definitions" and "Rows").'),
      this.#table);
    this.#symbol.addEventListener('change', () => { this.#fillDates(); void this.loadDay(); });
    this.#date.addEventListener('change', () => { this.#fillWindows(); void this.loadDay(); });
    this.#window.addEventListener('change', () => void this.loadDay());
    this.#selected.addEventListener('change', () => void this.#selectIndex(Number(this.#selected.value)));
    this.#expiry.addEventListener('change', () => void this.#loadWindow());
    this.#scope.addEventListener('change', () => void this.#loadWindow());
  }

  async init(): Promise<void> {
    try {
      this.#inventory = await getJson<Inventory>('/api/inventory');
    } catch (e) {
      return this.#fail(e);
    }
    if (this.#inventory.symbols.length === 0) {
      return this.#fail(new Error('The lake holds no feature rows yet: run gammaflow demo, or gammaflow run / features.'));
    }
    setOptions(this.#symbol, this.#inventory.symbols.map((s) => ({ value: s.symbol, label: s.symbol })));
    this.#fillDates();
    await this.loadDay();
  }

  #fillDates(): void {
    const days = this.#inventory.symbols.find((s) => s.symbol === this.#symbol.value)?.days ?? [];
    setOptions(this.#date, days.map((d) => ({ value: d.date, label: d.date })), this.#date.value);
    this.#fillWindows();
  }

  #fillWindows(): void {
    const day = this.#inventory.symbols.find((s) => s.symbol === this.#symbol.value)?.days.find((d) => d.date === this.#date.value);
    const windows = day?.windows ?? [];
    setOptions(this.#window, windows.map((w) => ({ value: w, label: w })), this.#window.value || (windows.includes('5m') ? '5m' : undefined));
  }

  #fail(e: unknown): void {
    showError(this.#error, e instanceof Error ? e.message : String(e));
    this.root.dataset.state = 'error';
  }

  async loadDay(): Promise<void> {
    const request = ++this.#request;
    this.#started = performance.now();
    this.root.dataset.state = 'loading';
    showError(this.#error, '');
    const q = { symbol: this.#symbol.value, date: this.#date.value, window: this.#window.value };
    const query = new URLSearchParams(q).toString();
    this.#downloads.replaceChildren('Download rows: ',
      h('a', { href: `/api/features.csv?${query}`, download: '', id: 'download-csv' }, 'CSV'), ' · ',
      h('a', { href: `/api/features.parquet?${query}`, download: '', id: 'download-parquet' }, 'Parquet'));
    // The price over the windows' span (window=...), so every time chart shares its x range. Min/max per bucket at
    // 2 buckets per pixel draws what every trade would: more points would not show. It loads while the rows, then the
    // selected window's smile and strikes, load.
    let priceNote = '';
    const pricePromise = getJson<PriceSeries>('/api/underlying', { ...q, max_points: 4 * Math.max(500, Math.round(this.root.clientWidth * devicePixelRatio)) })
      .catch((e: unknown) => { priceNote = ` Underlying trades: ${(e as Error).message}; the price chart shows window closes.`; return undefined; });
    let rows: FeatureTable;
    try {
      rows = await getJson<FeatureTable>('/api/features', q);
    } catch (e) {
      if (request === this.#request) this.#fail(e);
      return;
    }
    if (request !== this.#request) return;
    this.#rows = rows;
    this.root.dataset.rows = String(rows.rows.length);
    const starts = column(rows, 'window_start_ms');
    setOptions(this.#selected, starts.map((s, i) => ({ value: String(i), label: s === null ? String(i) : nyClock(s) })));
    // The busiest window (most dadvv, calls and puts) is the first one shown.
    const calls = column(rows, 'calls_dadvv_total');
    const puts = column(rows, 'puts_dadvv_total');
    let best = rows.rows.length > 0 ? 0 : -1;
    for (let i = 0; i < rows.rows.length; i++) if ((calls[i] ?? 0) + (puts[i] ?? 0) > (calls[best] ?? 0) + (puts[best] ?? 0)) best = i;
    this.#expiry.value = '';
    this.#selectedIndex = best;
    if (best >= 0) this.#selected.value = String(best);
    else this.#windowNote.textContent = 'No window.';
    const windowLoaded = best >= 0 ? this.#loadWindow(request, false) : Promise.resolve();
    const price = await pricePromise;
    if (request !== this.#request) return;
    this.#summary.textContent = `${q.symbol} ${q.date}, ${rows.rows.length} windows of ${q.window}`
      + (price !== undefined ? `; ${price.trades.toLocaleString('en-US')} underlying trades${price.downsampled ? ` (down-sampled to ${price.t_ms.length.toLocaleString('en-US')} points: min/max per bucket)` : ''}.` : '.') + priceNote;
    this.#flow.update(rows, price !== undefined ? { tS: price.t_ms.map((t) => t / 1000), price: price.price } : undefined);
    await windowLoaded;
    if (request === this.#request) this.#ready();
  }

  async #selectIndex(index: number, request = ++this.#request): Promise<void> {
    if (request !== this.#request) return;
    this.#selectedIndex = index;
    if (index < 0) {
      this.#windowNote.textContent = 'No window.';
      this.root.dataset.state = 'ready';
      return;
    }
    this.#selected.value = String(index);
    await this.#loadWindow(request);
  }

  #selectedRange(): { fromMs: number; toMs: number } | undefined {
    const row = this.#rows.rows[this.#selectedIndex];
    if (row === undefined) return undefined;
    const c = this.#rows.columns;
    return { fromMs: row[c.indexOf('window_start_ms')] as number, toMs: row[c.indexOf('window_end_ms')] as number };
  }

  /** Loads the selected window's smile, strikes and table; `markReady` false when the caller has more to draw. */
  async #loadWindow(request = ++this.#request, markReady = true): Promise<void> {
    if (!this.#started || this.root.dataset.state !== 'loading') this.#started = performance.now();
    this.root.dataset.state = 'loading';
    const range = this.#selectedRange();
    if (range === undefined) return;
    this.root.dataset.windowStart = String(range.fromMs);
    this.#flow.select(range);
    this.#windowTitle.textContent = `Selected window: ${nyClock(range.fromMs)} – ${nyClock(range.toMs)} New York`;
    this.#renderTable();
    const base = { symbol: this.#symbol.value, date: this.#date.value, expiry: this.#expiry.value };
    let smile: Smile;
    let strikes: StrikeProfile;
    try {
      [smile, strikes] = await Promise.all([
        getJson<Smile>('/api/smile', { ...base, from_ms: range.fromMs, to_ms: range.toMs }),
        getJson<StrikeProfile>('/api/gadvv-by-strike', this.#scope.value === 'day' ? base : { ...base, from_ms: range.fromMs, to_ms: range.toMs }),
      ]);
    } catch (e) {
      if (request !== this.#request) return;
      this.#windowNote.textContent = `Smile and strike profile unavailable: ${(e as Error).message}`;
      this.#byStrike.clear();
      if (markReady) this.#ready();
      return;
    }
    if (request !== this.#request) return;
    const expiry = this.#expiry.value;
    setOptions(this.#expiry, [{ value: '', label: 'all expiries' }, ...smile.expiries.map((e) => ({ value: e.expiry, label: `${e.expiry} (${e.trades})` }))], expiry);
    this.#windowNote.textContent = `${smile.trades.toLocaleString('en-US')} priced option trades in the window`
      + (smile.downsampled ? ` (down-sampled to ${smile.strike.length.toLocaleString('en-US')} points: equal strike and IV within 0.1 vol point merged, the largest kept)` : '')
      + `; gadvv by strike over ${strikes.trades.toLocaleString('en-US')} trades (${this.#scope.value === 'day' ? 'whole day' : 'selected window'}).`;
    this.#byStrike.drawSmile(smile);
    this.#byStrike.drawStrikes(strikes);
    if (markReady) this.#ready();
  }

  #ready(): void {
    this.root.dataset.state = 'ready';
    this.root.dataset.renderMs = String(Math.round(performance.now() - this.#started));
  }

  #renderTable(): void {
    const row = this.#rows.rows[this.#selectedIndex];
    if (row === undefined) { this.#table.replaceChildren(); return; }
    const body = this.#rows.columns.map((name, i) => h('tr', { 'data-column': name },
      h('td', { class: 'name' }, name),
      h('td', { class: 'value' }, /(_total|_value|_mean|_minimum|_maximum|_q\d|_mode|_iqr|_mad|_stddev)$/.test(name) && typeof row[i] === 'number' && Math.abs(row[i] as number) >= 1e4
        ? `${compact(row[i] as number)} (${plain(row[i])})` : plain(row[i])),
      h('td', { class: 'definition' }, definition(name))));
    this.#table.replaceChildren(h('thead', {}, h('tr', {}, h('th', {}, 'column'), h('th', {}, 'value'), h('th', {}, 'definition'))), h('tbody', {}, ...body));
    this.#table.dataset.rows = String(body.length);
  }
}
