/**
 * Byte-level streaming parser for Massive's flat-file CSV: compressed bytes are
 * gunzipped elsewhere; this class turns the decompressed byte chunks into
 * columnar batches (src/formats/columns.ts) without building a string per row.
 *
 * Lifecycle: `push(chunk)` any number of times (returns the batches completed by
 * that chunk; the chunk is not kept, so its memory may be reused), then `end()` (returns the last partial batch). Rows that cannot be
 * parsed are not dropped: they are returned by `takeRejects()` with their line
 * number, the field at fault and the raw text, and the caller quarantines them.
 *
 * Columns are matched by header name (case-insensitive, surrounding spaces and a
 * UTF-8 BOM ignored), never by position. A header lacking a required column is a
 * ParseError naming the file and the expected columns. Extra header columns are
 * ignored (reported by `ignoredHeaderColumns`).
 *
 * Field syntax: RFC 4180 quoting (`"12,37"`, `""` escapes); CRLF or LF line ends;
 * a missing final newline is fine; blank lines are skipped. A newline inside a
 * quoted field is not supported (Massive never writes one): such a row is rejected.
 *
 * Two paths, one behaviour. Each complete line first goes through `fastRow`,
 * a single pass that splits and parses the fields as it goes, writing straight
 * into the builders' typed arrays (one `switch` on a per-field kind code, no
 * per-field calls through the Builder classes, no second scan of the bytes).
 * It only accepts what it fully understands: plain unquoted fields, quoted
 * integer lists. Anything else (blank line, header, wrong field count, quotes
 * elsewhere, empty required field, bad number, CRLF split across chunks...)
 * rewinds the row and goes through the general path (`line_`: tokenize, then
 * Builder.set per field), which is the reference for values, rejects and
 * counters. A row whose ticker the filter drops is counted as filtered on both
 * paths without looking at its other fields: fastRow jumps to the next LF (a
 * full-market options-quotes day is ~90 % such rows for one underlying).
 *
 * Pure: no I/O.
 */
import type { Column, ColumnBatch, ColumnSpec } from '../columns.js';
import { ParseError } from '../../util/errors.js';
import { parseDecimal } from './numbers.js';
import { latin1 } from '../bytes.js';
import { utcMsToNyDate } from '../../calendar/nyTime.js';

export interface CsvReject {
  /** 1-based line number in the decompressed file (the header is line 1). */
  readonly line: number;
  readonly reason: string;
  /** Column at fault, when one is. */
  readonly field?: string;
  /** The raw line (latin1-safe text, truncated to 2000 characters). */
  readonly raw: string;
}

/** Decides from the ticker bytes whether a row is kept (streaming filters such as `--tickers SPY`). */
export interface TickerFilter {
  keep(buf: Uint8Array, start: number, end: number): boolean;
  /**
   * Optional, asked right after `keep` dropped the key buf[start, end): how many of its leading
   * bytes decided, i.e. `keep` drops every key of the same length that starts with those bytes
   * (0: no such promise). The parser then skips the run of such rows that follows (a full-market
   * file is sorted by ticker) with one memchr per row.
   */
  droppedBy?(buf: Uint8Array, start: number, end: number): number;
}

/**
 * Extra columns computed from each kept row's ticker (e.g. decoded OPRA
 * contract fields). `fill` writes row `row` of the derived columns and returns
 * undefined, or a reason to reject the row.
 */
export interface DerivedColumns {
  readonly specs: readonly ColumnSpec[];
  createBuilders(capacity: number): DerivedBuilders;
}
export interface DerivedBuilders {
  fill(row: number, buf: Uint8Array, start: number, end: number): string | undefined;
  finish(rows: number): Column[];
}

export interface CsvParserOptions {
  /** Target columns, in output order. A column is looked up in the header by `name`. */
  readonly columns: readonly (ColumnSpec & { readonly requiredInHeader?: boolean })[];
  /** Rows per emitted batch. */
  readonly batchRows: number;
  /** File name for error messages. */
  readonly file: string;
  /** Header name of the column the filter and derived columns read (default `ticker`). */
  readonly keyColumn?: string;
  readonly filter?: TickerFilter;
  readonly derived?: DerivedColumns;
  /** Value checks on parsed rows: a row that fails one is rejected with the rule's reason, naming the column. */
  readonly rules?: RowRules;
  /** False sends every line through the general path (the reference the fast path is tested against). */
  readonly fastPath?: boolean;
  /**
   * Build batches on SharedArrayBuffers (for a consumer on another thread that
   * shares instead of transferring them, and reports through `recycle` when it
   * is done). Default false: plain ArrayBuffers.
   */
  readonly sharedMemory?: boolean;
}
/**
 * Sanity rules a parsed row must meet. Timestamps are compared exactly, as
 * int64 nanoseconds, against the New York calendar day the file is for.
 */
export interface RowRules {
  /** Columns whose value must be > 0 (a trade price). */
  readonly positive?: readonly string[];
  /** Columns whose value must be >= 0 (sizes; quote prices, where 0 means no quote on that side). */
  readonly nonNegative?: readonly string[];
  /** An int64 ns column that must fall in [startNs, endNs): the file's day. */
  readonly within?: { readonly column: string; readonly startNs: bigint; readonly endNs: bigint; readonly day: string };
}

/** fastRow: the line is one the ticker filter drops (its end is in `skipTo`). */
const FILTERED = -2;
/** Same, decided before anything of the row was written (nothing to rewind). */
const FILTERED_CLEAN = -3;

const COMMA = 44, QUOTE = 34, LF = 10, CR = 13, MINUS = 45, PLUS = 43, DOT = 46, ZERO = 48, NINE = 57;
const TWO32 = 4294967296;
const MAX_FIELDS = 256;

const littleEndian = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

/** Per header field: what `fastRow` does with it. */
const KIND_SKIP = 0, KIND_UTF8 = 1, KIND_INT32 = 2, KIND_INT64 = 3, KIND_FLOAT64 = 4, KIND_LIST_INT32 = 5;
const KIND_OF: Readonly<Record<string, number>> = { utf8: KIND_UTF8, int32: KIND_INT32, int64: KIND_INT64, float64: KIND_FLOAT64, list_int32: KIND_LIST_INT32 };
const POW10 = [1, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11, 1e12, 1e13, 1e14, 1e15];

