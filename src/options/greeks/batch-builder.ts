/**
 * The columnar batches of the options-greeks table: enriched trades (and, with aggression, their
 * classification) accumulated into reused typed arrays and taken as one ColumnBatch at a time.
 */
import type { ColumnBatch } from '../../formats/columns.js';
import type { LakeOptionTrade } from '../../lake/reader.js';
import type { Classification } from '../aggression.js';
import { AggressionColumnsBuilder } from '../aggression-job.js';
import type { OptionGreeks } from '../enrich.js';

const encoder = new TextEncoder();

/**
 * Accumulates enriched trades into one ColumnBatch of greeksColumns(aggression) (typed arrays,
 * reused); with aggression each {@link add} takes the trade's classification.
 */
export class GreeksBatchBuilder {
  rows = 0;
  private readonly strings: string[][] = [[], [], [], []]; // ticker, underlying, root, right
  private conditionOffsets: Int32Array;
  private conditionValues: number[] = [];
  private readonly int32: Int32Array[];
  private readonly int64: BigInt64Array[];
  private readonly f64: Float64Array[];
  private readonly valid: Uint8Array[];
  private readonly bools: Uint8Array[];
  private readonly encoded = new Map<string, Uint8Array>();
  private readonly aggression: AggressionColumnsBuilder | undefined;

  constructor(readonly capacity: number, aggression = false) {
    this.aggression = aggression ? new AggressionColumnsBuilder(capacity) : undefined;
    this.conditionOffsets = new Int32Array(capacity + 1);
    this.int32 = [0, 1, 2, 3].map(() => new Int32Array(capacity)); // correction, exchange, expiry, greeks_flag
    this.int64 = [0, 1, 2, 3].map(() => new BigInt64Array(capacity)); // participant, sip, sequence, underlying ts
    this.f64 = Array.from({ length: 12 }, () => new Float64Array(capacity)); // price size strike S t iv delta gamma intrinsic dadvv gadvv r
    this.valid = Array.from({ length: 9 }, () => new Uint8Array(capacity)); // participant, underlying ts, S, iv, delta, gamma, intrinsic, dadvv, gadvv
    this.bools = [0, 1].map(() => new Uint8Array(capacity)); // adjusted, eligible
  }

  get full(): boolean {
    return this.rows >= this.capacity;
  }

  add(t: LakeOptionTrade, g: OptionGreeks, side?: Classification): void {
    if (this.aggression !== undefined) {
      if (side === undefined) throw new RangeError('a greeks batch with aggression columns needs each trade\'s classification');
      this.aggression.add(side);
    }
    const i = this.rows++;
    const s = this.strings;
    s[0]![i] = t.ticker; s[1]![i] = t.underlying; s[2]![i] = t.root; s[3]![i] = t.right;
    for (const c of t.conditions) this.conditionValues.push(c);
    this.conditionOffsets[i + 1] = this.conditionValues.length;
    this.int32[0]![i] = t.correction; this.int32[1]![i] = t.exchange; this.int32[2]![i] = t.expiryDays; this.int32[3]![i] = g.greeksFlag;
    const participant = t.participantTimestampNs;
    this.int64[0]![i] = participant ?? 0n; this.valid[0]![i] = participant === null ? 0 : 1;
    this.int64[1]![i] = t.sipTimestampNs;
    this.int64[2]![i] = BigInt(t.sequence);
    this.int64[3]![i] = g.underlyingTimestampNs ?? 0n; this.valid[1]![i] = g.underlyingTimestampNs === null ? 0 : 1;
    const f = this.f64;
    f[0]![i] = t.price; f[1]![i] = t.size; f[2]![i] = t.strike; f[4]![i] = g.tYears; f[11]![i] = g.r;
    this.setOptional(3, 2, i, g.underlyingPrice);
    this.setOptional(5, 3, i, g.iv);
    this.setOptional(6, 4, i, g.delta);
    this.setOptional(7, 5, i, g.gamma);
    this.setOptional(8, 6, i, g.intrinsic);
    this.setOptional(9, 7, i, g.dadvv);
    this.setOptional(10, 8, i, g.gadvv);
    this.bools[0]![i] = t.adjusted ? 1 : 0;
    this.bools[1]![i] = g.eligible ? 1 : 0;
  }

  /** A nullable float64: NaN is stored as null. */
  private setOptional(column: number, validity: number, i: number, v: number): void {
    const present = v === v;
    this.f64[column]![i] = present ? v : 0;
    this.valid[validity]![i] = present ? 1 : 0;
  }

  /** The rows added since the last call, as a batch in GREEKS_COLUMNS order; the builder starts over. */
  take(): ColumnBatch {
    const n = this.rows;
    const utf8 = (k: number) => this.utf8(this.strings[k]!, n);
    const i32 = (k: number) => this.int32[k]!.slice(0, n);
    const f = (k: number) => this.f64[k]!.slice(0, n);
    const opt = (k: number, v: number) => ({ type: 'float64' as const, values: f(k), valid: this.valid[v]!.slice(0, n) });
    const batch: ColumnBatch = {
      rows: n,
      columns: [
        utf8(0),
        { type: 'list_int32', offsets: this.conditionOffsets.slice(0, n + 1), values: Int32Array.from(this.conditionValues) },
        { type: 'int32', values: i32(0) },
        { type: 'int32', values: i32(1) },
        { type: 'int64', values: this.int64[0]!.slice(0, n), valid: this.valid[0]!.slice(0, n) },
        { type: 'float64', values: f(0) },
        { type: 'int64', values: this.int64[1]!.slice(0, n) },
        { type: 'float64', values: f(1) },
        { type: 'int64', values: this.int64[2]!.slice(0, n) },
        utf8(1), utf8(2),
        { type: 'date32', values: i32(2) },
        utf8(3),
        { type: 'float64', values: f(2) },
        { type: 'bool', values: this.bools[0]!.slice(0, n) },
        opt(3, 2),
        { type: 'int64', values: this.int64[3]!.slice(0, n), valid: this.valid[1]!.slice(0, n) },
        { type: 'float64', values: f(4) },
        { type: 'float64', values: f(11) },
        opt(5, 3), opt(6, 4), opt(7, 5), opt(8, 6), opt(9, 7), opt(10, 8),
        { type: 'int32', values: i32(3) },
        { type: 'bool', values: this.bools[1]!.slice(0, n) },
        ...(this.aggression?.take() ?? []),
      ],
    };
    this.rows = 0;
    this.conditionValues = [];
    for (const s of this.strings) s.length = 0;
    return batch;
  }

  private utf8(values: readonly string[], n: number): ColumnBatch['columns'][number] {
    const offsets = new Int32Array(n + 1);
    const parts = new Array<Uint8Array>(n);
    let total = 0;
    for (let i = 0; i < n; i++) {
      const v = values[i]!;
      let bytes = this.encoded.get(v);
      if (bytes === undefined) {
        bytes = encoder.encode(v);
        if (this.encoded.size < 100_000) this.encoded.set(v, bytes);
      }
      parts[i] = bytes;
      total += bytes.length;
      offsets[i + 1] = total;
    }
    const out = new Uint8Array(total);
    for (let i = 0; i < n; i++) out.set(parts[i]!, offsets[i]!);
    return { type: 'utf8', offsets, bytes: out };
  }
}
