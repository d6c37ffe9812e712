/**
 * Feature rows of a whole regular session from the real engine, for sink and output tests.
 * Test support only: not part of the product.
 */
import { NyseCalendar, nyWallClockToUtcNs } from '../../src/calendar/index.js';
import { defaultConfig } from '../../src/config/schema.js';
import { FeatureEngine, featureEngineOptions } from '../../src/features/engine.js';
import type { FeatureRow } from '../../src/features/row.js';

/** A regular day's 1m and 5m rows (390 + 78) with one underlying trade at 10:00:30 New York time. */
export function regularDayRows(day: string, symbol = 'SPY'): FeatureRow[] {
  const engine = new FeatureEngine(featureEngineOptions(defaultConfig().aggregations, new NyseCalendar(), { symbol, windows: ['1m', '5m'] }));
  engine.onUnderlyingTrade({ sipTimestampNs: nyWallClockToUtcNs(day, 10, 0, 30), sequence: 1, price: 680.5, size: 100, conditions: [], correction: 0 });
  return [...engine.finish()];
}
