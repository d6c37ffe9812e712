/**
 * The per-window charts of a day (Day view) or of the live session (Live view), from feature rows:
 * underlying price, calls vs puts dadvv and gadvv, aggressive buys vs sells, dip p-values with the
 * 0.05 / 0.01 thresholds. Calls are drawn left of each window's tick, puts right; buys up, sells
 * down. A click on a chart selects its window.
 */
import type uPlot from 'uplot';
import { column, type FeatureTable } from './api.js';
import { bars, COLORS, createChart, drawBand, drawThresholds, type Chart } from './charts.js';
import { h } from './dom.js';

export const DIP_THRESHOLDS = [0.05, 0.01] as const;

const negate = (v: (number | null)[]): (number | null)[] => v.map((x) => (x === null ? null : -x));

export interface Selection { readonly fromMs: number; readonly toMs: number }

export class FlowCharts {
  readonly el: HTMLElement;
  #charts = new Map<string, Chart>();
  #aggression: boolean | undefined;
  #selection: Selection | undefined;
  readonly #note: HTMLElement;

  constructor(parent: HTMLElement, private readonly onSelectIndex: (index: number) => void) {
    this.el = h('div', { class: 'flow-charts' });
    this.#note = h('p', { class: 'note', hidden: '' });
    parent.append(this.el);
  }

  get charts(): ReadonlyMap<string, Chart> { return this.#charts; }

  /** Redraws every chart with `table` (and the price series when given; else the windows' close). */
  update(table: FeatureTable, price?: { tS: number[]; price: number[] }): void {
    const aggression = table.columns.includes('calls_dadvv_agg_buy_total');
    if (aggression !== this.#aggression) this.#build(aggression);
    const x = column(table, 'window_start_ms').map((v) => (v ?? 0) / 1000);
    const priceData: uPlot.AlignedData = price !== undefined ? [price.tS, price.price] : [x, column(table, 'underlying_price_close')];
    this.#set('price', priceData);
    this.#set('dadvv', [x, column(table, 'calls_dadvv_total'), column(table, 'puts_dadvv_total')]);
    this.#set('gadvv', [x, column(table, 'calls_gadvv_total'), column(table, 'puts_gadvv_total')]);
    if (aggression) {
      this.#set('aggression', [x, column(table, 'calls_dadvv_agg_buy_total'), negate(column(table, 'calls_dadvv_agg_sell_total')),
        column(table, 'puts_dadvv_agg_buy_total'), negate(column(table, 'puts_dadvv_agg_sell_total'))]);
    }
    this.#set('dip', [x, column(table, 'calls_dadvv_dip_pval'), column(table, 'puts_dadvv_dip_pval'),
      column(table, 'calls_gadvv_dip_pval'), column(table, 'puts_gadvv_dip_pval')]);
  }

  select(selection: Selection | undefined): void {
    this.#selection = selection;
    for (const chart of this.#charts.values()) chart.plot.redraw(false);
  }

  #set(name: string, data: uPlot.AlignedData): void {
    this.#charts.get(name)?.setData(data);
  }

  #build(aggression: boolean): void {
    for (const c of this.#charts.values()) c.destroy();
    this.#charts.clear();
    this.#aggression = aggression;
    this.el.replaceChildren();
    const band = (u: uPlot): void => drawBand(u, this.#selection && this.#selection.fromMs / 1000, this.#selection && this.#selection.toMs / 1000);
    const empty = (n: number): uPlot.AlignedData => [[], ...Array.from({ length: n }, () => [])] as unknown as uPlot.AlignedData;
    const add = (name: string, chart: Omit<Parameters<typeof createChart>[1], 'name'>, series: number, withClick = true): void => {
      this.#charts.set(name, createChart(this.el, { ...chart, name, ...(withClick ? { onClickIndex: (i) => this.onSelectIndex(i) } : {}) }, empty(series)));
    };
    add('price', {
      title: 'Underlying price', time: true, yLabel: 'price',
      series: [{ label: 'price', stroke: COLORS.price, width: 1.5, points: { show: false } }], overlay: band,
    }, 1, false);
    add('dadvv', {
      title: 'dadvv per window: calls vs puts', time: true, money: true, yLabel: 'Σ dadvv',
      series: [
        { label: 'calls dadvv', fill: COLORS.calls, stroke: COLORS.calls, paths: bars(-1) },
        { label: 'puts dadvv', fill: COLORS.puts, stroke: COLORS.puts, paths: bars(1) },
      ], overlay: band,
    }, 2);
    add('gadvv', {
      title: 'gadvv per window: calls vs puts', time: true, money: true, yLabel: 'Σ gadvv',
      series: [
        { label: 'calls gadvv', fill: COLORS.calls, stroke: COLORS.calls, paths: bars(-1) },
        { label: 'puts gadvv', fill: COLORS.puts, stroke: COLORS.puts, paths: bars(1) },
      ], overlay: band,
    }, 2);
    if (aggression) {
      add('aggression', {
        title: 'Aggressive buys (up) vs sells (down), dadvv', time: true, money: true, yLabel: 'Σ dadvv',
        series: [
          { label: 'call buys', fill: COLORS.calls, stroke: COLORS.calls, paths: bars(-1) },
          { label: 'call sells', fill: COLORS.callsLight, stroke: COLORS.callsLight, paths: bars(-1) },
          { label: 'put buys', fill: COLORS.puts, stroke: COLORS.puts, paths: bars(1) },
          { label: 'put sells', fill: COLORS.putsLight, stroke: COLORS.putsLight, paths: bars(1) },
        ], overlay: band,
      }, 4);
    } else {
      this.#note.textContent = 'No aggression columns for this day: ingest its option quotes and rerun gammaflow greeks and features.';
      this.#note.hidden = false;
      this.el.append(this.#note);
    }
    add('dip', {
      title: 'Dip test p-values (thresholds 0.05 and 0.01)', time: true, yLabel: 'p-value', yRange: [0, 1],
      series: [
        { label: 'calls dadvv', stroke: COLORS.calls, width: 1.5 },
        { label: 'puts dadvv', stroke: COLORS.puts, width: 1.5 },
        { label: 'calls gadvv', stroke: COLORS.callsLight, width: 1.5, dash: [4, 3] },
        { label: 'puts gadvv', stroke: COLORS.putsLight, width: 1.5, dash: [4, 3] },
      ],
      overlay: (u) => { band(u); drawThresholds(u, DIP_THRESHOLDS); },
    }, 4);
    this.#charts.get('dip')!.el.dataset.thresholds = DIP_THRESHOLDS.join(',');
  }
}
