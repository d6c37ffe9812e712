/**
 * What the dashboard's charts must have drawn, computed from the API's JSON the way a notebook
 * would (non-null values per series), and a wait until the page's `data-points` agree.
 */
import assert from 'node:assert/strict';
import type { Page } from 'playwright-core';

export interface FeatureTableJson { columns: string[]; rows: (number | string | null)[][] }

/** Non-null values of `names` over the rows. */
export function nonNull(table: FeatureTableJson, names: readonly string[]): number {
  let n = 0;
  for (const name of names) {
    const i = table.columns.indexOf(name);
    if (i >= 0) for (const r of table.rows) if (r[i] !== null) n++;
  }
  return n;
}

/** Per flow chart, the points or bars it must draw for a day's rows. */
export function flowChartCounts(table: FeatureTableJson, pricePoints?: number): Record<string, number> {
  const counts: Record<string, number> = {
    price: pricePoints ?? nonNull(table, ['underlying_price_close']),
    dadvv: nonNull(table, ['calls_dadvv_total', 'puts_dadvv_total']),
    gadvv: nonNull(table, ['calls_gadvv_total', 'puts_gadvv_total']),
    dip: nonNull(table, ['calls_dadvv_dip_pval', 'puts_dadvv_dip_pval', 'calls_gadvv_dip_pval', 'puts_gadvv_dip_pval']),
  };
  if (table.columns.includes('calls_dadvv_agg_buy_total')) {
    counts.aggression = nonNull(table, ['calls_dadvv_agg_buy_total', 'calls_dadvv_agg_sell_total', 'puts_dadvv_agg_buy_total', 'puts_dadvv_agg_sell_total']);
  }
  return counts;
}

/** The `data-points` of each chart under `root` (by `data-chart`). */
export async function drawnCounts(page: Page, root: string): Promise<Record<string, number>> {
  return chartAttribute(page, root, 'points');
}

/** A numeric data attribute of every chart under `root`, by chart name (browser code as a string: the tests compile without the DOM library). */
async function chartAttribute(page: Page, root: string, attribute: string): Promise<Record<string, number>> {
  return page.evaluate(`Object.fromEntries([...document.querySelectorAll(${JSON.stringify(`${root} .chart`)})].map((e) => [e.dataset.chart, Number(e.dataset[${JSON.stringify(attribute)}])]))`);
}

/** The values of the options of a select. */
export async function optionValues(page: Page, select: string): Promise<string[]> {
  return page.evaluate(`[...document.querySelectorAll(${JSON.stringify(`${select} option`)})].map((o) => o.value)`);
}

/** Waits until the JavaScript expression `expression` is truthy in the page. */
export async function waitFor(page: Page, expression: string, timeoutMs = 30_000): Promise<void> {
  await page.waitForFunction(expression, undefined, { timeout: timeoutMs });
}

/** `document.querySelector(selector).dataset[key]` as a JavaScript expression. */
export const dataOf = (selector: string, key: string): string => `document.querySelector(${JSON.stringify(selector)})?.dataset[${JSON.stringify(key)}]`;

/** Waits (≤ timeoutMs) until the charts under `root` drew `expected` (a subset of charts), then asserts it. */
export async function expectDrawn(page: Page, root: string, expected: Record<string, number>, timeoutMs = 10_000): Promise<void> {
  const checks = Object.entries(expected).map(([name, n]) => `${dataOf(`${root} .chart[data-chart="${name}"]`, 'points')} === ${JSON.stringify(String(n))}`);
  await waitFor(page, checks.join(' && '), timeoutMs).catch(() => undefined);
  const actual = await drawnCounts(page, root);
  assert.deepEqual(Object.fromEntries(Object.keys(expected).map((k) => [k, actual[k]])), expected, `charts under ${root} drew other counts than the API returned`);
}

/** The data-draws of each chart under `root`. */
export async function drawCountsSoFar(page: Page, root: string): Promise<Record<string, number>> {
  return chartAttribute(page, root, 'draws');
}
