/**
 * The NYSE trading calendar (2000–2100): which days trade, which close early,
 * and the New York session bounds of a day as epoch nanoseconds.
 *
 * Built-in closures and early closes come from `nyseRules.ts`; a config can
 * correct them without a code change ({@link CalendarOverrides}), e.g. for a
 * future national day of mourning. Precedence for a date:
 *   1. `tradingDays` (force open) — a full day unless also listed in `halfDays`;
 *   2. `holidays` (force closed);
 *   3. the built-in rules (weekends, holidays, special closures).
 * A date may not be both in `tradingDays` and `holidays`.
 * `halfDays` marks extra 13:00 early closes; it does not open a closed day.
 *
 * Pure: no I/O.
 */
import { SATURDAY, SUNDAY, addDays, epochDayOf, isoDateOfEpochDay, parseIsoDate, weekdayOfEpochDay } from './civilDate.js';
import { nyWallClockToUtcMs, nyWallClockToUtcNs } from './nyTime.js';
import { NYSE_SPECIAL_CLOSURES, NYSE_SPECIAL_EARLY_CLOSES, nyseRuleEarlyCloses, nyseRuleHolidays } from './nyseRules.js';

export const FIRST_CALENDAR_YEAR = 2000;
export const LAST_CALENDAR_YEAR = 2100;

/** Corrections to the built-in calendar, all 'YYYY-MM-DD' New York dates. */
export interface CalendarOverrides {
  /** Extra full closures. */
  holidays?: string[];
  /** Extra 13:00 ET early closes (on days that trade). */
  halfDays?: string[];
  /** Days forced open, even if a weekend or built-in holiday. */
  tradingDays?: string[];
}

/**
 * Which part of a New York day a computation covers:
 * `regular` [09:30, 16:00) (16:00 → 13:00 on half days),
 * `extended` [04:00, 20:00) (20:00 → 17:00 on half days, when NYSE Arca and
 * Nasdaq end their late sessions), `all` the whole New York calendar day
 * [00:00, 24:00) (23 or 25 hours on DST transition days).
 */
export type SessionKind = 'regular' | 'extended' | 'all';

/** Session hours as [hour, minute] New York wall clock. */
export const REGULAR_OPEN_ET = [9, 30] as const;
export const REGULAR_CLOSE_ET = [16, 0] as const;
export const EARLY_CLOSE_ET = [13, 0] as const;
export const EXTENDED_OPEN_ET = [4, 0] as const;
export const EXTENDED_CLOSE_ET = [20, 0] as const;
export const EARLY_EXTENDED_CLOSE_ET = [17, 0] as const;

/** Massive publishes a day's flat files around this New York hour on the next trading day. */
export const DEFAULT_PUBLISH_HOUR_ET = 11;

interface YearTable {
  readonly holidays: ReadonlyMap<string, string>;
  readonly earlyCloses: ReadonlyMap<string, string>;
}

export class NyseCalendar {
  readonly #forcedOpen: ReadonlySet<string>;
  readonly #forcedClosed: ReadonlySet<string>;
  readonly #extraHalfDays: ReadonlySet<string>;
  readonly #years = new Map<number, YearTable>();

