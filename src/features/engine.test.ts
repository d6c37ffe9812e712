import { test } from 'node:test';
import assert from 'node:assert/strict';
import { featureTolerance, readFeatureFixture, type ReferenceInput, type ReferenceOutput } from '../../test/support/feature-reference.js';
import { NyseCalendar, nyWallClockToUtcNs, type SessionKind } from '../calendar/index.js';
import { DEFAULT_EXCLUDE_CONDITIONS_HIGH_LOW, DEFAULT_EXCLUDE_CONDITIONS_OPEN_CLOSE, DEFAULT_EXCLUDE_CONDITIONS_VOLUME, defaultConfig } from '../config/schema.js';
import { GreeksFlag, type EnrichedOptionTrade, type UnderlyingTrade } from '../formats/records.js';
import { FeatureEngine, featureEngineOptions, UnderlyingConditionRules } from './engine.js';
import { AGGRESSION_FEATURE_NAMES, FEATURE_NAMES } from './names.js';
import { DIAG, type FeatureRow } from './row.js';
import { windowSpecs } from './windows.js';

const calendar = new NyseCalendar();
const SECOND = 1_000_000_000n;
const DAY = '2025-11-07';

function engine(windows: string[] = ['1m'], session: SessionKind = 'regular', includeCorrections = false): FeatureEngine {
  return new FeatureEngine({
    symbol: 'SPY', windows: windowSpecs(windows), session, calendar, contractSize: 100,
    underlyingRules: {
      excludeConditionsHighLow: DEFAULT_EXCLUDE_CONDITIONS_HIGH_LOW,
      excludeConditionsOpenClose: DEFAULT_EXCLUDE_CONDITIONS_OPEN_CLOSE,
      excludeConditionsVolume: DEFAULT_EXCLUDE_CONDITIONS_VOLUME,
      includeCorrections,
    },
  });
}

/** New York wall clock time of DAY (or `date`) in ns, with optional extra seconds. */
function at(hour: number, minute: number, seconds = 0, date = DAY): bigint {
  return nyWallClockToUtcNs(date, hour, minute) + BigInt(Math.round(seconds * 1e9));
}

let sequence = 0;
function stock(timeNs: bigint, price: number, size = 100, conditions: number[] = [], correction = 0, seq = ++sequence): UnderlyingTrade {
  return { sipTimestampNs: timeNs, sequence: seq, price, size, conditions, correction };
}

function option(timeNs: bigint, o: Partial<EnrichedOptionTrade> & { right: 'C' | 'P' }): EnrichedOptionTrade {
  const S = o.underlyingPrice ?? 680;
  const strike = o.strike ?? 680;
  return {
    sipTimestampNs: timeNs, sequence: ++sequence, ticker: 'O:SPY251107C00680000', root: 'SPY', strike, expiryDays: 20399,
    adjusted: false, price: 2.5, size: 1, conditions: [], correction: 0, exchange: 1,
    eligible: true, underlyingPrice: S, underlyingTimestampNs: timeNs, tYears: 0.001, iv: 0.2, delta: 0.5, gamma: 0.05,
    intrinsic: Number.isNaN(S) ? NaN : o.right === 'C' ? Math.max(S - strike, 0) : Math.max(strike - S, 0),
    dadvv: 34_000, gadvv: 2_312_000, greeksFlag: GreeksFlag.Ok,
    ...o,
  };
}

function feature(row: FeatureRow, name: (typeof FEATURE_NAMES)[number]): number {
  return row.features[FEATURE_NAMES.indexOf(name)]!;
}
function diag(row: FeatureRow, name: keyof typeof DIAG): number {
  return row.diagnostics[DIAG[name]]!;
}
function rowAt(rows: readonly FeatureRow[], startNs: bigint, window = '1m'): FeatureRow {
  const row = rows.find((r) => r.windowStartNs === startNs && r.window === window);
  assert.ok(row, `a ${window} row starting at ${startNs}`);
  return row;
}

