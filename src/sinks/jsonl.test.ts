import { test } from 'node:test';
import assert from 'node:assert/strict';
import { regularDayRows } from '../../test/support/feature-rows.js';
import { jsonLine } from '../features/output.js';
import { JsonlSink, type LineStream } from './jsonl.js';

const dayRows = () => regularDayRows('2025-11-07');

test('jsonl sink: the lines of `features --out x.jsonl`; rows are dropped (counted, logged) while the reader lags', () => {
  const written: string[] = [];
  const stream: LineStream & { writableLength: number } = { writableLength: 0, write: (s: string) => { written.push(s); return true; } };
  const logs: string[] = [];
  const sink = new JsonlSink(stream, { aggression: false, maxBufferedBytes: 1000, onLog: (_l, m) => logs.push(m) });
  const rows = dayRows().slice(0, 5);
  sink.add(rows[0]!);
  stream.writableLength = 5000;
  sink.add(rows[1]!);
  sink.add(rows[2]!);
  stream.writableLength = 0;
  sink.add(rows[3]!);
  assert.deepEqual(written, [jsonLine(rows[0]!, false) + '\n', jsonLine(rows[3]!, false) + '\n']);
  assert.equal(sink.written, 2);
  assert.equal(sink.dropped, 2);
  assert.equal(logs.length, 1);
});