/** Spare arrays a builder keeps per kind (batches in flight come back through `recycle`). */
const MAX_SPARES = 8;

/** A spare over the whole buffer behind `array`, if it holds `min` elements of `bytesPer` bytes (a detached one holds none). */
function spareOf<T>(array: ArrayBufferView | undefined, bytesPer: number, min: number, make: (buffer: ArrayBufferLike) => T): T | undefined {
  if (array === undefined || array.buffer.byteLength < min * bytesPer) return undefined;
  return make(array.buffer);
}

/** Backing memory of `bytes` bytes: shared (SharedArrayBuffer) or not. */
function memory(bytes: number, shared: boolean): ArrayBufferLike {
  return shared ? new SharedArrayBuffer(bytes) : new ArrayBuffer(bytes);
}

/**
 * Accumulates one column's values for the current batch. `finish` hands the
 * builder's own arrays to the batch (no copy) and continues in spare arrays:
 * ones given back by `recycle` (the writer is done with an earlier batch) or
 * new ones. Every row's slot is written before it is read, so spares need no
 * clearing.
 */
abstract class Builder {
  valid: Uint8Array;
  /** setEmpty ran since the last finish: only then can `valid` hold a 0. */
  emptied = false;
  private readonly spareValid: Uint8Array[] = [];
  constructor(readonly spec: ColumnSpec, readonly capacity: number, readonly shared: boolean) {
    this.valid = new Uint8Array(memory(capacity, shared));
  }
  /** Parses the field; returns undefined on success or a rejection reason. Empty fields never reach here. */
  abstract set(row: number, buf: Uint8Array, start: number, end: number): string | undefined;
  /** An empty field. */
  abstract setEmpty(row: number): void;
  abstract finish(rows: number): Column;
  /** Forgets whatever a rejected row left in row `row` (variable-length builders rewind). */
  rollback(row: number): void { this.setEmpty(row); }
  /** Takes back the arrays of a column this builder finished (the writer no longer reads them). */
  abstract recycle(column: Column): void;
  /** The batch's validity bytes (handed over; undefined when every row is present), for `finish`. */
  protected takeValid(rows: number): Uint8Array | undefined {
    const emptied = this.emptied;
    this.emptied = false;
    if (!this.spec.nullable || !emptied) return undefined;
    const v = this.valid;
    let i = 0;
    while (i < rows && v[i] !== 0) i++;
    if (i === rows) return undefined;
    this.valid = this.spareValid.pop() ?? new Uint8Array(memory(this.capacity, this.shared));
    return v.subarray(0, rows);
  }
  protected recycleValid(valid: Uint8Array | undefined): void {
    const spare = spareOf(valid, 1, this.capacity, (b) => new Uint8Array(b, 0, this.capacity));
    if (spare !== undefined && this.spareValid.length < MAX_SPARES) this.spareValid.push(spare);
  }
}

class Utf8Builder extends Builder {
  offsets: Int32Array;
  bytes: Uint8Array;
  used = 0;
  private readonly spareOffsets: Int32Array[] = [];
  private readonly spareBytes: Uint8Array[] = [];
  constructor(spec: ColumnSpec, capacity: number, shared: boolean) {
    super(spec, capacity, shared);
    this.offsets = new Int32Array(memory(4 * (capacity + 1), shared));
    this.bytes = new Uint8Array(memory(capacity * 8, shared));
  }
  /** Makes room for `len` more bytes. */
  reserve(len: number): void {
    if (this.used + len <= this.bytes.length) return;
    const next = new Uint8Array(memory(Math.max(this.bytes.length * 2, this.used + len), this.shared));
    next.set(this.bytes.subarray(0, this.used));
    this.bytes = next;
  }
  set(row: number, buf: Uint8Array, start: number, end: number): string | undefined {
    const len = end - start;
    this.reserve(len);
    // Short values (tickers, ids): a loop beats set()+subarray().
    if (len < 16) { for (let i = 0; i < len; i++) this.bytes[this.used + i] = buf[start + i]!; }
    else this.bytes.set(buf.subarray(start, end), this.used);
    this.used += len;
    this.offsets[row + 1] = this.used;
    this.valid[row] = 1;
    return undefined;
  }
  setEmpty(row: number): void {
    this.offsets[row + 1] = this.used;
    this.valid[row] = 0;
    this.emptied = true;
  }
  override rollback(row: number): void {
    this.used = this.offsets[row]!;
    this.setEmpty(row);
  }
  finish(rows: number): Column {
    const valid = this.takeValid(rows);
    const offsets = this.offsets.subarray(0, rows + 1);
    const bytes = this.bytes.subarray(0, this.used);
    this.offsets = this.spareOffsets.pop() ?? new Int32Array(memory(4 * (this.capacity + 1), this.shared));
    this.bytes = this.spareBytes.pop() ?? new Uint8Array(memory(this.bytes.length, this.shared));
    this.used = 0;
    this.offsets[0] = 0;
    return valid ? { type: 'utf8', offsets, bytes, valid } : { type: 'utf8', offsets, bytes };
  }
  recycle(column: Column): void {
    if (column.type !== 'utf8') return;
    this.recycleValid(column.valid);
    const offsets = spareOf(column.offsets, 4, this.capacity + 1, (b) => new Int32Array(b, 0, this.capacity + 1));
    if (offsets !== undefined && this.spareOffsets.length < MAX_SPARES) this.spareOffsets.push(offsets);
    const bytes = spareOf(column.bytes, 1, 1, (b) => new Uint8Array(b));
    if (bytes !== undefined && this.spareBytes.length < MAX_SPARES) this.spareBytes.push(bytes);
  }
}

