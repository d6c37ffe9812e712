/**
 * The realtime tables of the lake: what `gammaflow live --lake` keeps of the events it uses,
 * with the flat files' column names where the feed has the field, plus `received_at` (epoch ns
 * of the wall clock when the client read the frame) next to `sip_timestamp` (the event time,
 * the feed's `t` in ms, as ns):
 *
 *   realtime-stocks-trades   the symbol's stock trades (`T.SYMBOL`)
 *   realtime-options-trades  the symbol's option trades (roots mapping to it)
 *   realtime-options-quotes  the option quotes received (the subscribed contracts)
 *
 * An event's identity (identityOf) is what dedupes it when a restarted run receives it again:
 * the fields the feed sends that tell two events apart (a trade's correction included: a print
 * sent again with a correction is kept), never its arrival time.
 *
 * Pure: no I/O.
 */
import type { ColumnBatch, ColumnSpec, Float64Column, Int32Column, Int64Column, ListInt32Column, Utf8Column } from '../formats/columns.js';
import type { OptionTrade } from '../formats/records.js';
import type { OptionQuote, StockTrade } from '../formats/massive-ws/types.js';

export type RealtimeDataset = 'realtime-stocks-trades' | 'realtime-options-trades' | 'realtime-options-quotes';
export const REALTIME_DATASETS: readonly RealtimeDataset[] = ['realtime-stocks-trades', 'realtime-options-trades', 'realtime-options-quotes'];

const ns = (name: string, nullable = false, doc?: string): ColumnSpec => ({ name, type: 'int64', nullable, unit: 'ns', ...(doc ? { doc } : {}) });
const received = ns('received_at', false, 'wall clock when the frame was read, epoch ns');

export const REALTIME_SCHEMAS: Readonly<Record<RealtimeDataset, readonly ColumnSpec[]>> = {
  'realtime-stocks-trades': [
    { name: 'ticker', type: 'utf8', nullable: false },
    { name: 'conditions', type: 'list_int32', nullable: false },
    { name: 'correction', type: 'int32', nullable: true },
    { name: 'exchange', type: 'int32', nullable: true },
    { name: 'id', type: 'utf8', nullable: true },
    { name: 'price', type: 'float64', nullable: false },
    { name: 'sequence_number', type: 'int64', nullable: false },
    ns('sip_timestamp'),
    { name: 'size', type: 'float64', nullable: false },
    { name: 'tape', type: 'int32', nullable: true },
    { name: 'trf_id', type: 'int32', nullable: true },
    ns('trf_timestamp'),
    received,
  ],
  'realtime-options-trades': [
    { name: 'ticker', type: 'utf8', nullable: false },
    { name: 'conditions', type: 'list_int32', nullable: false },
    { name: 'correction', type: 'int32', nullable: true },
    { name: 'exchange', type: 'int32', nullable: true },
    { name: 'price', type: 'float64', nullable: false },
    { name: 'sequence_number', type: 'int64', nullable: false },
    ns('sip_timestamp'),
    { name: 'size', type: 'float64', nullable: false },
    received,
  ],
  'realtime-options-quotes': [
    { name: 'ticker', type: 'utf8', nullable: false },
    { name: 'ask_exchange', type: 'int32', nullable: true },
    { name: 'ask_price', type: 'float64', nullable: false },
    { name: 'ask_size', type: 'float64', nullable: false },
    { name: 'bid_exchange', type: 'int32', nullable: true },
    { name: 'bid_price', type: 'float64', nullable: false },
    { name: 'bid_size', type: 'float64', nullable: false },
    { name: 'sequence_number', type: 'int64', nullable: false },
    ns('sip_timestamp'),
    received,
  ],
};

/** One kept event and when it arrived. */
export type RealtimeRecord =
  | { readonly dataset: 'realtime-stocks-trades'; readonly event: StockTrade; readonly receivedAtNs: bigint }
  | { readonly dataset: 'realtime-options-trades'; readonly event: OptionTrade; readonly receivedAtNs: bigint }
  | { readonly dataset: 'realtime-options-quotes'; readonly event: OptionQuote; readonly receivedAtNs: bigint };

/**
 * The identity of an event: equal for the same event received twice. Stock trades: ticker, time,
 * sequence, id, exchange, price, size, correction; option trades (no id on the feed): contract, time,
 * sequence, price, size, exchange, correction; quotes: contract, time, sequence and the book.
 */
export function identityOf(r: RealtimeRecord): string {
  switch (r.dataset) {
    case 'realtime-stocks-trades': {
      const t = r.event;
      return `${t.sym}|${t.sipTimestampNs}|${t.sequence}|${t.tradeId ?? ''}|${t.exchange ?? ''}|${t.price}|${t.size}|${t.correction}`;
    }
    case 'realtime-options-trades': {
      const t = r.event;
      return `${t.ticker}|${t.sipTimestampNs}|${t.sequence}|${t.price}|${t.size}|${t.exchange}|${t.correction}`;
    }
    case 'realtime-options-quotes': {
      const q = r.event;
      return `${q.ticker}|${q.sipTimestampNs}|${q.sequence}|${q.bidPrice}|${q.askPrice}|${q.bidSize}|${q.askSize}|${q.bidExchange}|${q.askExchange}`;
    }
  }
}

