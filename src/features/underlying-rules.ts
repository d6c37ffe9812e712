/**
 * Which fields of the window an underlying trade may update, from its condition codes
 * (FEATURES.md "Per-trade quantities").
 *
 * Pure: no I/O.
 */
import type { UnderlyingRules } from './engine-options.js';

/** Which underlying fields a trade may update (bit set). */
export const VOLUME = 1, HIGH_LOW = 2, OPEN_CLOSE = 4, ALL_FIELDS = 7;
const TABLE_SIZE = 256;

/** Condition code → the update bits it removes; a trade updates a field only if none of its conditions removes it. */
export class UnderlyingConditionRules {
  readonly #small = new Uint8Array(TABLE_SIZE);
  readonly #large = new Map<number, number>();
  readonly includeCorrections: boolean;

  constructor(rules: UnderlyingRules) {
    this.includeCorrections = rules.includeCorrections;
    const add = (codes: readonly number[], bit: number): void => {
      for (const code of codes) {
        if (code >= 0 && code < TABLE_SIZE) this.#small[code]! |= bit;
        else this.#large.set(code, (this.#large.get(code) ?? 0) | bit);
      }
    };
    add(rules.excludeConditionsVolume, VOLUME);
    add(rules.excludeConditionsHighLow, HIGH_LOW);
    add(rules.excludeConditionsOpenClose, OPEN_CLOSE);
  }

  /** Update bits (VOLUME | HIGH_LOW | OPEN_CLOSE) of a trade with these conditions; corrections are handled by the caller. */
  fieldsOf(conditions: readonly number[]): number {
    let bits = ALL_FIELDS;
    for (let i = 0; i < conditions.length; i++) {
      const code = conditions[i]!;
      bits &= ~(code >= 0 && code < TABLE_SIZE ? this.#small[code]! : (this.#large.get(code) ?? 0));
    }
    return bits;
  }
}