class Int32Builder extends Builder {
  values: Int32Array;
  constructor(spec: ColumnSpec, capacity: number, shared: boolean) {
    super(spec, capacity, shared);
    this.values = new Int32Array(memory(4 * capacity, shared));
  }
  set(row: number, buf: Uint8Array, start: number, end: number): string | undefined {
    let i = start, neg = false;
    if (buf[i] === MINUS) { neg = true; i++; }
    if (i === end) return 'not an integer';
    let v = 0;
    for (; i < end; i++) {
      const c = buf[i]!;
      if (c < ZERO || c > NINE) return 'not an integer';
      v = v * 10 + (c - ZERO);
    }
    if (v > 2147483647 + (neg ? 1 : 0)) return 'integer out of int32 range';
    this.values[row] = neg ? -v : v;
    this.valid[row] = 1;
    return undefined;
  }
  private readonly spareValues: Int32Array[] = [];
  setEmpty(row: number): void { this.values[row] = 0; this.valid[row] = 0; this.emptied = true; }
  finish(rows: number): Column {
    const valid = this.takeValid(rows);
    const values = this.values.subarray(0, rows);
    this.values = this.spareValues.pop() ?? new Int32Array(memory(4 * this.capacity, this.shared));
    return valid ? { type: 'int32', values, valid } : { type: 'int32', values };
  }
  recycle(column: Column): void {
    if (column.type !== 'int32') return;
    this.recycleValid(column.valid);
    const values = spareOf(column.values, 4, this.capacity, (b) => new Int32Array(b, 0, this.capacity));
    if (values !== undefined && this.spareValues.length < MAX_SPARES) this.spareValues.push(values);
  }
}

class Int64Builder extends Builder {
  values: BigInt64Array;
  words: Uint32Array;
  constructor(spec: ColumnSpec, capacity: number, shared: boolean) {
    super(spec, capacity, shared);
    this.values = new BigInt64Array(memory(8 * capacity, shared));
    this.words = new Uint32Array(this.values.buffer);
  }
  set(row: number, buf: Uint8Array, start: number, end: number): string | undefined {
    const r = parseInt64Words(buf, start, end, this.words, row * 2);
    if (r !== undefined) return r;
    this.valid[row] = 1;
    return undefined;
  }
  private readonly spareValues: BigInt64Array[] = [];
  setEmpty(row: number): void { this.words[row * 2] = 0; this.words[row * 2 + 1] = 0; this.valid[row] = 0; this.emptied = true; }
  finish(rows: number): Column {
    const valid = this.takeValid(rows);
    const values = this.values.subarray(0, rows);
    this.values = this.spareValues.pop() ?? new BigInt64Array(memory(8 * this.capacity, this.shared));
    this.words = new Uint32Array(this.values.buffer, 0, this.capacity * 2);
    return valid ? { type: 'int64', values, valid } : { type: 'int64', values };
  }
  recycle(column: Column): void {
    if (column.type !== 'int64') return;
    this.recycleValid(column.valid);
    const values = spareOf(column.values, 8, this.capacity, (b) => new BigInt64Array(b, 0, this.capacity));
    if (values !== undefined && this.spareValues.length < MAX_SPARES) this.spareValues.push(values);
  }
}

class Float64Builder extends Builder {
  values: Float64Array;
  constructor(spec: ColumnSpec, capacity: number, shared: boolean) {
    super(spec, capacity, shared);
    this.values = new Float64Array(memory(8 * capacity, shared));
  }
  set(row: number, buf: Uint8Array, start: number, end: number): string | undefined {
    const v = parseDecimal(buf, start, end);
    if (v !== v) return 'not a number';
    this.values[row] = v;
    this.valid[row] = 1;
    return undefined;
  }
  private readonly spareValues: Float64Array[] = [];
  setEmpty(row: number): void { this.values[row] = 0; this.valid[row] = 0; this.emptied = true; }
  finish(rows: number): Column {
    const valid = this.takeValid(rows);
    const values = this.values.subarray(0, rows);
    this.values = this.spareValues.pop() ?? new Float64Array(memory(8 * this.capacity, this.shared));
    return valid ? { type: 'float64', values, valid } : { type: 'float64', values };
  }
  recycle(column: Column): void {
    if (column.type !== 'float64') return;
    this.recycleValid(column.valid);
    const values = spareOf(column.values, 8, this.capacity, (b) => new Float64Array(b, 0, this.capacity));
    if (values !== undefined && this.spareValues.length < MAX_SPARES) this.spareValues.push(values);
  }
}

/**
 * `conditions`-style lists: empty field → empty list (not null: Massive writes
 * nothing when a trade has no conditions), `12` → [12], `"12,37"` → [12, 37].
 */
class ListInt32Builder extends Builder {
  offsets: Int32Array;
  values: Int32Array;
  used = 0;
  constructor(spec: ColumnSpec, capacity: number, shared: boolean) {
    super(spec, capacity, shared);
    this.offsets = new Int32Array(memory(4 * (capacity + 1), shared));
    this.values = new Int32Array(memory(4 * capacity * 2, shared));
  }
  set(row: number, buf: Uint8Array, start: number, end: number): string | undefined {
    let v = 0, digits = 0, n = this.used;
    for (let i = start; i <= end; i++) {
      const c = i < end ? buf[i]! : COMMA;
      if (c >= ZERO && c <= NINE) { v = v * 10 + (c - ZERO); digits++; continue; }
      if (c === COMMA) {
        if (digits === 0 || digits > 9) { this.offsets[row + 1] = this.used; return 'not a list of integers'; }
        if (n === this.values.length) this.grow();
        this.values[n++] = v;
        v = 0; digits = 0;
        continue;
      }
      if (c === 32) continue; // tolerate "12, 37"
      this.offsets[row + 1] = this.used;
      return 'not a list of integers';
    }
    this.used = n;
    this.offsets[row + 1] = n;
    this.valid[row] = 1;
    return undefined;
  }
  /** Doubles the value storage. */
  grow(): void {
    const next = new Int32Array(memory(8 * this.values.length, this.shared));
    next.set(this.values);
    this.values = next;
  }
  setEmpty(row: number): void {
    this.offsets[row + 1] = this.used;
    this.valid[row] = 1; // empty list, not null
  }
  override rollback(row: number): void {
    this.used = this.offsets[row]!;
    this.setEmpty(row);
  }
  private readonly spareOffsets: Int32Array[] = [];
  private readonly spareValues: Int32Array[] = [];
  finish(rows: number): Column {
    const col: Column = { type: 'list_int32', offsets: this.offsets.subarray(0, rows + 1), values: this.values.subarray(0, this.used) };
    this.offsets = this.spareOffsets.pop() ?? new Int32Array(memory(4 * (this.capacity + 1), this.shared));
    this.values = this.spareValues.pop() ?? new Int32Array(memory(4 * this.values.length, this.shared));
    this.used = 0;
    this.offsets[0] = 0;
    return col;
  }
  recycle(column: Column): void {
    if (column.type !== 'list_int32') return;
    const offsets = spareOf(column.offsets, 4, this.capacity + 1, (b) => new Int32Array(b, 0, this.capacity + 1));
    if (offsets !== undefined && this.spareOffsets.length < MAX_SPARES) this.spareOffsets.push(offsets);
    const values = spareOf(column.values, 4, 1, (b) => new Int32Array(b, 0, b.byteLength >> 2));
    if (values !== undefined && this.spareValues.length < MAX_SPARES) this.spareValues.push(values);
  }
}

