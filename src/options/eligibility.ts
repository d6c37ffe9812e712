/**
 * Which trades may be used, per FEATURES.md "Per-trade quantities". Pure: no I/O.
 *
 * - An underlying trade is *high/low-eligible* (it may set S for the as-of join) when none of its
 *   conditions is in `exclude_conditions_high_low` (Massive's consolidated update rule: a trade
 *   updates a field only if every one of its conditions allows it) and its `correction` is 0,
 *   unless `include_corrections`.
 * - An option trade is *eligible* when none of its conditions is in `exclude_option_conditions`
 *   (cancelled prints, compression trades), its correction is 0 (unless `include_corrections`)
 *   and its contract is not adjusted (non-standard deliverable), unless `include_adjusted`.
 *
 * Condition lookups are one byte read per condition: codes below 1024 (every SIP and OPRA code
 * in use) live in a bitmap, any larger code in a Set.
 */
import type { AggregationsConfig } from '../config/schema.js';

/** The eligibility switches of `[aggregations]`, named for code. */
export interface EligibilityRules {
  readonly excludeConditionsHighLow: readonly number[];
  readonly excludeOptionConditions: readonly number[];
  readonly includeCorrections: boolean;
  readonly includeAdjusted: boolean;
}

export function eligibilityRulesFromConfig(agg: AggregationsConfig): EligibilityRules {
  return {
    excludeConditionsHighLow: agg.exclude_conditions_high_low,
    excludeOptionConditions: agg.exclude_option_conditions,
    includeCorrections: agg.include_corrections,
    includeAdjusted: agg.include_adjusted,
  };
}

const BITMAP_SIZE = 1024;

/** A fixed set of condition codes with allocation-free membership tests. */
export class ConditionSet {
  private readonly small = new Uint8Array(BITMAP_SIZE);
  private readonly large = new Set<number>();

  constructor(codes: Iterable<number>) {
    for (const code of codes) {
      if (Number.isInteger(code) && code >= 0 && code < BITMAP_SIZE) this.small[code] = 1;
      else this.large.add(code);
    }
  }

  has(code: number): boolean {
    return code >= 0 && code < BITMAP_SIZE ? this.small[code] === 1 : this.large.has(code);
  }

  /** Whether any of `conditions` is in the set. */
  hasAny(conditions: readonly number[]): boolean {
    for (let i = 0; i < conditions.length; i++) if (this.has(conditions[i]!)) return true;
    return false;
  }
}

/** The fields eligibility looks at (UnderlyingTrade and OptionTrade both have them). */
export interface TradeConditions {
  readonly conditions: readonly number[];
  /** 0 when the CSV field is empty. */
  readonly correction: number;
}

export class TradeEligibility {
  private readonly highLowExcluded: ConditionSet;
  private readonly optionExcluded: ConditionSet;
  private readonly includeCorrections: boolean;
  private readonly includeAdjusted: boolean;

  constructor(rules: EligibilityRules) {
    this.highLowExcluded = new ConditionSet(rules.excludeConditionsHighLow);
    this.optionExcluded = new ConditionSet(rules.excludeOptionConditions);
    this.includeCorrections = rules.includeCorrections;
    this.includeAdjusted = rules.includeAdjusted;
  }

  /** The underlying trade may set high/low, hence S for option trades. */
  underlyingHighLow(t: TradeConditions): boolean {
    return (this.includeCorrections || t.correction === 0) && !this.highLowExcluded.hasAny(t.conditions);
  }

  /** The option trade enters features (and is priced). */
  option(t: TradeConditions & { readonly adjusted: boolean }): boolean {
    return (this.includeCorrections || t.correction === 0)
      && (this.includeAdjusted || !t.adjusted)
      && !this.optionExcluded.hasAny(t.conditions);
  }
}
