/** `gammaflow rates`: Treasury yields from Massive's REST API → LAKE/treasury-yields. Argument handling only. */
import { parseCommand, requireDateRange } from './args.js';
import { EXIT_OK } from './report.js';
import { lakeOption, loadCliConfig } from './common.js';
import { withRunUi } from './run-ui.js';
import { restClientFromConfig } from '../sources/rest/from-config.js';
import { runRates } from '../options/rates/rates-job.js';
import { VERSION } from './version.js';

export const RATES_HELP = `gammaflow rates --from YYYY-MM-DD --to YYYY-MM-DD [options]

Stores the US Treasury constant-maturity yields (1 month to 30 years, percent) published in that range
(Massive's /fed/v1/treasury-yields) in LAKE/treasury-yields/date=YYYY-MM-DD/. With
[aggregations] risk_free_rate = "treasury", greeks then price each trade with the continuously
compounded rate at its time to expiry from the latest date on or before the trade (docs/greeks.md).

  --from, --to DATE      calendar dates (yields exist for US business days)
  --lake DIR             lake directory (default: storage.lake, ./lake)
  --force                rewrite dates already stored with the same values
  --config FILE          config file (default ./config.toml)
  --no-tui               plain progress lines instead of the dashboard
  --json                 machine-readable progress and results (JSON lines on stdout)

API key: MASSIVE_API_KEY or [massive] api_key (never logged).`;

export async function ratesCommand(argv: string[]): Promise<number> {
  const { values } = parseCommand('rates', argv, {
    from: { type: 'string' }, to: { type: 'string' }, lake: { type: 'string' }, config: { type: 'string' },
    force: { type: 'boolean', default: false }, 'no-tui': { type: 'boolean', default: false },
    json: { type: 'boolean', default: false }, help: { type: 'boolean', short: 'h' },
  });
  if (values.help) { process.stdout.write(RATES_HELP + '\n'); return EXIT_OK; }
  const { from, to } = requireDateRange(values);
  const { config, path: configPath } = await loadCliConfig(values.config, values.json);
  const lake = lakeOption(values.lake, config);
  const client = restClientFromConfig(config);
  const result = await withRunUi({ config, configPath, noTui: values['no-tui'], json: values.json }, async ({ tracker, signal }) => {
    const r = await runRates({ lake, from, to, client, force: values.force, zstdLevel: config.storage.zstd_level, tracker, signal, version: VERSION });
    if (values.json) process.stdout.write(JSON.stringify({ type: 'rates', from, to, stored: r.stored, unchanged: r.unchanged, dates: r.dates.length }) + '\n');
    return r;
  });
  return result.exitCode;
}