function makeBuilder(spec: ColumnSpec, capacity: number, shared: boolean): Builder {
  switch (spec.type) {
    case 'utf8': return new Utf8Builder(spec, capacity, shared);
    case 'int32': return new Int32Builder(spec, capacity, shared);
    case 'int64': return new Int64Builder(spec, capacity, shared);
    case 'float64': return new Float64Builder(spec, capacity, shared);
    case 'list_int32': return new ListInt32Builder(spec, capacity, shared);
    default: throw new Error(`CSV columns of type ${spec.type} are not supported`);
  }
}

/**
 * Parses optionally signed decimal digits into the little-endian 64-bit slot
 * words[at], words[at+1] exactly, without BigInt: up to 15 digits accumulate in
 * a double (exact below 2^53), the rest through 32-bit limbs.
 */
export function parseInt64Words(buf: Uint8Array, start: number, end: number, words: Uint32Array, at: number): string | undefined {
  let i = start, neg = false;
  if (buf[i] === MINUS) { neg = true; i++; }
  const digits = end - i;
  if (digits <= 0) return 'not an integer';
  if (digits > 19) return 'integer out of int64 range';
  let v = 0;
  const fastEnd = i + (digits < 15 ? digits : 15);
  for (; i < fastEnd; i++) {
    const c = buf[i]!;
    if (c < ZERO || c > NINE) return 'not an integer';
    v = v * 10 + (c - ZERO);
  }
  let hi = Math.floor(v / TWO32), lo = v - hi * TWO32;
  for (; i < end; i++) {
    const c = buf[i]!;
    if (c < ZERO || c > NINE) return 'not an integer';
    const l = lo * 10 + (c - ZERO);
    const carry = Math.floor(l / TWO32);
    lo = l - carry * TWO32;
    hi = hi * 10 + carry;
  }
  if (hi >= 2147483648 && !(neg && hi === 2147483648 && lo === 0)) return 'integer out of int64 range';
  if (neg) { // two's complement
    lo = (~lo >>> 0) + 1;
    hi = (~hi >>> 0) + (lo === TWO32 ? 1 : 0);
    lo = lo >>> 0;
    hi = hi >>> 0;
  }
  if (littleEndian) { words[at] = lo; words[at + 1] = hi; } else { words[at] = hi; words[at + 1] = lo; }
  return undefined;
}

/**
 * fastRow's int64: parses an optionally signed run of digits starting at `i`
 * into the 64-bit slot words[at], words[at+1] (same results as parseInt64Words,
 * in one pass with two divisions) and returns the index after the digits, or
 * -1 when there are no digits or the value is outside int64 (the general path
 * then says why).
 */
function scanInt64(buf: Uint8Array, i: number, words: Uint32Array, at: number): number {
  let c = buf[i]!;
  const neg = c === MINUS;
  if (neg) c = buf[++i]!;
  const digitsStart = i;
  let v = 0;
  while (c >= ZERO && c <= NINE && i - digitsStart < 15) { v = v * 10 + (c - ZERO); c = buf[++i]!; }
  if (i === digitsStart) return -1;
  let hi = Math.floor(v / TWO32), lo = v - hi * TWO32;
  if (c >= ZERO && c <= NINE) {
    // 16 to 19 digits: value = v * 10^k + tail with v < 10^15, k ≤ 4, so each partial product is exact.
    let tail = 0, scale = 1;
    while (c >= ZERO && c <= NINE) {
      if (scale === 10000) return -1; // a 20th digit
      tail = tail * 10 + (c - ZERO); scale *= 10;
      c = buf[++i]!;
    }
    const low = lo * scale + tail;
    const carry = Math.floor(low / TWO32);
    lo = low - carry * TWO32;
    hi = hi * scale + carry;
    if (hi >= 2147483648 && !(neg && hi === 2147483648 && lo === 0)) return -1;
  }
  if (neg) { // two's complement
    lo = (~lo >>> 0) + 1;
    hi = (~hi >>> 0) + (lo === TWO32 ? 1 : 0);
    lo = lo >>> 0;
    hi = hi >>> 0;
  }
  if (littleEndian) { words[at] = lo; words[at + 1] = hi; } else { words[at] = hi; words[at + 1] = lo; }
  return i;
}

export class CsvBatchParser {
  private readonly opts: CsvParserOptions;
  private readonly builders: Builder[];
  private derivedBuilders: DerivedBuilders | undefined;
  /** For each header field index: index of the target column, or -1 if ignored. */
  private fieldTarget: Int32Array = new Int32Array(0);
  /** For each header field: its KIND_* code, nullability (1/0) and builder, for fastRow. */
  private fieldKind: Uint8Array = new Uint8Array(0);
  private fieldNullable: Uint8Array = new Uint8Array(0);
  private fieldBuilders: (Builder | undefined)[] = [];
  private headerFields = 0;
  private keyField = -1;
  private header: string[] | undefined;
  private carry: Uint8Array | undefined;
  private row = 0;
  private lineNo = 0;
  private rejects: CsvReject[] = [];
  private readonly fieldStart = new Int32Array(MAX_FIELDS);
  private readonly fieldEnd = new Int32Array(MAX_FIELDS);
  private readonly fieldQuoted = new Uint8Array(MAX_FIELDS);
  private unquoteBuf = new Uint8Array(256);
  /** Rows read (kept, filtered out and rejected), excluding the header and blank lines. */
  rowsSeen = 0;
  /** Rows skipped by the ticker filter. */
  rowsFiltered = 0;
  /** Where fastRow's last FILTERED line ends (after its LF). */
  private skipTo = 0;
  /** End of the key of fastRow's last FILTERED_CLEAN line (the key starts the line). */
  private skipKeyEnd = 0;
  rowsRejected = 0;
  rowsEmitted = 0;
  ignoredHeaderColumns: string[] = [];