test('a day with one trade emits its full grid; empty windows have total 0 and null statistics', () => {
  const e = engine(['1m', '5m', '45m']);
  e.onUnderlyingTrade(stock(at(10, 0, 1), 680, 10));
  const rows = e.finish();
  assert.equal(rows.filter((r) => r.window === '1m').length, 390);
  assert.equal(rows.filter((r) => r.window === '5m').length, 78);
  assert.equal(rows.filter((r) => r.window === '45m').length, 9);
  assert.ok(rows.every((r) => r.features.length === 81 && r.date === DAY && r.symbol === 'SPY'));
  const empty = rowAt(rows, at(9, 30));
  assert.equal(feature(empty, 'underlying_dollar_value_total'), 0);
  assert.equal(feature(empty, 'calls_dollar_value'), 0);
  assert.equal(feature(empty, 'puts_dadvv_total'), 0);
  assert.ok(Number.isNaN(feature(empty, 'underlying_price_open')));
  assert.ok(Number.isNaN(feature(empty, 'underlying_dollar_value_mean')));
  assert.ok(Number.isNaN(feature(empty, 'puts_below_intrinsic_pct')));
  assert.ok(Number.isNaN(feature(empty, 'calls_gadvv_q2')));
  const full = rowAt(rows, at(10, 0));
  assert.equal(feature(full, 'underlying_dollar_value_total'), 6800);
  assert.equal(feature(full, 'underlying_price_open'), 680);
  assert.equal(diag(full, 'diag_underlying_trades'), 1);
  // Rows come ordered by window end, then by window size.
  for (let i = 1; i < rows.length; i++) assert.ok(rows[i - 1]!.windowEndNs <= rows[i]!.windowEndNs);
});

test('a day without any row emits nothing; only days with rows emit their grid', () => {
  const e = engine(['30m']);
  assert.deepEqual(e.finish(), []);
  e.onUnderlyingTrade(stock(at(11, 0, 0, '2025-11-06'), 1));
  e.onUnderlyingTrade(stock(at(11, 0, 0, '2025-11-10'), 1));
  const rows = e.finish();
  assert.deepEqual([...new Set(rows.map((r) => r.date))], ['2025-11-06', '2025-11-10']);
  assert.equal(rows.length, 26);
});

test('a trade at exactly the window end belongs to the next window', () => {
  const e = engine(['1m']);
  e.onUnderlyingTrade(stock(at(10, 0, 59.999999999), 100, 1));
  e.onUnderlyingTrade(stock(at(10, 1), 200, 1));
  const rows = e.finish();
  assert.equal(feature(rowAt(rows, at(10, 0)), 'underlying_dollar_value_total'), 100);
  assert.equal(feature(rowAt(rows, at(10, 1)), 'underlying_dollar_value_total'), 200);
});

test('session filter: regular [09:30, 16:00) only; extended keeps pre-market trades; the grid follows the session', () => {
  const trades = [stock(at(9, 29, 59.9), 1, 1), stock(at(9, 30), 2, 1), stock(at(15, 59, 59.9), 3, 1), stock(at(16, 0), 4, 1), stock(at(8, 0), 5, 1)];
  const regular = engine(['1h']);
  for (const t of trades.slice().sort((a, b) => (a.sipTimestampNs < b.sipTimestampNs ? -1 : 1))) regular.onUnderlyingTrade(t);
  const rows = regular.finish();
  assert.equal(rows.length, 7); // [09:00, 10:00) ... [15:00, 16:00)
  assert.equal(feature(rowAt(rows, at(9, 0), '1h'), 'underlying_dollar_value_total'), 2);
  assert.equal(feature(rowAt(rows, at(15, 0), '1h'), 'underlying_dollar_value_total'), 3);
  assert.equal(regular.outOfSessionEvents, 3);
  const extended = engine(['1h'], 'extended');
  for (const t of trades.slice().sort((a, b) => (a.sipTimestampNs < b.sipTimestampNs ? -1 : 1))) extended.onUnderlyingTrade(t);
  const ext = extended.finish();
  assert.equal(ext.length, 16);
  assert.equal(feature(rowAt(ext, at(8, 0), '1h'), 'underlying_dollar_value_total'), 5);
  assert.equal(feature(rowAt(ext, at(9, 0), '1h'), 'underlying_dollar_value_total'), 3);
  assert.equal(feature(rowAt(ext, at(16, 0), '1h'), 'underlying_dollar_value_total'), 4);
});