/** The stored columns that make an event's identity, in identityOfRow order. */
export const IDENTITY_COLUMNS: Readonly<Record<RealtimeDataset, readonly string[]>> = {
  'realtime-stocks-trades': ['ticker', 'sip_timestamp', 'sequence_number', 'id', 'exchange', 'price', 'size', 'correction'],
  'realtime-options-trades': ['ticker', 'sip_timestamp', 'sequence_number', 'price', 'size', 'exchange', 'correction'],
  'realtime-options-quotes': ['ticker', 'sip_timestamp', 'sequence_number', 'bid_price', 'ask_price', 'bid_size', 'ask_size', 'bid_exchange', 'ask_exchange'],
};

/** identityOf a stored row, from its IDENTITY_COLUMNS values (null = the field was absent). */
export function identityOfRow(values: readonly unknown[]): string {
  return values.map((v) => (v === null || v === undefined ? '' : String(v))).join('|');
}

const encoder = new TextEncoder();

function utf8(values: readonly (string | undefined)[]): Utf8Column {
  const encoded = values.map((v) => encoder.encode(v ?? ''));
  const offsets = new Int32Array(values.length + 1);
  let total = 0;
  encoded.forEach((b, i) => { total += b.length; offsets[i + 1] = total; });
  const bytes = new Uint8Array(total);
  encoded.forEach((b, i) => bytes.set(b, offsets[i]!));
  const valid = values.some((v) => v === undefined) ? Uint8Array.from(values, (v) => (v === undefined ? 0 : 1)) : undefined;
  return { type: 'utf8', offsets, bytes, ...(valid ? { valid } : {}) };
}
function int32(values: readonly (number | undefined)[]): Int32Column {
  const valid = values.some((v) => v === undefined) ? Uint8Array.from(values, (v) => (v === undefined ? 0 : 1)) : undefined;
  return { type: 'int32', values: Int32Array.from(values, (v) => v ?? 0), ...(valid ? { valid } : {}) };
}
const int64 = (values: readonly bigint[]): Int64Column => ({ type: 'int64', values: BigInt64Array.from(values) });
const float64 = (values: readonly number[]): Float64Column => ({ type: 'float64', values: Float64Array.from(values) });
function lists(values: readonly (readonly number[])[]): ListInt32Column {
  const offsets = new Int32Array(values.length + 1);
  values.forEach((l, i) => { offsets[i + 1] = offsets[i]! + l.length; });
  const flat = new Int32Array(offsets[values.length]!);
  values.forEach((l, i) => flat.set(l, offsets[i]!));
  return { type: 'list_int32', offsets, values: flat };
}

/** Records of one dataset as a batch in REALTIME_SCHEMAS order. */
export function realtimeBatch(dataset: RealtimeDataset, records: readonly RealtimeRecord[]): ColumnBatch {
  const received = int64(records.map((r) => r.receivedAtNs));
  switch (dataset) {
    case 'realtime-stocks-trades': {
      const t = records.map((r) => r.event as StockTrade);
      return {
        rows: t.length, columns: [
          utf8(t.map((x) => x.sym)), lists(t.map((x) => x.conditions)), int32(t.map((x) => x.correction)), int32(t.map((x) => x.exchange)),
          utf8(t.map((x) => x.tradeId)), float64(t.map((x) => x.price)), int64(t.map((x) => BigInt(x.sequence))),
          int64(t.map((x) => x.sipTimestampNs)), float64(t.map((x) => x.size)), int32(t.map((x) => x.tape)), int32(t.map((x) => x.trfId)),
          int64(t.map((x) => (x.trfTimestampMs === undefined ? 0n : BigInt(x.trfTimestampMs) * 1_000_000n))), received,
        ],
      };
    }
    case 'realtime-options-trades': {
      const t = records.map((r) => r.event as OptionTrade);
      return {
        rows: t.length, columns: [
          utf8(t.map((x) => x.ticker)), lists(t.map((x) => x.conditions)), int32(t.map((x) => x.correction)), int32(t.map((x) => x.exchange)),
          float64(t.map((x) => x.price)), int64(t.map((x) => BigInt(x.sequence))), int64(t.map((x) => x.sipTimestampNs)),
          float64(t.map((x) => x.size)), received,
        ],
      };
    }
    case 'realtime-options-quotes': {
      const q = records.map((r) => r.event as OptionQuote);
      return {
        rows: q.length, columns: [
          utf8(q.map((x) => x.ticker)), int32(q.map((x) => x.askExchange)), float64(q.map((x) => x.askPrice)), float64(q.map((x) => x.askSize)),
          int32(q.map((x) => x.bidExchange)), float64(q.map((x) => x.bidPrice)), float64(q.map((x) => x.bidSize)),
          int64(q.map((x) => BigInt(x.sequence))), int64(q.map((x) => x.sipTimestampNs)), received,
        ],
      };
    }
  }
}
