/**
 * A day of option trades, option quotes and their truth, contract by contract.
 *
 * Plan (pure):
 * 1. The day's trade times (U-shaped over regular hours), each assigned a
 *    contract by weight; a draw whose model value is under 2 ¢ at that time
 *    is redrawn (worthless contracts do not trade).
 * 2. Per contract, times made strictly increasing (≥ 2 ns apart; 1 ms in
 *    millisecond files) so every trade can have its own prevailing quote.
 * 3. Per trade a fresh quote shortly before it (in ms files, usually in the
 *    same millisecond), strictly after the contract's previous trade; plus
 *    background quotes anywhere else in the session, but never between a
 *    trade's fresh quote and the trade.
 *
 * Write (in OPRA-ticker order, each contract in time order):
 * - price = the model value rounded to the cent, nudged up a cent if that
 *   would touch the no-arbitrage lower bound (then it has an IV);
 * - side: 45 % at the ask (truth `buy`), 45 % at the bid (`sell`), 8 %
 *   strictly inside the spread and 2 % against a locked quote (`none`): the
 *   fresh quote is built around the trade price accordingly. Background
 *   quotes straddle the model value; 0.3 % of them are locked or crossed; a
 *   side with no quote is printed as price 0, size 0.
 * - conditions: 209 auto-execution (most), 219 ISO, 233/229 multi-leg and
 *   floor, 247 compression, 201 cancelled (with `correction` 1).
 * - the truth row: ticker, sip_timestamp, σ, S and its sip_timestamp, T,
 *   model price, printed price, side.
 * A trade whose underlying has not printed yet, or whose value rounds below
 * a cent, is dropped (rare).
 */
import { noArbitrageBounds } from '../options/pricing/bsm.js';
import { ArrivalProfile, optionIntensity, type Session } from './arrivals.js';
import type { CsvFileSink } from './csvFileSink.js';
import { epochNsString, truncateToMs } from './epochNs.js';
import type { WeightedContract } from './optionUniverse.js';
import type { ContractPricer } from './optionPricing.js';
import { Rng, WeightedPicker } from './prng.js';
import { SequenceNumbering, TickerSequencer } from './sequenceNumbers.js';
import { formatConditions, formatPriceE4, type TimestampPrecision } from './stockTrades.js';

export const OPTIONS_TRADES_HEADER = 'ticker,conditions,correction,exchange,participant_timestamp,price,sip_timestamp,size';
export const OPTIONS_QUOTES_HEADER = 'ticker,ask_exchange,ask_price,ask_size,bid_exchange,bid_price,bid_size,sequence_number,sip_timestamp';
export const OPTIONS_TRUTH_HEADER =
  'ticker,sip_timestamp,sigma,underlying_price,underlying_sip_timestamp,time_to_expiry_years,model_price,price,side';

export type TrueSide = 'buy' | 'sell' | 'none';

export interface OptionFlowParams {
  readonly seed: number;
  readonly session: Session;
  readonly dayStartEpochMs: number;
  readonly precision: TimestampPrecision;
  /** Trades to draw (a few may be dropped, see module comment). */
  readonly trades: number;
  /** Background quotes per contract besides the fresh quote before each trade, on top of 3 per trade. */
  readonly backgroundQuotesPerContract: number;
  /** Sorted by ticker. */
  readonly contracts: readonly WeightedContract[];
  readonly pricer: ContractPricer;
}

export interface OptionFlowSinks {
  readonly trades: CsvFileSink;
  /** Absent: no quotes file. */
  readonly quotes?: CsvFileSink;
  readonly truth: CsvFileSink;
}

/** Smallest model value a drawn trade may have, dollars. */
const MIN_TRADED_VALUE = 0.02;

const OPRA_EXCHANGES = [302, 323, 313, 308, 312, 316, 300, 304, 325, 315, 303, 301, 307, 309, 320, 322, 319] as const;
const opraExchangePicker = new WeightedPicker([15, 10, 8, 8, 8, 8, 6, 6, 6, 6, 5, 4, 3, 3, 3, 3, 2]);
const TRADE_CONDITIONS = [209, 219, 233, 229, 247, 201] as const;
const tradeConditionPicker = new WeightedPicker([76.5, 12, 6, 4, 1, 0.5]);

/** Per contract: trade times, and the times of the quotes around them. */
interface ContractPlan {
  readonly tradeTimes: Float64Array;
  readonly freshQuoteTimes: Float64Array;
  readonly backgroundQuoteTimes: Float64Array;
}

