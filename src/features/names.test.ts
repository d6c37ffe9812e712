import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { AGGRESSION_FEATURE_NAMES, FEATURE_NAMES, featureNames } from './names.js';
import { AGGRESSION_SEGMENTS, FEATURE_SEGMENTS, segmentColumns } from './value-sets.js';
import { AGGRESSION_DIAG_NAMES, DIAG_NAMES, featureRowColumnNames } from './row.js';

/** The repository root: the nearest directory above this file holding package.json. */
function repoRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  while (!existsSync(join(dir, 'package.json'))) {
    const parent = dirname(dir);
    if (parent === dir) throw new Error('package.json not found above the test');
    dir = parent;
  }
  return dir;
}

test('names match ../shared/feature_names.json exactly (skipped when the spec is not beside the repo)', (t) => {
  const specPath = join(repoRoot(), '..', 'shared', 'feature_names.json');
  if (!existsSync(specPath)) {
    t.skip(`${specPath} not present`);
    return;
  }
  const spec = JSON.parse(readFileSync(specPath, 'utf8')) as { feature_names: string[]; aggression_feature_names: string[] };
  assert.deepEqual([...FEATURE_NAMES], spec.feature_names);
  assert.deepEqual([...AGGRESSION_FEATURE_NAMES], spec.aggression_feature_names);
});

test('there are 81 features and 68 aggression features, all distinct', () => {
  assert.equal(FEATURE_NAMES.length, 81);
  assert.equal(AGGRESSION_FEATURE_NAMES.length, 68);
  assert.equal(new Set([...FEATURE_NAMES, ...AGGRESSION_FEATURE_NAMES]).size, 149);
  assert.equal(featureNames(true).length, 149);
});

test('the table-driven segments spell the canonical names in order', () => {
  assert.deepEqual(FEATURE_SEGMENTS.flatMap(segmentColumns), [...FEATURE_NAMES]);
  assert.deepEqual(AGGRESSION_SEGMENTS.flatMap(segmentColumns), [...AGGRESSION_FEATURE_NAMES]);
});

test('row layout: symbol, window, window_start, window_end, features, then diag_* columns', () => {
  const columns = featureRowColumnNames(false);
  assert.deepEqual(columns.slice(0, 4), ['symbol', 'window', 'window_start', 'window_end']);
  assert.deepEqual(columns.slice(4, 85), [...FEATURE_NAMES]);
  assert.deepEqual(columns.slice(85), [...DIAG_NAMES]);
  for (const name of DIAG_NAMES) assert.match(name, /^diag_[a-z_]+$/);
  assert.equal(featureRowColumnNames(true).length, 4 + 149 + DIAG_NAMES.length + AGGRESSION_DIAG_NAMES.length);
  assert.deepEqual(featureRowColumnNames(true).slice(-3), [...AGGRESSION_DIAG_NAMES]);
});
