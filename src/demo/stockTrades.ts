/**
 * One stocks-trades CSV row at a time, in Massive's `us_stocks_sip/trades_v1`
 * format. Pure, no I/O: the caller chooses the time, path price and sequence
 * number; this module decides venue, size, conditions, ids and the side
 * timestamps, and formats the row exactly as Massive prints it.
 *
 * What the rows look like (rates are per row, regular hours):
 * - exchange: Massive's integer ids (4 = FINRA TRF for off-exchange prints,
 *   ~38 %; 12 Nasdaq, 11 NYSE Arca, 10 NYSE, 8 EDGX, 19 BZX, 21 MEMX, …).
 *   TRF prints carry `trf_id` (201/202/203) and a `trf_timestamp`; other rows
 *   have an empty `trf_id` and `trf_timestamp` 0.
 * - price: the path price on the cent grid (TRF prints: 30 % on a 1/100-cent
 *   grid, like midpoint crosses), printed either with 6 decimals
 *   (`114.790000`) or trimmed (`114.79`); 0.5 % of TRF prints are
 *   average-price prints (condition 2) away from the path.
 * - size: round lots, odd lots (1–99, condition 37), blocks, ~1 % fractional
 *   shares (`0.512`, condition 37); integers sometimes printed `100.000000`.
 * - conditions: empty, one int or a quoted ascending list (`"12,37"`):
 *   12 outside 09:30–16:00 (Form T), 37 odd lot, 14 ISO (often with 41),
 *   41 trade-through exempt, 2 average price.
 * - correction: empty except one row in 20,000 (`1`).
 * - participant_timestamp: a few µs before sip_timestamp on exchanges;
 *   TRF executions up to seconds before their report.
 */
import type { Rng } from './prng.js';
import { WeightedPicker } from './prng.js';
import { isRegularHours, type Session } from './arrivals.js';
import { EpochNsFormatter, truncateToMs } from './epochNs.js';
import type { StockSymbol } from './symbols.js';

export const STOCKS_TRADES_HEADER =
  'ticker,conditions,correction,exchange,id,participant_timestamp,price,sequence_number,sip_timestamp,size,tape,trf_id,trf_timestamp';

/**
 * Conditions that keep a trade from setting high/low under Massive's
 * consolidated rules, as FEATURES.md's default `exclude_conditions_high_low`.
 * The generator uses it to know which SPY prints an as-of lookup may use.
 */
export const DEFAULT_EXCLUDE_HIGH_LOW: ReadonlySet<number> = new Set([2, 7, 12, 13, 15, 16, 20, 21, 37, 52, 53]);

export type TimestampPrecision = 'ns' | 'ms';

const TRF_EXCHANGE = 4;
const TRF_IDS = ['201', '202', '203'] as const;

const REGULAR_VENUES = [4, 12, 11, 10, 8, 19, 21, 15, 7, 18, 2, 20, 17, 3, 1, 9] as const;
const REGULAR_WEIGHTS = [38, 14, 7, 7, 6, 5, 5, 3, 2, 2, 2, 2, 1, 1, 1, 0.5];
const EXTENDED_VENUES = [4, 12, 11, 8, 21] as const;
const EXTENDED_WEIGHTS = [45, 25, 15, 10, 5];
const regularVenuePicker = new WeightedPicker(REGULAR_WEIGHTS);
const extendedVenuePicker = new WeightedPicker(EXTENDED_WEIGHTS);

/** Price units: 1/10,000 of a dollar (exact integers). */
const E4 = 10_000;

/** Formats integer ten-thousandths of a dollar as `114.790000` or trimmed `114.79` / `114`. */
export function formatPriceE4(priceE4: number, sixDecimals: boolean): string {
  const dollars = Math.floor(priceE4 / E4);
  const frac = priceE4 - dollars * E4;
  if (sixDecimals) return `${dollars}.${String(E4 + frac).slice(1)}00`;
  if (frac === 0) return String(dollars);
  let digits = String(E4 + frac).slice(1);
  while (digits.endsWith('0')) digits = digits.slice(0, -1);
  return `${dollars}.${digits}`;
}

/** Formats a condition list as Massive does: empty, `37`, or `"12,37"` (ascending). */
export function formatConditions(codes: readonly number[]): string {
  if (codes.length === 0) return '';
  if (codes.length === 1) return String(codes[0]);
  return `"${[...codes].sort((a, b) => a - b).join(',')}"`;
}

export class StockTradePrinter {
  /** Price of the last printed row, as the file states it (dollars, equal to parsing the printed text). */
  lastPrice = 0;
  /** Whether the last printed row may set high/low (no excluded condition, no correction). */
  lastUpdatesHighLow = false;