  constructor(opts: CsvParserOptions) {
    if (opts.batchRows < 1) throw new RangeError('batchRows must be >= 1');
    this.opts = opts;
    this.builders = opts.columns.map((c) => makeBuilder(c, opts.batchRows, opts.sharedMemory === true));
    this.derivedBuilders = opts.derived?.createBuilders(opts.batchRows);
  }

  /** The header's column names as found in the file, once read. */
  get headerColumns(): readonly string[] | undefined { return this.header; }
  /** Number of the last line consumed. */
  get line(): number { return this.lineNo; }

  /**
   * Gives back the arrays of a batch this parser emitted, once its consumer
   * no longer reads them (e.g. the Parquet writer has encoded or copied it):
   * later batches are built in them instead of new ones. Optional; a batch
   * must not be used after it is recycled. Detached arrays (transferred to
   * another thread) and derived columns are not reused.
   */
  recycle(batch: ColumnBatch): void {
    for (let c = 0; c < this.builders.length && c < batch.columns.length; c++) this.builders[c]!.recycle(batch.columns[c]!);
  }

  /** Rows rejected since the last call, in file order. */
  takeRejects(): CsvReject[] {
    const r = this.rejects;
    this.rejects = [];
    return r;
  }

  push(chunk: Uint8Array): ColumnBatch[] {
    const out: ColumnBatch[] = [];
    let pos = 0;
    if (this.carry !== undefined) {
      const nl = chunk.indexOf(LF);
      if (nl < 0) {
        const merged = new Uint8Array(this.carry.length + chunk.length);
        merged.set(this.carry);
        merged.set(chunk, this.carry.length);
        this.carry = merged;
        return out;
      }
      const line = new Uint8Array(this.carry.length + nl);
      line.set(this.carry);
      line.set(chunk.subarray(0, nl), this.carry.length);
      this.carry = undefined;
      this.line_(line, 0, line.length, out);
      pos = nl + 1;
    }
    const len = chunk.length;
    while (this.header === undefined && pos < len) {
      const nl = chunk.indexOf(LF, pos);
      if (nl < 0) break;
      this.line_(chunk, pos, nl, out);
      pos = nl + 1;
    }
    const lastNl = chunk.lastIndexOf(LF);
    if (lastNl >= pos) {
      this.lines(chunk, pos, lastNl + 1, out);
      pos = lastNl + 1;
    }
    // A copy: the caller may reuse the chunk's memory once push returns (and a Buffer's slice is a view).
    if (pos < len) this.carry = new Uint8Array(chunk.subarray(pos));
    return out;
  }

  /** The complete lines of buf[pos, limit) (buf[limit - 1] is a LF), each through fastRow or else line_. */
  private lines(buf: Uint8Array, pos: number, limit: number, out: ColumnBatch[]): void {
    const batchRows = this.opts.batchRows;
    const fast = this.opts.fastPath !== false;
    while (pos < limit) {
      const next = fast ? this.fastRow(buf, pos) : -1;
      if (next >= 0) {
        this.lineNo++;
        this.rowsSeen++;
        pos = next;
        if (this.row === batchRows) out.push(this.flush());
        continue;
      }
      if (next !== FILTERED_CLEAN) this.rewindRow();
      if (next <= FILTERED) {
        this.lineNo++;
        this.rowsSeen++;
        this.rowsFiltered++;
        pos = next === FILTERED_CLEAN ? this.skipDroppedRun(buf, pos, this.skipKeyEnd, this.skipTo, limit) : this.skipTo;
        continue;
      }
      let nl = pos;
      while (buf[nl] !== LF) nl++;
      this.line_(buf, pos, nl, out);
      pos = nl + 1;
    }
  }

