/**
 * The charts of one window by strike, shared by the Day and Live views: the IV smile (calls
 * green, puts red, point area ∝ trade size; chart `smile`) and gadvv by strike, calls vs puts
 * (chart `strikes`).
 */
import type uPlot from 'uplot';
import type { Smile, StrikeProfile } from './api.js';
import { bars, COLORS, createChart, drawScatter, type Chart } from './charts.js';

export class StrikeCharts {
  readonly #parent: HTMLElement;
  #smile: Chart | undefined;
  #strikes: Chart | undefined;
  #smileSizes: number[] = [];

  constructor(parent: HTMLElement) {
    this.#parent = parent;
  }

  clear(): void {
    this.#smile?.destroy(); this.#smile = undefined;
    this.#strikes?.destroy(); this.#strikes = undefined;
  }

  drawSmile(smile: Smile): void {
    const order = smile.strike.map((_, i) => i).sort((a, b) => smile.strike[a]! - smile.strike[b]!);
    const data: uPlot.AlignedData = [
      order.map((i) => smile.strike[i]!),
      order.map((i) => (smile.right[i] === 'C' ? smile.iv[i]! : null)),
      order.map((i) => (smile.right[i] === 'P' ? smile.iv[i]! : null)),
    ];
    this.#smileSizes = order.map((i) => smile.size[i]!);
    if (this.#smile === undefined) {
      this.#smile = createChart(this.#parent, {
        name: 'smile', title: 'IV against strike (point area ∝ trade size)', time: false, yLabel: 'IV', countSeries: false,
        series: [
          { label: 'calls', stroke: COLORS.calls, fill: COLORS.calls, paths: () => null, points: { show: false } },
          { label: 'puts', stroke: COLORS.puts, fill: COLORS.puts, paths: () => null, points: { show: false } },
        ],
        overlay: (u) => drawScatter(u, this.#smileSizes, [COLORS.calls, COLORS.puts]),
      }, data);
    } else {
      this.#smile.setData(data);
    }
  }

  drawStrikes(p: StrikeProfile): void {
    const data: uPlot.AlignedData = [p.strike, p.calls, p.puts];
    if (this.#strikes === undefined) {
      this.#strikes = createChart(this.#parent, {
        name: 'strikes', title: 'gadvv by strike: calls vs puts', time: false, money: true, yLabel: 'Σ gadvv',
        series: [
          { label: 'calls gadvv', fill: COLORS.calls, stroke: COLORS.calls, paths: bars(-1) },
          { label: 'puts gadvv', fill: COLORS.puts, stroke: COLORS.puts, paths: bars(1) },
        ],
      }, data);
    } else {
      this.#strikes.setData(data);
    }
  }
}