/** Steps 1–2 of the plan: strictly increasing trade times per contract (index = contract index). */
export function planOptionTradeTimes(params: OptionFlowParams): Float64Array[] {
  const { session, contracts, pricer, precision } = params;
  const rng = Rng.derive(params.seed, 'option-trades:assignment');
  const profile = new ArrivalProfile(session.regularOpenNs, session.regularCloseNs, optionIntensity(session));
  const times = profile.sortedTimes(rng, params.trades);
  const picker = new WeightedPicker(contracts.map((c) => c.weight));
  const perContract: number[][] = contracts.map(() => []);
  for (let i = 0; i < times.length; i++) {
    const t = precision === 'ms' ? truncateToMs(times[i]!) : times[i]!;
    for (let attempt = 0; attempt < 100; attempt++) {
      const c = picker.pick(rng);
      const value = pricer.quote(contracts[c]!, t)?.modelPrice ?? 0;
      if (value >= MIN_TRADED_VALUE) {
        perContract[c]!.push(t);
        break;
      }
    }
  }
  const minGapNs = precision === 'ms' ? 1e6 : 2;
  return perContract.map((list) => {
    const out = Float64Array.from(list);
    for (let i = 1; i < out.length; i++) out[i] = Math.max(out[i]!, out[i - 1]! + minGapNs);
    return out;
  });
}

/** Step 3: fresh and background quote times of one contract. */
function planQuotes(tradeTimes: Float64Array, background: number, params: OptionFlowParams, rng: Rng): ContractPlan {
  const ms = params.precision === 'ms';
  const fresh = new Float64Array(tradeTimes.length);
  for (let i = 0; i < tradeTimes.length; i++) {
    const t = tradeTimes[i]!;
    const gap = i === 0 ? Number.POSITIVE_INFINITY : t - tradeTimes[i - 1]!;
    if (ms) {
      const k = rng.chance(0.7) ? 0 : Math.floor(rng.exponential(3));
      fresh[i] = t - Math.min(k * 1e6, gap - 1e6);
    } else {
      fresh[i] = t - Math.min(1 + Math.floor(rng.exponential(2e6)), gap - 1);
    }
  }
  const profile = new ArrivalProfile(params.session.regularOpenNs, params.session.regularCloseNs, optionIntensity(params.session));
  const candidates = profile.sortedTimes(rng, background);
  const kept: number[] = [];
  let next = 0; // first trade with time ≥ the candidate
  for (let j = 0; j < candidates.length; j++) {
    const q = ms ? truncateToMs(candidates[j]!) : candidates[j]!;
    while (next < tradeTimes.length && tradeTimes[next]! < q) next++;
    if (next < tradeTimes.length && fresh[next]! <= q) continue; // would pre-empt trade `next`'s fresh quote
    kept.push(q);
  }
  return { tradeTimes, freshQuoteTimes: fresh, backgroundQuoteTimes: Float64Array.from(kept) };
}

/** The spread a market maker shows around a value, in cents (≥ 1). */
function spreadCents(modelPrice: number, rng: Rng): number {
  return 1 + Math.floor(modelPrice * 100 * 0.005 * (1 + rng.uniform()));
}

function quoteSize(rng: Rng): number {
  return Math.min(5000, 1 + Math.floor(rng.exponential(60)));
}

function tradeSize(rng: Rng): number {
  const u = rng.uniform();
  if (u < 0.85) return Math.min(50, 1 + Math.floor(rng.exponential(6)));
  if (u < 0.98) return rng.int(51, 500);
  return rng.int(501, 3000);
}

const cents = (c: number): string => formatPriceE4(c * 100, false);