  /**
   * Parses the line starting at `pos` straight into the builders and returns
   * the position after its LF, or -1 when the line needs the general path (the
   * caller rewinds whatever was written). The line must end with a LF inside
   * `buf`, which bounds every scan below.
   */
  private fastRow(buf: Uint8Array, pos: number): number {
    const nf = this.headerFields, kinds = this.fieldKind, nullable = this.fieldNullable, builders = this.fieldBuilders;
    const row = this.row, key = this.keyField, filter = this.opts.filter;
    let i = pos, keyStart = 0, keyEnd = 0;
    if (buf[i] === LF || buf[i] === CR) return -1; // blank line
    // The usual layout (ticker first): decide before writing anything; the field loop then
    // needs no second decision.
    let keyDecided = false;
    if (key === 0 && filter !== undefined && buf[i] !== QUOTE) {
      let c = buf[i]!;
      while (c !== COMMA && c !== LF && c !== CR) c = buf[++i]!;
      if (!filter.keep(buf, pos, i)) {
        this.skipTo = buf.indexOf(LF, i) + 1;
        this.skipKeyEnd = i;
        return FILTERED_CLEAN;
      }
      keyDecided = true;
      i = pos;
    }
    for (let f = 0; f < nf; f++) {
      const start = i;
      let c = buf[i]!;
      switch (kinds[f]) {
        case KIND_UTF8: {
          if (c === QUOTE) return -1;
          while (c !== COMMA && c !== LF && c !== CR) c = buf[++i]!;
          const b = builders[f] as Utf8Builder;
          const len = i - start;
          if (len === 0) {
            if (nullable[f] === 0) return -1;
            b.setEmpty(row);
            break;
          }
          b.reserve(len);
          const bytes = b.bytes;
          let used = b.used;
          for (let k = start; k < i; k++) bytes[used++] = buf[k]!;
          b.used = used;
          b.offsets[row + 1] = used;
          b.valid[row] = 1;
          break;
        }
        case KIND_INT64: {
          const b = builders[f] as Int64Builder;
          if (c === COMMA || c === LF || c === CR) {
            if (nullable[f] === 0) return -1;
            b.setEmpty(row);
            break;
          }
          i = scanInt64(buf, i, b.words, row * 2);
          if (i < 0) return -1;
          b.valid[row] = 1;
          break;
        }
        case KIND_FLOAT64: {
          // Same arithmetic as parseDecimal: ≤ 15 digits as an exact integer over an exact power of ten.
          const neg = c === MINUS;
          if (neg || c === PLUS) c = buf[++i]!;
          let v = 0, digits = 0, dot = -1;
          for (;;) {
            if (c >= ZERO && c <= NINE) { v = v * 10 + (c - ZERO); digits++; }
            else if (c === DOT && dot < 0) dot = digits;
            else break;
            c = buf[++i]!;
          }
          const b = builders[f] as Float64Builder;
          if (i === start) {
            if (nullable[f] === 0) return -1;
            b.setEmpty(row);
            break;
          }
          if (digits === 0 || digits > 15) return -1;
          const fracDigits = dot < 0 ? 0 : digits - dot;
          const r = fracDigits === 0 ? v : v / POW10[fracDigits]!;
          b.values[row] = neg ? -r : r;
          b.valid[row] = 1;
          break;
        }
        case KIND_INT32: {
          const neg = c === MINUS;
          if (neg) c = buf[++i]!;
          const digitsStart = i;
          let v = 0;
          while (c >= ZERO && c <= NINE) { v = v * 10 + (c - ZERO); c = buf[++i]!; }
          const b = builders[f] as Int32Builder;
          if (i === start) {
            if (nullable[f] === 0) return -1;
            b.setEmpty(row);
            break;
          }
          if (i === digitsStart || v > 2147483647 + (neg ? 1 : 0)) return -1;
          b.values[row] = neg ? -v : v;
          b.valid[row] = 1;
          break;
        }
        case KIND_LIST_INT32: {
          // Same rules as ListInt32Builder: ≤ 9 digits per element, spaces ignored, no empty element.
          const b = builders[f] as ListInt32Builder;
          let n = b.used, v = 0, digits = 0;
          if (c === QUOTE) {
            c = buf[++i]!;
            for (;;) {
              if (c >= ZERO && c <= NINE) { v = v * 10 + (c - ZERO); digits++; }
              else if (c === COMMA || c === QUOTE) {
                if (digits === 0 || digits > 9) return -1;
                if (n === b.values.length) b.grow();
                b.values[n++] = v;
                v = 0; digits = 0;
                if (c === QUOTE) break;
              } else if (c !== 32) return -1;
              c = buf[++i]!;
            }
            c = buf[++i]!;
          } else {
            while (c >= ZERO && c <= NINE) { v = v * 10 + (c - ZERO); digits++; c = buf[++i]!; }
            if (digits > 9) return -1;
            if (digits > 0) {
              if (n === b.values.length) b.grow();
              b.values[n++] = v;
            }
          }
          b.used = n;
          b.offsets[row + 1] = n;
          b.valid[row] = 1;
          break;
        }
        default: // a column nobody asked for: skip it
          if (c === QUOTE) return -1;
          while (c !== COMMA && c !== LF && c !== CR) c = buf[++i]!;
      }
      if (f === key) {
        if (buf[start] === QUOTE) return -1;
        if (filter !== undefined && !keyDecided && !filter.keep(buf, start, i)) {
          // Not wanted: skip to the end of the line without looking at the other fields.
          this.skipTo = buf.indexOf(LF, i) + 1;
          return FILTERED;
        }
        keyStart = start; keyEnd = i;
      }
      let c2 = buf[i];
      if (f + 1 < nf) {
        if (c2 !== COMMA) return -1;
      } else {
        if (c2 === CR) c2 = buf[++i];
        if (c2 !== LF) return -1;
      }
      i++;
    }
    for (let t = 0; t < this.missing.length; t++) this.builders[this.missing[t]!]!.setEmpty(row);
    if (this.derivedBuilders !== undefined && key >= 0 && this.derivedBuilders.fill(row, buf, keyStart, keyEnd) !== undefined) return -1;
    if (this.ruleChecks !== undefined && this.violation(row) !== undefined) return -1; // the general path rejects it with the reason
    this.row = row + 1;
    return i;
  }

  /**
   * After the line whose key is buf[keyStart, keyEnd) was dropped by the filter: skips the lines
   * from `pos` on whose key has the same length and starts with the bytes the filter says decided
   * (`droppedBy`), counting them as filtered, and returns where the first other line starts. Each
   * line costs a prefix compare and two memchr calls (its key's comma, its LF), whatever its other
   * fields hold, exactly as if each had gone through fastRow's filter check.
   */
  private skipDroppedRun(buf: Uint8Array, keyStart: number, keyEnd: number, pos: number, limit: number): number {
    const decided = this.opts.filter!.droppedBy?.(buf, keyStart, keyEnd) ?? 0;
    if (decided <= 0) return pos;
    const keyLength = keyEnd - keyStart;
    let skipped = 0;
    while (pos < limit) {
      let k = 0;
      while (k < decided && buf[pos + k] === buf[keyStart + k]) k++;
      if (k < decided) break;
      // The key ends at the first comma, which must come before the line's LF.
      const comma = buf.indexOf(COMMA, pos + decided);
      if (comma !== pos + keyLength) break;
      const nl = buf.indexOf(LF, pos + decided);
      if (nl < comma || buf[comma - 1] === CR) break;
      skipped++;
      pos = nl + 1;
    }
    this.lineNo += skipped;
    this.rowsSeen += skipped;
    this.rowsFiltered += skipped;
    return pos;
  }

  /** Forgets whatever fastRow wrote into the current row. */
  private rewindRow(): void {
    const row = this.row;
    for (const b of this.builders) b.rollback(row);
  }

