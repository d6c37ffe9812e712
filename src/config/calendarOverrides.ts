/** `[calendar]` section → NyseCalendar overrides. */
import type { CalendarOverrides } from '../calendar/nyse.js';
import type { CalendarConfig } from './schema.js';

/** The NyseCalendar overrides a `[calendar]` section asks for: `new NyseCalendar(calendarOverrides(cfg.calendar))`. */
export function calendarOverrides(calendar: CalendarConfig): CalendarOverrides {
  return { holidays: [...calendar.holidays], halfDays: [...calendar.half_days], tradingDays: [...calendar.trading_days] };
}
