/** The JSON API of the server (docs/web.md), typed, and small fetch helpers. */

export interface InventoryDay { date: string; windows: string[]; greeks: boolean; stocksTrades: boolean }
export interface Inventory { symbols: { symbol: string; days: InventoryDay[] }[] }
export interface FeatureTable { columns: string[]; rows: (number | string | null)[][] }
export interface PriceSeries { t_ms: number[]; price: number[]; trades: number; downsampled: boolean; max_points: number }
export interface Smile {
  expiries: { expiry: string; trades: number }[];
  strike: number[]; iv: number[]; size: number[]; right: string[];
  trades: number; downsampled: boolean; max_points: number;
}
export interface StrikeProfile { strike: number[]; calls: number[]; puts: number[]; trades: number }
export interface LiveSourceInfo { url: string; origin: 'config' | 'lake'; state: 'running' | 'unreachable'; symbols?: string[]; windows?: string[]; pid?: number; error?: string }
export interface LiveInfo {
  active: boolean; message?: string; symbol?: string; symbols?: string[]; windows?: string[]; source?: string; sources?: LiveSourceInfo[];
  window?: string; columns?: string[]; rows?: (number | string | null)[][];
}

export interface FileProgress {
  id: string; dataset: string; date: string; key: string; state: string;
  bytesDone: number; bytesTotal: number; rowsParsed: number; rowsWritten: number; rowsRejected: number;
  mbPerSec: number; rowsPerSec: number; etaSec?: number; message?: string;
}
export interface RunSnapshot {
  command: string; startedAtMs: number; nowMs: number;
  daysTotal: number; daysDone: number; daysFailed: number; daysSkipped: number;
  filesTotal: number; filesDone: number; filesFailed: number; filesSkipped: number; filesMissing: number;
  inFlight: FileProgress[]; recent: FileProgress[]; failures: FileProgress[];
  totals: { bytesRead: number; rowsParsed: number; rowsWritten: number; rowsRejected: number; mbPerSec: number; rowsPerSec: number; errors: number };
  logs: { atMs: number; level: string; message: string }[];
  extra: Record<string, string | number>;
  /** Under `gammaflow live` only (src/observe/live-snapshot.ts); JSON drops its unknown values. */
  live?: LiveStatus;
}
export interface LiveConnection {
  cluster: string; state: string; failedAttempts: number; lastError?: string;
  eventsPerSecond: number; lagMs?: number; reconnects: number; queueDepth: number; dropped: number;
}
export interface LiveWindow {
  window: string; windowStartMs: number; windowEndMs: number; close?: number;
  callsDadvv?: number; putsDadvv?: number; callsGadvv?: number; putsGadvv?: number; aggressiveBuys?: number; aggressiveSells?: number;
}
export interface LiveStatus {
  symbol: string; feedUrl: string; connections: LiveConnection[]; eventsPerSecond: number; mergerDepth: number;
  rows: number; rowsRevised: number; late: { total: number; dropped: number; revised: number };
  dropped: { feed: number; jsonl: number; sseClients: number; mergerReleasedEarly: number };
  lastWindows: LiveWindow[];
}
export interface JobView { source: string; state: 'running' | 'unreachable'; snapshot?: RunSnapshot; error?: string }

export class ApiError extends Error {}

export async function getJson<T>(path: string, params: Record<string, string | number | undefined> = {}): Promise<T> {
  const query = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) if (v !== undefined && v !== '') query.set(k, String(v));
  const url = query.size > 0 ? `${path}?${query}` : path;
  const res = await fetch(url);
  const body = (await res.json()) as T & { error?: string };
  if (!res.ok) throw new ApiError(body.error ?? `${url}: HTTP ${res.status}`);
  return body;
}

/** A column of a feature table as numbers (null stays null). */
export function column(table: FeatureTable, name: string): (number | null)[] {
  const i = table.columns.indexOf(name);
  if (i < 0) return table.rows.map(() => null);
  return table.rows.map((r) => (typeof r[i] === 'number' ? (r[i] as number) : null));
}

/** Element-wise sum of columns, null where every part is null. */
export function sumColumns(table: FeatureTable, names: string[]): (number | null)[] {
  const cols = names.map((n) => column(table, n));
  return table.rows.map((_, i) => {
    let any = false;
    let s = 0;
    for (const c of cols) if (c[i] !== null) { any = true; s += c[i]!; }
    return any ? s : null;
  });
}