  /** Flushes a final line without newline and the last partial batch. */
  end(): ColumnBatch[] {
    const out: ColumnBatch[] = [];
    if (this.carry !== undefined) {
      const c = this.carry;
      this.carry = undefined;
      this.line_(c, 0, c.length, out);
    }
    if (this.header === undefined) {
      throw new ParseError(`${this.opts.file}: empty file, expected a header line with columns ${this.expectedColumns()}`, { file: this.opts.file, line: 1 });
    }
    if (this.row > 0) out.push(this.flush());
    return out;
  }

  private expectedColumns(): string {
    return this.opts.columns.filter((c) => c.requiredInHeader !== false).map((c) => c.name).join(',');
  }

  private line_(buf: Uint8Array, start: number, end: number, out: ColumnBatch[]): void {
    this.lineNo++;
    if (end > start && buf[end - 1] === CR) end--;
    if (end === start) return; // blank line
    if (this.header === undefined) {
      this.readHeader(buf, start, end);
      return;
    }
    this.rowsSeen++;
    const n = this.tokenize(buf, start, end);
    const key = this.keyField;
    // A row the filter drops is counted as filtered whatever its other fields hold (as in fastRow).
    if (this.opts.filter !== undefined && key >= 0 && n > key && !this.opts.filter.keep(buf, this.fieldStart[key]!, this.fieldEnd[key]!)) {
      this.rowsFiltered++;
      return;
    }
    if (n !== this.headerFields) {
      this.reject(buf, start, end, n < 0 ? 'bad quoting' : `expected ${this.headerFields} fields, got ${n}`);
      return;
    }
    const row = this.row;
    const targets = this.fieldTarget;
    for (let f = 0; f < n; f++) {
      const t = targets[f]!;
      if (t < 0) continue;
      const b = this.builders[t]!;
      let s = this.fieldStart[f]!, e = this.fieldEnd[f]!;
      let src = buf;
      if (this.fieldQuoted[f] === 2) { // quoted with "" escapes: unescape into a scratch buffer
        src = this.unescape(buf, s, e);
        s = 0; e = this.unquotedLength;
      }
      if (s === e) {
        if (!b.spec.nullable && b.spec.type !== 'list_int32') {
          this.reject(buf, start, end, 'required field is empty', b.spec.name);
          return;
        }
        b.setEmpty(row);
        continue;
      }
      const err = b.set(row, src, s, e);
      if (err !== undefined) {
        this.reject(buf, start, end, `${err}: ${JSON.stringify(latin1(src, s, Math.min(e, s + 64)))}`, b.spec.name);
        return;
      }
    }
    // Columns absent from the header (optional ones) are null.
    for (let t = 0; t < this.missing.length; t++) this.builders[this.missing[t]!]!.setEmpty(row);
    if (this.derivedBuilders !== undefined && key >= 0) {
      const err = this.derivedBuilders.fill(row, buf, this.fieldStart[key]!, this.fieldEnd[key]!);
      if (err !== undefined) {
        this.reject(buf, start, end, err, this.opts.keyColumn ?? 'ticker');
        return;
      }
    }
    if (this.ruleChecks !== undefined) {
      const v = this.violation(row);
      if (v !== undefined) {
        if (v.outsideDay !== undefined) this.noteOutsideDay(v.outsideDay);
        this.reject(buf, start, end, v.reason, v.field);
        return;
      }
    }
    this.row = row + 1;
    if (this.row === this.opts.batchRows) out.push(this.flush());
  }

  private missing: number[] = [];

  private readHeader(buf: Uint8Array, start: number, end: number): void {
    if (end - start >= 3 && buf[start] === 0xef && buf[start + 1] === 0xbb && buf[start + 2] === 0xbf) start += 3;
    const n = this.tokenize(buf, start, end);
    if (n < 0) throw new ParseError(`${this.opts.file}: unreadable header line`, { file: this.opts.file, line: this.lineNo });
    const names: string[] = [];
    for (let f = 0; f < n; f++) names.push(latin1(buf, this.fieldStart[f]!, this.fieldEnd[f]!).trim().toLowerCase());
    this.header = names;
    this.headerFields = n;
    this.fieldTarget = new Int32Array(n).fill(-1);
    const missingRequired: string[] = [];
    this.missing = [];
    this.opts.columns.forEach((c, t) => {
      const f = names.indexOf(c.name.toLowerCase());
      if (f < 0) {
        if (c.requiredInHeader === false) this.missing.push(t);
        else missingRequired.push(c.name);
        return;
      }
      this.fieldTarget[f] = t;
    });
    const keyName = (this.opts.keyColumn ?? 'ticker').toLowerCase();
    this.keyField = names.indexOf(keyName);
    if (missingRequired.length > 0 || ((this.opts.filter || this.opts.derived) && this.keyField < 0)) {
      const missing = missingRequired.length > 0 ? missingRequired : [keyName];
      throw new ParseError(
        `${this.opts.file}: header has no column${missing.length > 1 ? 's' : ''} ${missing.map((m) => `"${m}"`).join(', ')} (expected ${this.expectedColumns()}; found ${names.join(',')})`,
        { file: this.opts.file, line: this.lineNo, expected: this.expectedColumns(), found: names.join(',') });
    }
    this.ignoredHeaderColumns = names.filter((_, f) => this.fieldTarget[f] === -1 && f !== this.keyField);
    this.fieldBuilders = Array.from(this.fieldTarget, (t) => (t < 0 ? undefined : this.builders[t]));
    this.fieldKind = Uint8Array.from(this.fieldBuilders, (b) => (b === undefined ? KIND_SKIP : KIND_OF[b.spec.type]!));
    this.fieldNullable = Uint8Array.from(this.fieldBuilders, (b) => (b?.spec.nullable ? 1 : 0));
    this.resolveRules();
  }

  private ruleChecks: { kind: 'positive' | 'nonNegative'; builder: Float64Builder; name: string }[] | undefined;
  private withinCheck: { builder: Int64Builder; name: string; lo: number; hi: number; endLo: number; endHi: number; day: string } | undefined;
  private outsideDay = 0;
  private outsideDays = new Map<string, number>();

  /** Rows rejected because their event time is outside the file's day. */
  get rowsOutsideDay(): number { return this.outsideDay; }