/** Writes trades, quotes and truth for every contract. */
export async function writeOptionFlow(params: OptionFlowParams, sinks: OptionFlowSinks): Promise<void> {
  const { contracts, pricer, dayStartEpochMs } = params;
  const ms = params.precision === 'ms';
  const stamp = (t: number): string => epochNsString(dayStartEpochMs, ms ? truncateToMs(t) : t);

  const tradeTimes = planOptionTradeTimes(params);
  const plans = contracts.map((c, i) => planQuotes(tradeTimes[i]!, params.backgroundQuotesPerContract + 3 * tradeTimes[i]!.length,
    params, Rng.derive(params.seed, `option-quote-times:${c.ticker}`)));
  const numbering = new SequenceNumbering(plans.flatMap((p) => [p.freshQuoteTimes, p.backgroundQuoteTimes]));

  for (const [ci, contract] of contracts.entries()) {
    const plan = plans[ci]!;
    const rng = Rng.derive(params.seed, `option-flow:${contract.ticker}`);
    const sequencer = new TickerSequencer(numbering);
    const writeQuote = (t: number, askCents: number, bidCents: number): void => {
      if (!sinks.quotes) return;
      const askSize = askCents > 0 ? quoteSize(rng) : 0;
      const bidSize = bidCents > 0 ? quoteSize(rng) : 0;
      sinks.quotes.add(`${contract.ticker},${OPRA_EXCHANGES[opraExchangePicker.pick(rng)]},${cents(askCents)},${askSize},`
        + `${OPRA_EXCHANGES[opraExchangePicker.pick(rng)]},${cents(bidCents)},${bidSize},${sequencer.next(t)},${stamp(t)}\n`);
    };
    const writeBackgroundQuote = (t: number): void => {
      const model = pricer.quote(contract, t);
      if (!model) return;
      const spread = spreadCents(model.modelPrice, rng);
      const bid = Math.max(0, Math.floor(model.modelPrice * 100 - spread / 2));
      let ask = Math.max(bid + spread, 1);
      if (bid >= 2 && rng.chance(0.003)) ask = rng.chance(0.5) ? bid : bid - 1; // locked or crossed
      writeQuote(t, ask, bid);
    };

    let b = 0;
    const background = plan.backgroundQuoteTimes;
    for (let i = 0; i < plan.tradeTimes.length; i++) {
      const t = plan.tradeTimes[i]!;
      const f = plan.freshQuoteTimes[i]!;
      while (b < background.length && background[b]! < f) writeBackgroundQuote(background[b++]!);
      const model = pricer.quote(contract, t);
      if (!model) continue;
      let priceCents = Math.round(model.modelPrice * 100);
      const bounds = noArbitrageBounds(contract.right, model.underlyingPrice, contract.strike, model.yearsToExpiry,
        pricer.params.riskFreeRate, pricer.params.dividendYield);
      if (priceCents / 100 <= bounds.lower) priceCents = Math.floor(bounds.lower * 100) + 1;
      if (priceCents < 1 || priceCents / 100 >= bounds.upper) continue;

      // The trade's side decides where its fresh quote sits.
      const spread = spreadCents(model.modelPrice, rng);
      const u = rng.uniform();
      const placement = u < 0.45 ? 'ask' : u < 0.9 ? 'bid' : u < 0.98 && priceCents >= 2 ? 'inside' : u < 0.98 ? 'ask' : 'locked';
      let side: TrueSide, ask: number, bid: number;
      switch (placement) {
        case 'ask': side = 'buy'; ask = priceCents; bid = Math.max(0, priceCents - spread); break;
        case 'bid': side = 'sell'; bid = priceCents; ask = priceCents + spread; break;
        case 'inside': side = 'none'; bid = priceCents - Math.min(rng.int(1, spread), priceCents - 1); ask = priceCents + rng.int(1, spread); break;
        case 'locked': side = 'none'; bid = priceCents; ask = priceCents; break;
      }
      writeQuote(f, ask, bid);

      const condition = TRADE_CONDITIONS[tradeConditionPicker.pick(rng)]!;
      const participant = t - 1000 - Math.floor(rng.exponential(300_000));
      const sip = stamp(t);
      sinks.trades.add(`${contract.ticker},${formatConditions([condition])},${condition === 201 ? '1' : ''},`
        + `${OPRA_EXCHANGES[opraExchangePicker.pick(rng)]},${stamp(Math.max(participant, 0))},${cents(priceCents)},${sip},${tradeSize(rng)}\n`);
      sinks.truth.add(`${contract.ticker},${sip},${contract.sigma},${model.underlyingPrice},${stamp(model.underlyingTimeOfDayNs)},`
        + `${model.yearsToExpiry},${model.modelPrice},${cents(priceCents)},${side}\n`);
      if (sinks.trades.full) await sinks.trades.flush();
      if (sinks.quotes?.full) await sinks.quotes.flush();
      if (sinks.truth.full) await sinks.truth.flush();
    }
    while (b < background.length) writeBackgroundQuote(background[b++]!);
    if (sinks.quotes?.full) await sinks.quotes.flush();
  }
}