test('half day: 210 one-minute windows, trades after 13:00 are outside the session', () => {
  const e = engine(['1m']);
  e.onUnderlyingTrade(stock(at(12, 59, 59, '2025-11-28'), 10, 1));
  e.onUnderlyingTrade(stock(at(13, 0, 0, '2025-11-28'), 20, 1));
  const rows = e.finish();
  assert.equal(rows.length, 210);
  assert.equal(feature(rows[209]!, 'underlying_dollar_value_total'), 10);
  assert.equal(e.outOfSessionEvents, 1);
});

test('DST change days: 09:30 New York is 13:30 UTC on 2025-03-10 and 14:30 UTC on 2025-11-03', () => {
  for (const [date, firstStartNs] of [['2025-03-10', 1_741_613_400n * SECOND], ['2025-11-03', 1_762_180_200n * SECOND]] as const) {
    const e = engine(['1m']);
    e.onUnderlyingTrade(stock(firstStartNs + SECOND, 10, 1));
    e.onUnderlyingTrade(stock(firstStartNs - SECOND, 99, 1));
    const rows = e.finish();
    assert.equal(rows.length, 390, date);
    assert.equal(rows[0]!.windowStartNs, firstStartNs);
    assert.equal(feature(rows[0]!, 'underlying_dollar_value_total'), 10);
    assert.equal(rows[389]!.windowEndNs, firstStartNs + 390n * 60n * SECOND);
  }
});

test('OHLC and dollar value follow the condition rules; corrections are left out', () => {
  const e = engine(['1m']);
  const t0 = at(10, 0);
  e.onUnderlyingTrade(stock(t0 + 1n, 100, 1, [12])); // form T: no high/low, no open/close; volume yes
  e.onUnderlyingTrade(stock(t0 + 2n, 101, 1, [22])); // prior reference price: high/low yes, open/close no
  e.onUnderlyingTrade(stock(t0 + 3n, 102, 1, [])); // regular: everything
  e.onUnderlyingTrade(stock(t0 + 4n, 150, 1, [], 1)); // corrected: nothing
  e.onUnderlyingTrade(stock(t0 + 5n, 103, 1, [15])); // market center official: no volume, no high/low, no open/close
  e.onUnderlyingTrade(stock(t0 + 6n, 99, 1, [38])); // corrected consolidated close: no volume only
  const row = rowAt(e.finish(), t0);
  assert.equal(feature(row, 'underlying_price_open'), 102);
  assert.equal(feature(row, 'underlying_price_close'), 99);
  assert.equal(feature(row, 'underlying_price_high'), 102);
  assert.equal(feature(row, 'underlying_price_low'), 99);
  assert.equal(feature(row, 'underlying_dollar_value_total'), 100 + 101 + 102);
  assert.equal(diag(row, 'diag_underlying_trades'), 6);
  assert.equal(diag(row, 'diag_underlying_corrections'), 1);
  assert.equal(diag(row, 'diag_underlying_volume_trades'), 3);
  assert.equal(diag(row, 'diag_underlying_high_low_trades'), 3);
  assert.equal(diag(row, 'diag_underlying_open_close_trades'), 2);
  const withCorrections = engine(['1m'], 'regular', true);
  withCorrections.onUnderlyingTrade(stock(t0 + 4n, 150, 1, [], 1));
  assert.equal(feature(rowAt(withCorrections.finish(), t0), 'underlying_price_high'), 150);
});