  /** The New York date most of the out-of-day rows fall on (with its count), once there are some. */
  get mostCommonOutsideDay(): { day: string; rows: number } | undefined {
    let best: { day: string; rows: number } | undefined;
    for (const [day, rows] of this.outsideDays) if (best === undefined || rows > best.rows) best = { day, rows };
    return best;
  }

  private resolveRules(): void {
    const rules = this.opts.rules;
    if (rules === undefined) return;
    const byName = (name: string): Builder | undefined => {
      const t = this.opts.columns.findIndex((c) => c.name === name);
      return t < 0 || this.missing.includes(t) ? undefined : this.builders[t];
    };
    const checks: { kind: 'positive' | 'nonNegative'; builder: Float64Builder; name: string }[] = [];
    for (const [kind, names] of [['positive', rules.positive ?? []], ['nonNegative', rules.nonNegative ?? []]] as const) {
      for (const name of names) {
        const b = byName(name);
        if (b instanceof Float64Builder) checks.push({ kind, builder: b, name });
      }
    }
    if (rules.within !== undefined) {
      const b = byName(rules.within.column);
      if (b instanceof Int64Builder) {
        const words = (v: bigint): [number, number] => [Number(BigInt.asUintN(32, v)), Number(BigInt.asIntN(32, v >> 32n))];
        const [lo, hi] = words(rules.within.startNs);
        const [endLo, endHi] = words(rules.within.endNs);
        this.withinCheck = { builder: b, name: rules.within.column, lo, hi, endLo, endHi, day: rules.within.day };
      }
    }
    this.ruleChecks = checks.length > 0 || this.withinCheck !== undefined ? checks : undefined;
  }

  /** The first rule the row breaks (a null value breaks none). */
  private violation(row: number): { reason: string; field: string; outsideDay?: bigint } | undefined {
    const checks = this.ruleChecks!;
    for (let k = 0; k < checks.length; k++) {
      const c = checks[k]!;
      if (c.builder.valid[row] === 0) continue;
      const v = c.builder.values[row]!;
      if (c.kind === 'positive' ? !(v > 0) : !(v >= 0)) {
        return { reason: `${c.name} is ${v}, expected ${c.kind === 'positive' ? 'a positive number' : 'a number >= 0'}`, field: c.name };
      }
    }
    const w = this.withinCheck;
    if (w !== undefined && w.builder.valid[row] !== 0) {
      const words = w.builder.words;
      const lo = words[row * 2 + (littleEndian ? 0 : 1)]!, hi = words[row * 2 + (littleEndian ? 1 : 0)]! | 0;
      const before = hi < w.hi || (hi === w.hi && lo < w.lo);
      const atOrAfterEnd = hi > w.endHi || (hi === w.endHi && lo >= w.endLo);
      if (before || atOrAfterEnd) {
        const ns = (BigInt(hi) << 32n) + BigInt(lo);
        return { reason: `${w.name} ${ns} is outside ${w.day} (New York)`, field: w.name, outsideDay: ns };
      }
    }
    return undefined;
  }

  private noteOutsideDay(ns: bigint): void {
    this.outsideDay++;
    const ms = ns / 1_000_000n - (ns < 0n && ns % 1_000_000n !== 0n ? 1n : 0n);
    const day = ms > 8_640_000_000_000_000n || ms < -8_640_000_000_000_000n ? 'an impossible date' : utcMsToNyDate(Number(ms));
    const seen = this.outsideDays.get(day);
    if (seen !== undefined) this.outsideDays.set(day, seen + 1);
    else if (this.outsideDays.size < 64) this.outsideDays.set(day, 1);
  }

  /**
   * Splits a line into fields (positions in fieldStart/fieldEnd, quotes stripped).
   * Returns the number of fields, or -1 for malformed quoting.
   */
  private tokenize(buf: Uint8Array, start: number, end: number): number {
    let n = 0, i = start;
    const fs = this.fieldStart, fe = this.fieldEnd, fq = this.fieldQuoted;
    for (;;) {
      if (n === MAX_FIELDS) return MAX_FIELDS + 1;
      if (i < end && buf[i] === QUOTE) {
        let j = i + 1, escaped = 0;
        for (;;) {
          if (j >= end) return -1;
          if (buf[j] === QUOTE) {
            if (j + 1 < end && buf[j + 1] === QUOTE) { escaped = 1; j += 2; continue; }
            break;
          }
          j++;
        }
        fs[n] = i + 1; fe[n] = j; fq[n] = escaped ? 2 : 1;
        n++;
        i = j + 1;
        if (i === end) return n;
        if (buf[i] !== COMMA) return -1;
        i++;
        if (i === end) { fs[n] = i; fe[n] = i; fq[n] = 0; return n + 1; }
        continue;
      }
      let j = buf.indexOf(COMMA, i);
      if (j < 0 || j > end) j = end;
      fs[n] = i; fe[n] = j; fq[n] = 0;
      n++;
      if (j === end) return n;
      i = j + 1;
      if (i === end) { fs[n] = i; fe[n] = i; fq[n] = 0; return n + 1; }
    }
  }

  private unquotedLength = 0;
  private unescape(buf: Uint8Array, s: number, e: number): Uint8Array {
    if (this.unquoteBuf.length < e - s) this.unquoteBuf = new Uint8Array(e - s);
    let n = 0;
    for (let i = s; i < e; i++) {
      this.unquoteBuf[n++] = buf[i]!;
      if (buf[i] === QUOTE) i++;
    }
    this.unquotedLength = n;
    return this.unquoteBuf;
  }

  private reject(buf: Uint8Array, start: number, end: number, reason: string, field?: string): void {
    this.rowsRejected++;
    const raw = latin1(buf, start, Math.min(end, start + 2000));
    this.rejects.push(field === undefined ? { line: this.lineNo, reason, raw } : { line: this.lineNo, reason, field, raw });
    // Builders may hold part of this row: rewind them so the next row reuses the slot.
    const row = this.row;
    for (const b of this.builders) b.rollback(row);
  }

  private flush(): ColumnBatch {
    const rows = this.row;
    const columns = this.builders.map((b) => b.finish(rows));
    if (this.derivedBuilders !== undefined) columns.push(...this.derivedBuilders.finish(rows));
    this.row = 0;
    this.rowsEmitted += rows;
    return { rows, columns };
  }
}
