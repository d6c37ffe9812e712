/** Number and time formatting for labels and tables. */

/** 1234567 → "1.23M", with $ when `money`. */
export function compact(v: number | null | undefined, money = false): string {
  if (v === null || v === undefined || !Number.isFinite(v)) return '–';
  const a = Math.abs(v);
  const [d, s] = a >= 1e12 ? [1e12, 'T'] : a >= 1e9 ? [1e9, 'B'] : a >= 1e6 ? [1e6, 'M'] : a >= 1e3 ? [1e3, 'k'] : [1, ''];
  const text = (v / d).toFixed(a / d >= 100 || d === 1 && Number.isInteger(v) ? 0 : 2) + s;
  return money ? (v < 0 ? '-$' + text.slice(1) : '$' + text) : text;
}

export function plain(v: number | string | null | undefined): string {
  if (v === null || v === undefined) return 'null';
  if (typeof v === 'string') return v;
  if (Number.isInteger(v)) return String(v);
  return Math.abs(v) >= 1e6 || Math.abs(v) < 1e-3 ? v.toExponential(6) : v.toPrecision(8).replace(/\.?0+$/, '');
}

const clock = new Intl.DateTimeFormat('en-US', { timeZone: 'America/New_York', hour: '2-digit', minute: '2-digit', second: '2-digit', hour12: false });

/** New York wall-clock time of epoch ms, 09:35:00. */
export function nyClock(ms: number): string {
  return clock.format(new Date(ms));
}

export function duration(ms: number): string {
  const s = Math.max(0, Math.round(ms / 1000));
  return s < 60 ? `${s} s` : s < 3600 ? `${Math.floor(s / 60)} min ${s % 60} s` : `${Math.floor(s / 3600)} h ${Math.floor((s % 3600) / 60)} min`;
}
