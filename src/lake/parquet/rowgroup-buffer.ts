/**
 * Accumulates rows from batches of any size until a row group is full.
 * Fixed-width columns are preallocated at the row-group capacity; string
 * bytes and list values grow by doubling. Buffers are kept across row groups
 * (`clear()` only resets the row count), so steady-state appends allocate
 * nothing. Pure: no I/O.
 */
import type { Column, ColumnBatch, ColumnSpec, ColumnType } from '../../formats/columns.js';

export class RowGroupBuffer {
  private readonly builders: ColumnBuilder[];
  /** Rows currently buffered. */
  rows = 0;

  constructor(specs: readonly ColumnSpec[], readonly capacityRows: number) {
    this.builders = specs.map((spec) => new ColumnBuilder(spec.type, capacityRows));
  }

  /** Copies rows [start, end) of `batch`; the caller keeps them within `capacityRows`. */
  append(batch: ColumnBatch, start: number, end: number): void {
    if (this.rows + (end - start) > this.capacityRows) {
      throw new RangeError(`row group buffer overflow: ${this.rows} + ${end - start} > ${this.capacityRows}`);
    }
    for (let c = 0; c < this.builders.length; c++) this.builders[c].append(batch.columns[c], start, end, this.rows);
    this.rows += end - start;
  }

  /** The buffered rows as a batch of views (valid until the next append or clear). */
  view(): ColumnBatch {
    return { rows: this.rows, columns: this.builders.map((builder) => builder.view(this.rows)) };
  }

  clear(): void {
    this.rows = 0;
    for (const builder of this.builders) builder.clear();
  }
}

class ColumnBuilder {
  private values: Int32Array | BigInt64Array | Float64Array | Uint8Array;
  /** utf8 and list columns: capacity + 1 offsets. */
  private readonly offsets: Int32Array;
  /** utf8 bytes or list elements, grown on demand. */
  private children: Uint8Array | Int32Array;
  private childCount = 0;
  /** Allocated on the first batch that carries validity, then reused. */
  private validStorage: Uint8Array | undefined;
  /** Whether the buffered rows have validity bytes (otherwise all are present). */
  private validActive = false;

  constructor(private readonly type: ColumnType, private readonly capacityRows: number) {
    const variable = type === 'utf8' || type === 'list_int32';
    this.offsets = new Int32Array(variable ? capacityRows + 1 : 0);
    this.children = type === 'utf8' ? new Uint8Array(1 << 16) : new Int32Array(type === 'list_int32' ? 1 << 14 : 0);
    switch (type) {
      case 'int32': case 'date32': this.values = new Int32Array(capacityRows); break;
      case 'int64': this.values = new BigInt64Array(capacityRows); break;
      case 'float64': this.values = new Float64Array(capacityRows); break;
      case 'bool': this.values = new Uint8Array(capacityRows); break;
      default: this.values = new Uint8Array(0);
    }
  }

  append(column: Column, start: number, end: number, at: number): void {
    const rows = end - start;
    if (column.valid !== undefined) {
      if (!this.validActive) {
        this.validStorage ??= new Uint8Array(this.capacityRows);
        this.validStorage.fill(1, 0, at);
        this.validActive = true;
      }
      this.validStorage!.set(column.valid.subarray(start, end), at);
    } else if (this.validActive) {
      this.validStorage!.fill(1, at, at + rows);
    }
    switch (column.type) {
      case 'utf8': this.appendVariable(column.offsets, column.bytes, start, end, at); break;
      case 'list_int32': this.appendVariable(column.offsets, column.values, start, end, at); break;
      case 'int32': case 'date32': (this.values as Int32Array).set(column.values.subarray(start, end), at); break;
      case 'int64': (this.values as BigInt64Array).set(column.values.subarray(start, end), at); break;
      case 'float64': (this.values as Float64Array).set(column.values.subarray(start, end), at); break;
      case 'bool': (this.values as Uint8Array).set(column.values.subarray(start, end), at); break;
    }
  }

  /** Copies offsets (rebased onto this buffer's children) and the children they cover. */
  private appendVariable(offsets: Int32Array, children: Uint8Array | Int32Array, start: number, end: number, at: number): void {
    const from = offsets[start];
    const count = offsets[end] - from;
    this.ensureChildren(this.childCount + count);
    (this.children as Uint8Array).set((children as Uint8Array).subarray(from, from + count), this.childCount);
    const shift = this.childCount - from;
    const own = this.offsets;
    own[at] = this.childCount;
    for (let row = start + 1; row <= end; row++) own[at + row - start] = offsets[row] + shift;
    this.childCount += count;
  }

  private ensureChildren(needed: number): void {
    if (needed <= this.children.length) return;
    let capacity = Math.max(1, this.children.length * 2);
    while (capacity < needed) capacity *= 2;
    const grown = this.type === 'utf8' ? new Uint8Array(capacity) : new Int32Array(capacity);
    (grown as Uint8Array).set((this.children as Uint8Array).subarray(0, this.childCount));
    this.children = grown;
  }

  view(rows: number): Column {
    const validPart = this.validActive ? { valid: this.validStorage!.subarray(0, rows) } : {};
    switch (this.type) {
      case 'utf8':
        return { type: 'utf8', offsets: this.offsets.subarray(0, rows + 1), bytes: (this.children as Uint8Array).subarray(0, this.childCount), ...validPart };
      case 'list_int32':
        return { type: 'list_int32', offsets: this.offsets.subarray(0, rows + 1), values: (this.children as Int32Array).subarray(0, this.childCount), ...validPart };
      case 'int32': case 'date32':
        return { type: this.type, values: (this.values as Int32Array).subarray(0, rows), ...validPart };
      case 'int64': return { type: 'int64', values: (this.values as BigInt64Array).subarray(0, rows), ...validPart };
      case 'float64': return { type: 'float64', values: (this.values as Float64Array).subarray(0, rows), ...validPart };
      case 'bool': return { type: 'bool', values: (this.values as Uint8Array).subarray(0, rows), ...validPart };
    }
  }

  clear(): void {
    this.childCount = 0;
    this.validActive = false;
  }
}
