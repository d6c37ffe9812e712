import assert from 'node:assert/strict';
import { test } from 'node:test';
import { DATASETS } from '../../formats/datasets.js';
import { CsvBatchParser } from '../../formats/csv/parser.js';
import { utf8At, type Int64Column, type ListInt32Column, type Float64Column, type Utf8Column, type Int32Column } from '../../formats/columns.js';
import { csvLineOfRow, dedupKey, numberText, spoolHeader } from './records.js';

test('a REST stock trade becomes the flat-file row the parser reads back exactly', () => {
  const ds = DATASETS['stocks-trades'];
  const row = { conditions: [12, 37], exchange: 4, id: '52983525034', participant_timestamp: '1762525800123456001', price: 680.125, sequence_number: 1063,
    sip_timestamp: '1762525800123456789', size: 0.512, tape: 3, trf_id: 202, trf_timestamp: '1762525800123000000' };
  const key = dedupKey(ds, row);
  assert.equal(key, '1063|52983525034');
  const line = csvLineOfRow(ds, 'SPY', row, key);
  assert.equal(line, '1063|52983525034,SPY,"12,37",,4,52983525034,1762525800123456001,680.125,1063,1762525800123456789,0.512,3,202,1762525800123000000');
  const parser = new CsvBatchParser({ columns: ds.columns, batchRows: 10, file: 't' });
  const batches = [...parser.push(Buffer.from(spoolHeader(ds) + '\n' + line + '\n')), ...parser.end()];
  assert.equal(parser.rowsRejected, 0);
  const b = batches[0]!;
  const c = (name: string) => b.columns[ds.columns.findIndex((x) => x.name === name)]!;
  assert.equal(utf8At(c('ticker') as Utf8Column, 0), 'SPY');
  assert.equal((c('sip_timestamp') as Int64Column).values[0], 1762525800123456789n);
  assert.equal((c('price') as Float64Column).values[0], 680.125);
  assert.deepEqual([...(c('conditions') as ListInt32Column).values.subarray(0, 2)], [12, 37]);
  assert.equal((c('correction') as Int32Column).valid?.[0], 0);
});

test('an option trade without a sequence number has no dedup key; a single condition is bare', () => {
  const ds = DATASETS['options-trades'];
  const row = { conditions: [209], exchange: 312, price: 1.05, sip_timestamp: 1762525800123, size: 3 };
  assert.equal(dedupKey(ds, row), '');
  assert.equal(csvLineOfRow(ds, 'O:SPY251107C00680000', row, ''), ',O:SPY251107C00680000,209,,312,,1.05,1762525800123,3');
});

test('bad values stay visible to the parser, which rejects the row naming the field', () => {
  const ds = DATASETS['options-quotes'];
  const line = csvLineOfRow(ds, 'O:SPY251107C00680000', { ask_price: 'n/a, "x"', sip_timestamp: '1762525800123456789', sequence_number: 5 }, '5');
  const parser = new CsvBatchParser({ columns: ds.columns, batchRows: 10, file: 'rest spool' });
  [...parser.push(Buffer.from(spoolHeader(ds) + '\n' + line + '\n')), ...parser.end()];
  const rejects = parser.takeRejects();
  assert.equal(rejects.length, 1);
  assert.equal(rejects[0]!.field, 'ask_price');
});

test('numbers are written without exponents', () => {
  assert.equal(numberText(1e-7), '0.0000001');
  assert.equal(numberText(-2.5e-8), '-0.000000025');
  assert.equal(numberText(1e21), '1000000000000000000000');
  assert.equal(numberText(680.25), '680.25');
  assert.equal(Number(numberText(1.2345e-9)), 1.2345e-9);
});
