import { test } from 'node:test';
import assert from 'node:assert/strict';
import { CsvBatchParser } from './parser.js';
import { DATASETS } from '../datasets.js';
import type { ColumnBatch, Float64Column, Utf8Column } from '../columns.js';
import { utf8At } from '../columns.js';

const stocks = DATASETS['stocks-trades'];
const HEADER = 'ticker,conditions,correction,exchange,id,participant_timestamp,price,sequence_number,sip_timestamp,size,tape,trf_id,trf_timestamp';

function text(rows: number): string {
  const lines = [HEADER];
  for (let i = 0; i < rows; i++) {
    const ticker = `T${i % 7}`;
    const conditions = i % 3 === 0 ? '' : i % 3 === 1 ? '12' : '"12,37"';
    const participant = i % 5 === 0 ? '' : String(1762506000105721426n + BigInt(i));
    lines.push(`${ticker},${conditions},,${i % 20},id${i},${participant},${(100 + i / 100).toFixed(2)},${i},${1762506000105721426n + BigInt(i)},${i % 9 + 1},${i % 3 + 1},,0`);
  }
  return lines.join('\n') + '\n';
}

/** Every value of every row, as strings (after the batches' arrays may have been reused). */
function snapshot(batch: ColumnBatch): string[] {
  const out: string[] = [];
  for (let r = 0; r < batch.rows; r++) {
    out.push(batch.columns.map((c) => {
      if (c.valid !== undefined && c.valid[r] !== 1) return 'null';
      switch (c.type) {
        case 'utf8': return utf8At(c, r);
        case 'list_int32': return `[${Array.from(c.values.subarray(c.offsets[r], c.offsets[r + 1])).join(',')}]`;
        default: return String(c.values[r]);
      }
    }).join('|'));
  }
  return out;
}

function parse(shared: boolean, recycle: boolean): { rows: string[]; reused: number } {
  const p = new CsvBatchParser({ columns: stocks.columns, batchRows: 16, file: 't.csv', sharedMemory: shared });
  const bytes = new TextEncoder().encode(text(203));
  const rows: string[] = [];
  const seen = new Set<ArrayBufferLike>();
  let reused = 0;
  const take = (batches: ColumnBatch[]): void => {
    for (const b of batches) {
      const price = (b.columns[6] as Float64Column).values.buffer;
      if (seen.has(price)) reused++;
      seen.add(price);
      assert.equal(price instanceof SharedArrayBuffer, shared);
      rows.push(...snapshot(b));
      if (recycle) p.recycle(b);
    }
  };
  for (let i = 0; i < bytes.length; i += 100) take(p.push(bytes.subarray(i, i + 100)));
  take(p.end());
  return { rows, reused };
}

test('recycled batches: later batches are built in the arrays given back, with the same values', () => {
  const reference = parse(false, false);
  assert.equal(reference.rows.length, 203);
  assert.equal(reference.reused, 0);
  for (const shared of [false, true]) {
    const recycled = parse(shared, true);
    assert.deepEqual(recycled.rows, reference.rows);
    assert.ok(recycled.reused >= 10, `arrays reused (${recycled.reused} batches)`);
  }
});

test('a batch keeps its values until it is recycled, and detached arrays are not reused', () => {
  const p = new CsvBatchParser({ columns: stocks.columns, batchRows: 4, file: 't.csv' });
  const batches = p.push(new TextEncoder().encode(text(12)));
  assert.equal(batches.length, 3);
  const first = snapshot(batches[0]!);
  assert.equal(snapshot(batches[0]!).join(), first.join(), 'later batches did not overwrite the first');
  const id = batches[1]!.columns[4] as Utf8Column;
  structuredClone(id.bytes, { transfer: [id.bytes.buffer as ArrayBuffer] }); // detaches it, as a transfer to a worker does
  p.recycle(batches[1]!);
  const more = p.push(new TextEncoder().encode(text(8).split('\n').slice(1).join('\n') + '\n'));
  assert.equal(more.length, 2);
  assert.ok((more[0]!.columns[4] as Utf8Column).bytes.buffer.byteLength > 0);
  assert.deepEqual(snapshot(more[0]!).map((r) => r.split('|')[4]), ['id0', 'id1', 'id2', 'id3']);
});
