/**
 * The rolling set of option contracts whose quotes the live command subscribes to. Pure: no I/O.
 *
 * Massive streams quotes of at most 1000 contracts per connection and accepts no wildcard for
 * them (src/formats/massive-ws/types.ts MAX_OPTION_QUOTE_CONTRACTS), so the set is chosen:
 *
 *   1. from a *universe* of contracts: those seen in the option trades of the symbol (the live
 *      command subscribes to every option trade and learns contracts as they print), or any list
 *      given up front;
 *   2. keeping contracts not expired (expiry day ≥ today) of the `maxExpiries` nearest expiries;
 *   3. ranked by distance of the strike to spot |K − S| (then expiry, strike, calls first,
 *      ticker: a total order, so the choice is deterministic), the first `maxContracts`.
 *
 * {@link RollingContractSet} re-selects when spot has moved by more than `rollFraction` of spot
 * since the last selection, when the New York date changes, or when the universe has grown since
 * (at most once per `minRollIntervalMs`), and returns the difference to apply: unsubscribe first,
 * then subscribe, so the connection never holds more than `maxContracts`.
 */
import { MAX_OPTION_QUOTE_CONTRACTS } from '../formats/massive-ws/types.js';

/** A contract as decoded from its OPRA ticker (an OptionTrade fits). */
export interface QuoteContract {
  /** OPRA ticker with the `O:` prefix. */
  readonly ticker: string;
  readonly right: 'C' | 'P';
  readonly strike: number;
  /** Days since 1970-01-01. */
  readonly expiryDays: number;
}

export interface ContractSelection {
  /** Most contracts chosen; default and ceiling {@link MAX_OPTION_QUOTE_CONTRACTS}. */
  readonly maxContracts?: number;
  /** Nearest expiries considered; default 4. */
  readonly maxExpiries?: number;
}

function rankBefore(a: QuoteContract, b: QuoteContract, spot: number): number {
  const da = Math.abs(a.strike - spot), db = Math.abs(b.strike - spot);
  if (da !== db) return da - db;
  if (a.expiryDays !== b.expiryDays) return a.expiryDays - b.expiryDays;
  if (a.strike !== b.strike) return a.strike - b.strike;
  if (a.right !== b.right) return a.right === 'C' ? -1 : 1;
  return a.ticker < b.ticker ? -1 : a.ticker > b.ticker ? 1 : 0;
}

/**
 * The near-the-money contracts of the nearest expiries, at most `maxContracts`, as tickers
 * sorted alphabetically. `todayEpochDay`: the New York date as days since 1970-01-01.
 */
export function selectQuoteContracts(universe: Iterable<QuoteContract>, spot: number, todayEpochDay: number,
  selection: ContractSelection = {}): string[] {
  const maxContracts = Math.min(selection.maxContracts ?? MAX_OPTION_QUOTE_CONTRACTS, MAX_OPTION_QUOTE_CONTRACTS);
  const maxExpiries = selection.maxExpiries ?? 4;
  if (!(spot > 0) || maxContracts <= 0 || maxExpiries <= 0) return [];
  const live = [...universe].filter((c) => c.expiryDays >= todayEpochDay);
  const expiries = [...new Set(live.map((c) => c.expiryDays))].sort((a, b) => a - b).slice(0, maxExpiries);
  const allowed = new Set(expiries);
  return live
    .filter((c) => allowed.has(c.expiryDays))
    .sort((a, b) => rankBefore(a, b, spot))
    .slice(0, maxContracts)
    .map((c) => c.ticker)
    .sort();
}

/** What to change on the connection: unsubscribe first, then subscribe. Tickers sorted. */
export interface ContractChange {
  readonly subscribe: string[];
  readonly unsubscribe: string[];
}

/** The change from `current` to `next`. */
export function diffContracts(current: ReadonlySet<string>, next: readonly string[]): ContractChange {
  const nextSet = new Set(next);
  return {
    subscribe: next.filter((t) => !current.has(t)).sort(),
    unsubscribe: [...current].filter((t) => !nextSet.has(t)).sort(),
  };
}

export interface RollingContractOptions extends ContractSelection {
  /** Re-select when |S − S_at_last_selection| > rollFraction · S_at_last_selection; default 0.002 (0.2 %). */
  readonly rollFraction?: number;
  /** Least wall time between re-selections caused by new contracts only, ms; default 10 000. */
  readonly minRollIntervalMs?: number;
}

export class RollingContractSet {
  readonly #options: RollingContractOptions;
  readonly #universe = new Map<string, QuoteContract>();
  #current = new Set<string>();
  #spotAtRoll: number | undefined;
  #dayAtRoll: number | undefined;
  #universeAtRoll = 0;
  #lastRollMs = Number.NEGATIVE_INFINITY;
  #rolls = 0;

  constructor(options: RollingContractOptions = {}) {
    this.#options = options;
  }

  /** Contracts subscribed now (tickers). */
  get current(): ReadonlySet<string> { return this.#current; }
  /** Contracts known. */
  get universeSize(): number { return this.#universe.size; }
  /** Selections that changed the set. */
  get rolls(): number { return this.#rolls; }

  /** Adds a contract to the universe; true when it is new. */
  addContract(c: QuoteContract): boolean {
    if (this.#universe.has(c.ticker)) return false;
    this.#universe.set(c.ticker, { ticker: c.ticker, right: c.right, strike: c.strike, expiryDays: c.expiryDays });
    return true;
  }

  /**
   * Re-selects when due (see the module comment) and returns the change to apply, or undefined
   * when nothing is due or nothing changes. The returned change is already applied to `current`.
   */
  update(spot: number, todayEpochDay: number, nowMs: number): ContractChange | undefined {
    if (!(spot > 0)) return undefined;
    const rollFraction = this.#options.rollFraction ?? 0.002;
    const spotMoved = this.#spotAtRoll === undefined || Math.abs(spot - this.#spotAtRoll) > rollFraction * this.#spotAtRoll;
    const newDay = this.#dayAtRoll !== todayEpochDay;
    const grown = this.#universe.size > this.#universeAtRoll && nowMs - this.#lastRollMs >= (this.#options.minRollIntervalMs ?? 10_000);
    if (!spotMoved && !newDay && !grown) return undefined;
    const next = selectQuoteContracts(this.#universe.values(), spot, todayEpochDay, this.#options);
    this.#spotAtRoll = spot;
    this.#dayAtRoll = todayEpochDay;
    this.#universeAtRoll = this.#universe.size;
    this.#lastRollMs = nowMs;
    const change = diffContracts(this.#current, next);
    if (change.subscribe.length === 0 && change.unsubscribe.length === 0) return undefined;
    this.#current = new Set(next);
    this.#rolls++;
    return change;
  }
}
