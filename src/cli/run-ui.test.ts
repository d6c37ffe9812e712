import { test } from 'node:test';
import assert from 'node:assert/strict';
import { progressMode } from './run-ui.js';

const tty = { noTui: false, json: false, stdoutTty: true, stdinTty: true };

test('progress mode: the dashboard on a terminal, plain lines without one or with --no-tui / --json', () => {
  assert.deepEqual(progressMode(tty, {}), { kind: 'dashboard' });
  assert.deepEqual(progressMode({ ...tty, stdoutTty: false }, {}), { kind: 'plain' });
  assert.deepEqual(progressMode({ ...tty, stdinTty: false }, {}), { kind: 'plain' });
  assert.deepEqual(progressMode({ ...tty, noTui: true }, {}), { kind: 'plain' });
  assert.deepEqual(progressMode({ ...tty, json: true }, {}), { kind: 'plain' });
});

test('progress mode: under CI a terminal gets plain lines and a note naming the variable; CI=0/false keeps the dashboard', () => {
  const ci = progressMode(tty, { CI: 'true' });
  assert.equal(ci.kind, 'plain');
  assert.match(ci.kind === 'plain' ? ci.note ?? '' : '', /^CI is set: .* set CI=0 for the dashboard$/);
  const other = progressMode(tty, { CONTINUOUS_INTEGRATION: '1' });
  assert.match(other.kind === 'plain' ? other.note ?? '' : '', /^CONTINUOUS_INTEGRATION is set/);
  assert.deepEqual(progressMode(tty, { CI: '0' }), { kind: 'dashboard' });
  assert.deepEqual(progressMode(tty, { CI: 'false' }), { kind: 'dashboard' });
  assert.deepEqual(progressMode({ ...tty, noTui: true }, { CI: 'true' }), { kind: 'plain' }, 'no note when the dashboard was not wanted');
});