  private readonly nextIdByExchange = new Float64Array(32);
  private readonly conditions: number[] = [];
  private readonly tape: string;
  private readonly timestamps: EpochNsFormatter;

  constructor(
    private readonly symbol: StockSymbol,
    private readonly session: Session,
    dayStartEpochMs: number,
    private readonly precision: TimestampPrecision,
    private readonly rng: Rng,
  ) {
    this.tape = String(symbol.tape);
    this.timestamps = new EpochNsFormatter(dayStartEpochMs);
    for (let x = 0; x < this.nextIdByExchange.length; x++) {
      this.nextIdByExchange[x] = x === TRF_EXCHANGE ? 52_983_525_000_000 + rng.int(0, 999_999_999) : rng.int(1, 50_000);
    }
  }

  /**
   * The CSV row (with its newline) of a trade reported at `sipTimeOfDayNs`
   * (already truncated to ms in 'ms' mode) near `pathPrice` dollars.
   */
  print(sipTimeOfDayNs: number, pathPrice: number, sequenceNumber: number): string {
    const rng = this.rng;
    const regular = isRegularHours(this.session, sipTimeOfDayNs);
    const exchange = regular ? REGULAR_VENUES[regularVenuePicker.pick(rng)]! : EXTENDED_VENUES[extendedVenuePicker.pick(rng)]!;
    const isTrf = exchange === TRF_EXCHANGE;
    const conditions = this.conditions;
    conditions.length = 0;
    if (!regular) conditions.push(12);

    // Price on the cent grid (TRF: sometimes sub-penny); a few off-market average-price prints.
    let priceE4: number;
    if (isTrf && rng.chance(0.005)) {
      conditions.push(2);
      priceE4 = Math.round(pathPrice * (1 + 0.003 * rng.normal()) * E4);
    } else if (isTrf && rng.chance(0.3)) {
      priceE4 = Math.round(pathPrice * E4);
    } else {
      priceE4 = Math.round(pathPrice * 100) * 100;
    }
    priceE4 = Math.max(priceE4, 100);

    const sizeText = this.size(isTrf, conditions);
    if (!isTrf && rng.chance(0.08)) {
      conditions.push(14);
      if (rng.chance(0.5)) conditions.push(41);
    } else if (rng.chance(0.03)) {
      conditions.push(41);
    }
    const correction = rng.chance(0.00005) ? '1' : '';

    const idNumber = this.nextIdByExchange[exchange]! + (isTrf ? rng.int(1, 5000) : rng.int(1, 20));
    this.nextIdByExchange[exchange] = idNumber;

    const participantNs = isTrf
      ? sipTimeOfDayNs - Math.round(rng.exponential(rng.chance(0.2) ? 1.5e9 : 2e6)) - 1000
      : sipTimeOfDayNs - Math.round(rng.exponential(150_000)) - 5000;
    const trfNs = isTrf ? sipTimeOfDayNs - Math.round(rng.exponential(400_000)) - 20_000 : 0;

    let updatesHighLow = correction === '';
    for (const c of conditions) if (DEFAULT_EXCLUDE_HIGH_LOW.has(c)) updatesHighLow = false;
    this.lastPrice = priceE4 / E4;
    this.lastUpdatesHighLow = updatesHighLow;

    return `${this.symbol.ticker},${formatConditions(conditions)},${correction},${exchange},${idNumber},`
      + `${this.stamp(participantNs)},${formatPriceE4(priceE4, rng.chance(0.5))},${sequenceNumber},`
      + `${this.timestamps.format(sipTimeOfDayNs)},${sizeText},${this.tape},`
      + `${isTrf ? TRF_IDS[rng.int(0, 2)] : ''},${isTrf ? this.stamp(trfNs) : '0'}\n`;
  }

  /** Size text; adds condition 37 for odd lots. */
  private size(isTrf: boolean, conditions: number[]): string {
    const rng = this.rng;
    const u = rng.uniform();
    let shares: number;
    if (u < 0.01) {
      conditions.push(37);
      return `0.${String(rng.int(1, 999)).padStart(3, '0')}`;
    } else if (u < 0.43) {
      shares = 1 + Math.floor(99 * rng.uniform() ** 2);
      conditions.push(37);
    } else if (u < 0.8) {
      shares = 100;
    } else if (u < 0.95) {
      shares = 100 * rng.int(2, 10);
    } else {
      shares = isTrf ? 100 * rng.int(10, 200) : rng.int(101, 999);
    }
    return rng.chance(0.08) ? `${shares}.000000` : String(shares);
  }

  private stamp(timeOfDayNs: number): string {
    return this.timestamps.format(this.precision === 'ms' ? truncateToMs(timeOfDayNs) : timeOfDayNs);
  }
}