test('open/close are chosen by (time, sequence), whatever the arrival order', () => {
  const e = engine(['1m']);
  const t0 = at(10, 0, 1);
  e.onUnderlyingTrade(stock(t0, 11, 1, [], 0, 7));
  e.onUnderlyingTrade(stock(t0, 10, 1, [], 0, 5));
  e.onUnderlyingTrade(stock(t0 + 10n, 13, 1, [], 0, 1));
  e.onUnderlyingTrade(stock(t0 + 10n, 12, 1, [], 0, 0));
  const row = rowAt(e.finish(), at(10, 0));
  assert.equal(feature(row, 'underlying_price_open'), 10);
  assert.equal(feature(row, 'underlying_price_close'), 13);
});

test('option trades: dadvv/gadvv over priced trades; unpriced counted by reason and still in dollar value and intrinsic', () => {
  const e = engine(['1m']);
  const t0 = at(10, 0);
  e.onOptionTrade(option(t0 + 1n, { right: 'C', dadvv: 1000, gadvv: 10, price: 2, size: 3 }));
  e.onOptionTrade(option(t0 + 2n, { right: 'C', dadvv: 3000, gadvv: 30, price: 5, size: 1, strike: 670 })); // intrinsic 10 > price 5: below
  e.onOptionTrade(option(t0 + 3n, { right: 'C', greeksFlag: GreeksFlag.StaleUnderlying, underlyingPrice: NaN, dadvv: NaN, gadvv: NaN, iv: NaN, price: 1, size: 2 }));
  e.onOptionTrade(option(t0 + 4n, { right: 'C', greeksFlag: GreeksFlag.BelowIntrinsic, dadvv: NaN, gadvv: NaN, iv: NaN, price: 0.5, size: 1, strike: 600 }));
  e.onOptionTrade(option(t0 + 5n, { right: 'C', eligible: false, greeksFlag: GreeksFlag.Ineligible, price: 100, size: 100 }));
  e.onOptionTrade(option(t0 + 6n, { right: 'P', dadvv: 500, gadvv: 5, price: 1, strike: 690 })); // intrinsic 10: below
  e.onOptionTrade(option(t0 + 7n, { right: 'P', dadvv: 700, gadvv: 7, price: 12, strike: 690 })); // above
  e.onOptionTrade(option(t0 + 8n, { right: 'P', greeksFlag: GreeksFlag.NoUnderlying, underlyingPrice: NaN, dadvv: NaN, gadvv: NaN }));
  e.onOptionTrade(option(t0 + 9n, { right: 'P', greeksFlag: GreeksFlag.Expired, dadvv: NaN, gadvv: NaN, price: 3, strike: 683 })); // intrinsic 3: neither
  const row = rowAt(e.finish(), t0);
  assert.equal(feature(row, 'calls_dadvv_total'), 4000);
  assert.equal(feature(row, 'calls_dadvv_mean'), 2000);
  assert.equal(feature(row, 'calls_gadvv_q2'), 20);
  assert.equal(feature(row, 'calls_dollar_value'), (2 * 3 + 5 + 1 * 2 + 0.5) * 100);
  assert.equal(feature(row, 'calls_above_intrinsic_pct'), (100 * 1) / 3); // 3 calls with known S: 2.0>0 above, 5<10 below, 0.5<80 below
  assert.equal(feature(row, 'puts_dadvv_total'), 1200);
  assert.equal(feature(row, 'puts_gadvv_maximum'), 7);
  assert.equal(feature(row, 'puts_below_intrinsic_pct'), 100 / 3);
  assert.equal(feature(row, 'puts_above_intrinsic_pct'), 100 / 3);
  assert.equal(diag(row, 'diag_option_trades'), 9);
  assert.equal(diag(row, 'diag_option_ineligible'), 1);
  assert.equal(diag(row, 'diag_calls'), 4);
  assert.equal(diag(row, 'diag_puts'), 4);
  assert.equal(diag(row, 'diag_priced'), 4);
  assert.equal(diag(row, 'diag_unpriced'), 4);
  assert.equal(diag(row, 'diag_unpriced_stale_underlying'), 1);
  assert.equal(diag(row, 'diag_unpriced_no_underlying'), 1);
  assert.equal(diag(row, 'diag_unpriced_below_intrinsic'), 1);
  assert.equal(diag(row, 'diag_unpriced_expired'), 1);
  assert.equal(diag(row, 'diag_unknown_underlying'), 2);
});

