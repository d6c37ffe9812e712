/**
 * uPlot charts of the dashboard. Every chart's container carries what it drew, for people and for
 * the browser tests: `data-points` (points or bars drawn in the last draw: non-null values of its
 * series, or scatter circles), `data-draws` (draws so far) and `data-chart` (its name).
 */
import uPlot from 'uplot';
import { compact } from './format.js';

export const COLORS = { calls: '#1a9850', puts: '#d73027', callsLight: '#91cf60', putsLight: '#fc8d59', price: '#2c3e99', grey: '#888' };

const NY = 'America/New_York';

export interface Chart {
  readonly el: HTMLElement;
  readonly plot: uPlot;
  setData(data: uPlot.AlignedData): void;
  destroy(): void;
}

export interface ChartSpec {
  readonly name: string;
  readonly title: string;
  readonly time: boolean;
  readonly series: uPlot.Series[];
  readonly yLabel?: string;
  readonly money?: boolean;
  readonly height?: number;
  /** Extra drawing after the series (thresholds, selection band, scatter circles); returns points it drew. */
  readonly overlay?: (u: uPlot) => number | void;
  /** Counts the bars/points of the series (default: non-null values in the drawn range). */
  readonly countSeries?: boolean;
  readonly onClickIndex?: (index: number) => void;
  readonly yRange?: uPlot.Scale['range'];
}

/** Non-null values of the shown series whose x lies in the x scale's visible range. */
function drawnValues(u: uPlot): number {
  const xs = u.data[0] as number[];
  const min = u.scales.x!.min ?? -Infinity;
  const max = u.scales.x!.max ?? Infinity;
  let n = 0;
  for (let s = 1; s < u.series.length; s++) {
    if (u.series[s]!.show === false) continue;
    const ys = u.data[s] as (number | null | undefined)[];
    for (let i = 0; i < ys.length; i++) if (ys[i] !== null && ys[i] !== undefined && xs[i]! >= min && xs[i]! <= max) n++;
  }
  return n;
}

export function createChart(parent: HTMLElement, spec: ChartSpec, data: uPlot.AlignedData): Chart {
  const el = document.createElement('div');
  el.className = 'chart';
  el.dataset.chart = spec.name;
  el.dataset.draws = '0';
  parent.appendChild(el);
  const width = (): number => Math.max(300, el.clientWidth || parent.clientWidth || 600);
  const opts: uPlot.Options = {
    title: spec.title,
    width: width(),
    height: spec.height ?? 220,
    series: [{}, ...spec.series],
    scales: { x: { time: spec.time }, y: spec.yRange !== undefined ? { range: spec.yRange } : {} },
    axes: [
      {},
      { label: spec.yLabel ?? '', size: 70, values: (_u, splits) => splits.map((v) => (spec.money ? compact(v, true) : Math.abs(v) >= 1e4 ? compact(v) : String(+v.toPrecision(6)))) },
    ],
    legend: { live: true },
    hooks: {
      draw: [(u) => {
        const extra = spec.overlay?.(u);
        const points = spec.countSeries === false ? (extra ?? 0) : drawnValues(u) + (extra ?? 0);
        el.dataset.points = String(points);
        el.dataset.draws = String(Number(el.dataset.draws) + 1);
      }],
    },
  };
  if (spec.time) opts.tzDate = (ts) => uPlot.tzDate(new Date(ts * 1e3), NY);
  const plot = new uPlot(opts, data, el);
  if (spec.onClickIndex !== undefined) {
    plot.over.addEventListener('click', () => {
      const idx = plot.cursor.idx;
      if (idx !== null && idx !== undefined) spec.onClickIndex!(idx);
    });
  }
  const resize = new ResizeObserver(() => plot.setSize({ width: width(), height: spec.height ?? 220 }));
  resize.observe(el);
  return {
    el, plot,
    setData: (d) => plot.setData(d),
    destroy: () => { resize.disconnect(); plot.destroy(); el.remove(); },
  };
}

export const bars = (align: -1 | 0 | 1, factor = 0.45): uPlot.Series.PathBuilder => uPlot.paths.bars!({ align, size: [factor, 60] });

/** Horizontal lines at `levels` of the y scale, labelled. */
export function drawThresholds(u: uPlot, levels: readonly number[]): void {
  const ctx = u.ctx;
  ctx.save();
  ctx.setLineDash([6, 4]);
  ctx.lineWidth = 1;
  ctx.font = `${11 * devicePixelRatio}px sans-serif`;
  for (const level of levels) {
    const y = u.valToPos(level, 'y', true);
    if (y < u.bbox.top || y > u.bbox.top + u.bbox.height) continue;
    ctx.strokeStyle = level <= 0.01 ? '#b30000' : '#e67e22';
    ctx.beginPath();
    ctx.moveTo(u.bbox.left, y);
    ctx.lineTo(u.bbox.left + u.bbox.width, y);
    ctx.stroke();
    ctx.fillStyle = ctx.strokeStyle;
    ctx.fillText(`p = ${level}`, u.bbox.left + 4, y - 3);
  }
  ctx.restore();
}

/** A shaded band over [fromS, toS) on the x scale (the selected window). */
export function drawBand(u: uPlot, fromS: number | undefined, toS: number | undefined): void {
  if (fromS === undefined || toS === undefined) return;
  const x0 = Math.max(u.bbox.left, u.valToPos(fromS, 'x', true));
  const x1 = Math.min(u.bbox.left + u.bbox.width, u.valToPos(toS, 'x', true));
  if (x1 <= x0) return;
  u.ctx.save();
  u.ctx.fillStyle = 'rgba(255, 200, 0, 0.18)';
  u.ctx.fillRect(x0, u.bbox.top, x1 - x0, u.bbox.height);
  u.ctx.restore();
}

/**
 * Circles at (x, y) of series 1 and 2 (calls, puts), radius from `size` (area ∝ size): the smile.
 * Returns the circles drawn.
 */
export function drawScatter(u: uPlot, size: readonly number[], colors: readonly string[]): number {
  const ctx = u.ctx;
  const xs = u.data[0] as number[];
  let max = 0;
  for (const s of size) if (s > max) max = s;
  let drawn = 0;
  ctx.save();
  ctx.beginPath();
  ctx.rect(u.bbox.left, u.bbox.top, u.bbox.width, u.bbox.height);
  ctx.clip();
  for (let s = 1; s <= 2; s++) {
    if (u.series[s]!.show === false) continue;
    const ys = u.data[s] as (number | null)[];
    ctx.fillStyle = colors[s - 1]! + 'a0';
    ctx.strokeStyle = colors[s - 1]!;
    for (let i = 0; i < xs.length; i++) {
      const y = ys[i];
      if (y === null || y === undefined) continue;
      const r = (2 + 10 * Math.sqrt(max > 0 ? size[i]! / max : 0)) * devicePixelRatio;
      ctx.beginPath();
      ctx.arc(u.valToPos(xs[i]!, 'x', true), u.valToPos(y, 'y', true), r, 0, 2 * Math.PI);
      ctx.fill();
      ctx.stroke();
      drawn++;
    }
  }
  ctx.restore();
  return drawn;
}