  /** Throws RangeError on a malformed override date or a date both forced open and closed. */
  constructor(overrides: CalendarOverrides = {}) {
    this.#forcedOpen = checkedDates('tradingDays', overrides.tradingDays);
    this.#forcedClosed = checkedDates('holidays', overrides.holidays);
    this.#extraHalfDays = checkedDates('halfDays', overrides.halfDays);
    for (const date of this.#forcedOpen) {
      if (this.#forcedClosed.has(date)) throw new RangeError(`${date} is listed both as a trading day and as a holiday`);
    }
  }

  /** True when NYSE trades on `date` (any session). */
  isTradingDay(date: string): boolean {
    const epochDay = this.#epochDay(date);
    if (this.#forcedOpen.has(date)) return true;
    if (this.#forcedClosed.has(date)) return false;
    const weekday = weekdayOfEpochDay(epochDay);
    if (weekday === SATURDAY || weekday === SUNDAY) return false;
    return this.#builtInHoliday(date) === undefined;
  }

  /** True when `date` trades and the regular session closes at 13:00 ET. */
  isHalfDay(date: string): boolean {
    if (!this.isTradingDay(date)) return false;
    if (this.#extraHalfDays.has(date)) return true;
    if (this.#forcedOpen.has(date)) return false;
    return this.#year(date).earlyCloses.has(date) || NYSE_SPECIAL_EARLY_CLOSES.has(date);
  }

  /**
   * Why the exchange is closed on `date`, for a weekday closure (e.g.
   * "Good Friday", "Independence Day (observed)"); undefined on trading days
   * and plain weekends.
   */
  holidayName(date: string): string | undefined {
    this.#epochDay(date);
    if (this.#forcedOpen.has(date)) return undefined;
    const builtIn = this.#builtInHoliday(date);
    if (this.#forcedClosed.has(date)) return builtIn ?? 'Closed (calendar override)';
    return builtIn;
  }

  /** Trading days in [from, to], ascending; [] when from > to. */
  tradingDays(from: string, to: string): string[] {
    const first = this.#epochDay(from), last = this.#epochDay(to);
    const out: string[] = [];
    for (let day = first; day <= last; day++) {
      const date = isoDateOfEpochDay(day);
      if (this.isTradingDay(date)) out.push(date);
    }
    return out;
  }

  /** First trading day strictly after `date`. */
  nextTradingDay(date: string): string {
    let next = date;
    do next = addDays(next, 1); while (!this.isTradingDay(next));
    return next;
  }

  /** Last trading day strictly before `date`. */
  previousTradingDay(date: string): string {
    let previous = date;
    do previous = addDays(previous, -1); while (!this.isTradingDay(previous));
    return previous;
  }

  /**
   * Session bounds of `date` as epoch ns, half-open [startNs, endNs); see
   * {@link SessionKind}. `regular` and `extended` throw RangeError on a day
   * without trading; `all` accepts any date.
   */
  sessionBoundsNs(date: string, session: SessionKind): { startNs: bigint; endNs: bigint } {
    if (session === 'all') {
      this.#epochDay(date);
      return { startNs: nyWallClockToUtcNs(date, 0, 0), endNs: nyWallClockToUtcNs(addDays(date, 1), 0, 0) };
    }
    if (!this.isTradingDay(date)) {
      const reason = this.holidayName(date) ?? 'weekend';
      throw new RangeError(`${date} is not an NYSE trading day (${reason}): it has no ${session} session`);
    }
    const half = this.isHalfDay(date);
    const [openH, openM] = session === 'regular' ? REGULAR_OPEN_ET : EXTENDED_OPEN_ET;
    const [closeH, closeM] = session === 'regular'
      ? (half ? EARLY_CLOSE_ET : REGULAR_CLOSE_ET)
      : (half ? EARLY_EXTENDED_CLOSE_ET : EXTENDED_CLOSE_ET);
    return { startNs: nyWallClockToUtcNs(date, openH, openM), endNs: nyWallClockToUtcNs(date, closeH, closeM) };
  }

  /**
   * When Massive is expected to publish the flat files of `date` (epoch ms):
   * `publishHourEt`:00 New York time on the next trading day after `date`.
   */
  expectedPublishMs(date: string, publishHourEt: number = DEFAULT_PUBLISH_HOUR_ET): number {
    return nyWallClockToUtcMs(this.nextTradingDay(date), publishHourEt, 0);
  }

  #builtInHoliday(date: string): string | undefined {
    return this.#year(date).holidays.get(date) ?? NYSE_SPECIAL_CLOSURES.get(date);
  }

  /** Validates `date` and its year range; returns its epoch day. */
  #epochDay(date: string): number {
    const { year } = parseIsoDate(date);
    if (year < FIRST_CALENDAR_YEAR || year > LAST_CALENDAR_YEAR) {
      throw new RangeError(`${date} is outside the NYSE calendar's supported years ${FIRST_CALENDAR_YEAR}–${LAST_CALENDAR_YEAR}`);
    }
    return epochDayOf(date);
  }

  #year(date: string): YearTable {
    const year = Number(date.slice(0, 4));
    let table = this.#years.get(year);
    if (table === undefined) {
      table = {
        holidays: new Map(nyseRuleHolidays(year).map((e) => [e.date, e.name])),
        earlyCloses: new Map(nyseRuleEarlyCloses(year).map((e) => [e.date, e.name])),
      };
      this.#years.set(year, table);
    }
    return table;
  }
}

function checkedDates(field: string, dates: readonly string[] | undefined): ReadonlySet<string> {
  for (const date of dates ?? []) {
    try {
      parseIsoDate(date);
    } catch (e) {
      throw new RangeError(`calendar override ${field}: ${(e as Error).message}`);
    }
  }
  return new Set(dates ?? []);
}