test('incremental closing (realtime) equals one finish (historical), whatever the order inside a window', () => {
  const make = (): { stocks: UnderlyingTrade[]; options: EnrichedOptionTrade[] } => {
    let seed = 42;
    const rand = (): number => { seed = (seed * 48271) % 2147483647; return seed / 2147483647; };
    const stocks: UnderlyingTrade[] = [];
    const options: EnrichedOptionTrade[] = [];
    for (let i = 0; i < 3000; i++) {
      const t = at(9, 30) + BigInt(Math.floor(rand() * 2 * 3600)) * SECOND + BigInt(i);
      stocks.push(stock(t, 680 + rand(), 1 + Math.floor(rand() * 300), rand() < 0.1 ? [12] : []));
      options.push(option(t + 1n, { right: rand() < 0.5 ? 'C' : 'P', dadvv: rand() * 1e5, gadvv: rand() * 1e7, price: rand() * 5 }));
    }
    return { stocks, options };
  };
  const { stocks, options } = make();
  const byTime = <T extends { sipTimestampNs: bigint }>(xs: T[]): T[] => xs.slice().sort((a, b) => (a.sipTimestampNs < b.sipTimestampNs ? -1 : a.sipTimestampNs > b.sipTimestampNs ? 1 : 0));
  const historical = engine(['1m', '5m', '45m']);
  for (const t of byTime(stocks)) historical.onUnderlyingTrade(t);
  for (const o of byTime(options)) historical.onOptionTrade(o);
  const expected = historical.finish();

  const realtime = engine(['1m', '5m', '45m']);
  const events = [...byTime(stocks).map((t) => ({ t, kind: 'u' as const })), ...byTime(options).map((t) => ({ t, kind: 'o' as const }))]
    .sort((a, b) => (a.t.sipTimestampNs < b.t.sipTimestampNs ? -1 : a.t.sipTimestampNs > b.t.sipTimestampNs ? 1 : 0));
  // Shuffle inside each minute: statistics must not depend on arrival order.
  const shuffled = events.map((e, i) => ({ e, key: Number((e.t.sipTimestampNs / (60n * SECOND))) * 1e6 + ((i * 7919) % 1000) }))
    .sort((a, b) => a.key - b.key).map((x) => x.e);
  const got: FeatureRow[] = [];
  for (const { t, kind } of shuffled) {
    got.push(...realtime.advanceTo((t.sipTimestampNs / (60n * SECOND)) * 60n * SECOND));
    if (kind === 'u') realtime.onUnderlyingTrade(t as UnderlyingTrade);
    else realtime.onOptionTrade(t as EnrichedOptionTrade);
  }
  got.push(...realtime.finish());
  assert.equal(realtime.lateEvents, 0);
  assert.equal(got.length, expected.length);
  const key = (r: FeatureRow): string => `${r.window} ${r.windowStartNs}`;
  const expectedByKey = new Map(expected.map((r) => [key(r), r]));
  for (const row of got) {
    const want = expectedByKey.get(key(row))!;
    assert.deepEqual(row.features, want.features, key(row));
    assert.deepEqual(row.diagnostics, want.diagnostics, key(row));
  }
});

