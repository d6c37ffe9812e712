/**
 * Every statistic against the committed references:
 * test/fixtures/stats/stats_fixtures.json (numpy/scipy, make_fixtures.py) and
 * test/fixtures/stats/dip_fixtures.json (R diptest, make_dip_fixtures.R).
 * Tolerances per FEATURES.md: 1e-9 relative (dimensionless moment statistics
 * near 0 also get a 1e-12 absolute floor), dip p-value 1e-6 absolute, mode
 * within one grid step, kde_peaks exact.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { computeStats, dipStatistic, STAT_NAMES_WITH_QUANTILES, type StatName } from './index.js';

interface Recipe {
  seed: number;
  n: number;
  components: { cumulative_weight: number; mu: number; sigma: number }[];
  tick?: number;
}
interface StatsCase {
  name: string;
  values?: number[];
  recipe?: Recipe;
  checksum?: number;
  expected: Record<string, number | null>;
}
interface DipCase { n: number; dip: number; p_value: number }

const fixtureDir = new URL('../../../../test/fixtures/stats/', import.meta.url);
const statsFixture = JSON.parse(readFileSync(new URL('stats_fixtures.json', fixtureDir), 'utf8')) as { cases: StatsCase[] };
const dipFixture = JSON.parse(readFileSync(new URL('dip_fixtures.json', fixtureDir), 'utf8')) as { cases: Record<string, DipCase> };

/** Mirror of recipe_values() in make_fixtures.py: exact IEEE operations only, so the values are bit-identical. */
function recipeValues(recipe: Recipe): Float64Array {
  const modulus = 2147483647;
  let state = recipe.seed;
  const uniform = (): number => {
    state = (48271 * state) % modulus;
    return state / modulus;
  };
  const out = new Float64Array(recipe.n);
  for (let i = 0; i < recipe.n; i++) {
    const u = uniform();
    let component = recipe.components[recipe.components.length - 1]!;
    for (const c of recipe.components) {
      if (u < c.cumulative_weight) {
        component = c;
        break;
      }
    }
    let z = 0;
    for (let k = 0; k < 12; k++) z = z + uniform();
    z = z - 6;
    let v = component.mu + component.sigma * z;
    if (recipe.tick !== undefined) v = Math.floor(v / recipe.tick) * recipe.tick;
    out[i] = v;
  }
  return out;
}

function caseValues(c: StatsCase): Float64Array {
  return c.values !== undefined ? Float64Array.from(c.values) : recipeValues(c.recipe!);
}

const DIMENSIONLESS = new Set<string>(['skew', 'kurtosis', 'bc', 'cv']);

function assertClose(name: string, caseName: string, actual: number, expected: number | null, expectedGridStep: number | null): void {
  const where = `${caseName}.${name}`;
  if (expected === null) {
    assert.ok(Number.isNaN(actual), `${where}: expected null (NaN), got ${actual}`);
    return;
  }
  assert.ok(!Number.isNaN(actual), `${where}: expected ${expected}, got NaN`);
  if (name === 'mode') {
    const step = expectedGridStep ?? 0;
    assert.ok(Math.abs(actual - expected) <= step * (1 + 1e-9), `${where}: ${actual} vs ${expected} (grid step ${step})`);
    return;
  }
  if (name === 'kde_peaks') {
    assert.equal(actual, expected, where);
    return;
  }
  const floor = DIMENSIONLESS.has(name) ? 1e-12 : 0;
  const tolerance = 1e-9 * Math.max(Math.abs(actual), Math.abs(expected)) + floor;
  assert.ok(Math.abs(actual - expected) <= tolerance, `${where}: ${actual} vs ${expected} (diff ${actual - expected})`);
}

test('fixture recipes rebuild the generator values (checksum against numpy)', () => {
  for (const c of statsFixture.cases) {
    if (c.recipe === undefined) continue;
    const values = recipeValues(c.recipe);
    const sum = values.reduce((s, v) => s + v, 0);
    // numpy's pairwise sum differs from a sequential one by rounding only.
    assert.ok(Math.abs(sum - c.checksum!) <= 1e-9 * Math.abs(c.checksum!), `${c.name}: ${sum} vs ${c.checksum}`);
  }
});

test('every statistic matches numpy/scipy and R diptest on every fixture case', () => {
  const names: readonly StatName[] = STAT_NAMES_WITH_QUANTILES;
  const out = new Float64Array(names.length);
  let checked = 0;
  for (const c of statsFixture.cases) {
    const values = caseValues(c);
    computeStats(values, values.length, names, out, 0);
    const dip = dipFixture.cases[c.name];
    names.forEach((name, k) => {
      if (name === 'dip_pval') {
        if (values.length < 4) {
          assert.ok(Number.isNaN(out[k]!), `${c.name}.dip_pval: null for n < 4`);
        } else {
          assert.ok(dip !== undefined, `${c.name}: no R reference`);
          assert.ok(Math.abs(out[k]! - dip.p_value) <= 1e-6, `${c.name}.dip_pval: ${out[k]} vs R ${dip.p_value}`);
        }
      } else {
        assertClose(name, c.name, out[k]!, c.expected[name] ?? null, (c.expected.kde_grid_step as number | null) ?? null);
      }
      checked++;
    });
  }
  assert.ok(checked >= 17 * 40, `checked ${checked} values`);
});

test('dip statistic matches R diptest::dip on every fixture case', () => {
  for (const c of statsFixture.cases) {
    const expected = dipFixture.cases[c.name];
    if (expected === undefined) continue;
    const values = caseValues(c).sort();
    const dip = dipStatistic(values, values.length);
    assert.ok(Math.abs(dip - expected.dip) <= 1e-12 * expected.dip, `${c.name}: dip ${dip} vs R ${expected.dip}`);
  }
});
