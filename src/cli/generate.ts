/** `gammaflow generate`: a deterministic synthetic trading day in Massive's exact flat-file format. */
import { parseCommand, requireDate } from './args.js';
import { EXIT_OK, UsageError } from './report.js';
import { generateDay } from '../demo/generateDay.js';

export const GENERATE_HELP = `gammaflow generate --out DIR [--date YYYY-MM-DD] [options]

Writes a synthetic trading day in Massive's flat-file layout and formats under DIR
(DIR/us_stocks_sip/trades_v1/YYYY/MM/DATE.csv.gz, options trades and quotes), so that
every command can be tried without credentials: gammaflow ingest --source local:DIR ...

  --date DATE         trading day (default 2025-11-07)
  --seed N            PRNG seed (default 1); same seed, same bytes
  --tickers N         stocks besides SPY (default 300)
  --spy-trades N      SPY trades (default 100000)
  --option-trades N   option trades (default 50000); 0 for stocks only
  --ms                millisecond timestamps (as the realtime feed carries)
  --half-day          early close at 13:00 New York`;

export async function generateCommand(argv: string[]): Promise<number> {
  const { values } = parseCommand('generate', argv, {
    out: { type: 'string' }, date: { type: 'string' }, seed: { type: 'string' }, tickers: { type: 'string' },
    'spy-trades': { type: 'string' }, 'option-trades': { type: 'string' }, ms: { type: 'boolean', default: false },
    'half-day': { type: 'boolean', default: false }, help: { type: 'boolean', short: 'h' },
  });
  if (values.help) { process.stdout.write(GENERATE_HELP + '\n'); return EXIT_OK; }
  if (!values.out) throw new UsageError('--out DIR is required');
  const date = requireDate('date', values.date ?? '2025-11-07');
  const int = (name: string, v: string | undefined): number | undefined => {
    if (v === undefined) return undefined;
    const n = Number(v);
    if (!Number.isInteger(n) || n < 0) throw new UsageError(`--${name} must be a non-negative integer, got "${v}"`);
    return n;
  };
  const optionTrades = int('option-trades', values['option-trades']);
  const seed = int('seed', values.seed), tickers = int('tickers', values.tickers), spyTrades = int('spy-trades', values['spy-trades']);
  const started = Date.now();
  const day = await generateDay(values.out, {
    date,
    ...(seed !== undefined ? { seed } : {}),
    ...(tickers !== undefined ? { tickers } : {}),
    ...(spyTrades !== undefined ? { spyTrades } : {}),
    timestampPrecision: values.ms ? 'ms' : 'ns',
    halfDay: values['half-day'],
    options: optionTrades === 0 ? false : { ...(optionTrades !== undefined ? { trades: optionTrades } : {}) },
  });
  for (const f of day.files) {
    process.stdout.write(`${f.dataset.padEnd(15)} ${f.rows.toLocaleString('en-US').padStart(11)} rows  ${(f.bytes / 1e6).toFixed(1).padStart(7)} MB  ${f.path}\n`);
  }
  if (day.truthPath) process.stdout.write(`truth (generating volatilities, true sides): ${day.truthPath}\n`);
  process.stdout.write(`generated ${date} in ${((Date.now() - started) / 1000).toFixed(1)} s\n`);
  return EXIT_OK;
}