test('advanceTo closes exactly the windows whose end <= watermark; late events are dropped and counted', () => {
  const e = engine(['1m', '5m']);
  e.onUnderlyingTrade(stock(at(9, 30, 10), 1, 1));
  assert.deepEqual(e.advanceTo(at(9, 30, 59)), []);
  const rows = e.advanceTo(at(9, 31));
  assert.deepEqual(rows.map((r) => [r.window, r.windowStartNs]), [['1m', at(9, 30)]]);
  assert.equal(e.advanceTo(at(9, 20)).length, 0, 'a lower watermark closes nothing');
  e.onUnderlyingTrade(stock(at(9, 30, 30), 2, 1)); // 1m window closed, 5m still open
  assert.equal(e.lateEvents, 1);
  const streamed: string[] = [];
  const five = e.advanceTo(at(9, 35), (row) => streamed.push(row.window));
  assert.deepEqual(five.map((r) => r.window), ['1m', '1m', '1m', '1m', '5m']);
  assert.deepEqual(streamed, ['1m', '1m', '1m', '1m', '5m'], 'onRow receives each row as it is computed, in order');
  assert.equal(feature(five[4]!, 'underlying_dollar_value_total'), 3);
});

test('engine options from [aggregations]: windows, session, rules; aggression only when asked for', () => {
  const options = featureEngineOptions(defaultConfig().aggregations, calendar, { windows: ['1m', '15m'] });
  assert.deepEqual(options.windows.map((w) => w.label), ['1m', '15m']);
  assert.equal(options.session, 'regular');
  assert.equal(options.aggression, false);
  const rules = new UnderlyingConditionRules(options.underlyingRules);
  assert.equal(rules.fieldsOf([]), 7);
  assert.equal(rules.fieldsOf([12]), 1);
  assert.equal(rules.fieldsOf([38]), 6);
  assert.equal(rules.fieldsOf([22, 38]), 2);
  assert.equal(rules.fieldsOf([1000]), 7);
});

test('aggression: 149 features; priced trades enter the buy/sell dadvv sets of their side; sides counted in diag', () => {
  const e = new FeatureEngine({ ...featureEngineOptions(defaultConfig().aggregations, calendar, { windows: ['1m'], aggression: true }) });
  const t0 = at(10, 0);
  e.onOptionTrade(option(t0 + 1n, { right: 'C', dadvv: 100 }), 'buy');
  e.onOptionTrade(option(t0 + 2n, { right: 'C', dadvv: 300 }), 'buy');
  e.onOptionTrade(option(t0 + 3n, { right: 'C', dadvv: 50 }), 'sell');
  e.onOptionTrade(option(t0 + 4n, { right: 'P', dadvv: 70 }), 'sell');
  e.onOptionTrade(option(t0 + 5n, { right: 'P', dadvv: 90 }));
  e.onOptionTrade(option(t0 + 6n, { right: 'P', greeksFlag: GreeksFlag.SolverFailure, dadvv: NaN, gadvv: NaN }), 'buy');
  const row = rowAt(e.finish(), t0);
  assert.equal(row.features.length, 149);
  const agg = (name: (typeof AGGRESSION_FEATURE_NAMES)[number]): number => row.features[81 + AGGRESSION_FEATURE_NAMES.indexOf(name)]!;
  assert.equal(agg('calls_dadvv_agg_buy_total'), 400);
  assert.equal(agg('calls_dadvv_agg_buy_q2'), 200);
  assert.equal(agg('calls_dadvv_agg_sell_total'), 50);
  assert.equal(agg('puts_dadvv_agg_sell_maximum'), 70);
  assert.equal(agg('puts_dadvv_agg_buy_total'), 0, 'an unpriced trade has a side but no dadvv');
  assert.ok(Number.isNaN(agg('puts_dadvv_agg_buy_mean')));
  assert.equal(feature(row, 'puts_dadvv_total'), 160, 'the side does not change the base sets');
  assert.equal(diag(row, 'diag_aggressive_buys'), 3);
  assert.equal(diag(row, 'diag_aggressive_sells'), 2);
  assert.equal(diag(row, 'diag_unclassified'), 1);
  assert.equal(row.diagnostics.length, Object.keys(DIAG).length);
  // Without aggression the side is ignored and the row has 81 features and the base diagnostics.
  const plain = engine(['1m']);
  plain.onOptionTrade(option(t0 + 1n, { right: 'C', dadvv: 100 }), 'buy');
  const plainRow = rowAt(plain.finish(), t0);
  assert.equal(plainRow.features.length, 81);
  assert.equal(plainRow.diagnostics.length, Object.keys(DIAG).length - 3);
});

// ------------------------------------------------------------ reference check


test('reference check: every row of a half day matches the numpy/scipy/R implementation at FEATURES.md tolerances', () => {
  const input = readFeatureFixture<ReferenceInput>('input.json');
  const reference = readFeatureFixture<ReferenceOutput>('reference.json');
  const e = new FeatureEngine({
    symbol: 'SPY', windows: windowSpecs(input.windows), session: 'regular', calendar, contractSize: input.contract_size,
    underlyingRules: {
      excludeConditionsHighLow: input.exclude_conditions_high_low,
      excludeConditionsOpenClose: input.exclude_conditions_open_close,
      excludeConditionsVolume: input.exclude_conditions_volume,
      includeCorrections: input.include_corrections,
    },
  });
  const st = input.stocks;
  const stocks: UnderlyingTrade[] = st.t.map((t, i) => ({
    sipTimestampNs: BigInt(t), sequence: st.seq[i]!, price: st.price[i]!, size: st.size[i]!, conditions: st.conditions[i]!, correction: st.correction[i]!,
  }));
  const op = input.options;
  const options: EnrichedOptionTrade[] = op.t.map((t, i) => {
    const right = op.right[i] as 'C' | 'P';
    const S = op.S[i] ?? NaN;
    const strike = op.strike[i]!;
    return option(BigInt(t), {
      right, sequence: op.seq[i]!, strike, price: op.price[i]!, size: op.size[i]!, eligible: op.eligible[i] === 1,
      underlyingPrice: S, intrinsic: Number.isNaN(S) ? NaN : right === 'C' ? Math.max(S - strike, 0) : Math.max(strike - S, 0),
      greeksFlag: op.flag[i] as EnrichedOptionTrade['greeksFlag'], dadvv: op.dadvv[i] ?? NaN, gadvv: op.gadvv[i] ?? NaN,
    });
  });
  // Merge in event order: time, underlying before option at equal time, then sequence.
  let u = 0, o = 0;
  while (u < stocks.length || o < options.length) {
    if (o >= options.length || (u < stocks.length && stocks[u]!.sipTimestampNs <= options[o]!.sipTimestampNs)) e.onUnderlyingTrade(stocks[u++]!);
    else e.onOptionTrade(options[o++]!);
  }
  const rows = e.finish();
  assert.equal(rows.length, reference.rows.length);
  assert.deepEqual([...reference.columns].sort(), [...FEATURE_NAMES].sort(), 'the reference covers the 81 features');
  let compared = 0;
  for (const [window, start, end, values, modeSteps, diags] of reference.rows) {
    const row = rowAt(rows, BigInt(start), window);
    assert.equal(row.windowEndNs, BigInt(end));
    reference.columns.forEach((column, c) => {
      const want = values[c]!;
      const got = row.features[FEATURE_NAMES.indexOf(column as (typeof FEATURE_NAMES)[number])]!;
      const where = `${window} ${start} ${column}`;
      if (want === null) { assert.ok(Number.isNaN(got), `${where}: expected null, got ${got}`); return; }
      const modeIndex = reference.mode_columns.indexOf(column);
      const { abs, rel } = featureTolerance(column, modeIndex >= 0 ? modeSteps[modeIndex] : undefined);
      assert.ok(Math.abs(got - want) <= Math.max(abs, rel * Math.max(Math.abs(want), Math.abs(got))), `${where}: got ${got}, reference ${want}`);
      compared++;
    });
    reference.diag_columns.forEach((name, d) => assert.equal(row.diagnostics[DIAG[name as keyof typeof DIAG]], diags[d], `${window} ${start} ${name}`));
  }
  assert.ok(compared > 3000, `${compared} non-null values compared`);
});
