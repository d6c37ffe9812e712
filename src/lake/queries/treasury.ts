/** The query of the lake's treasury-yields dataset (src/options/rates/treasury-store.ts). Pure: SQL text only. */
import { lit } from '../sql.js';

/** One row per published date, oldest first: `date` (VARCHAR) and the given yield columns. */
export function treasuryYieldsSql(glob: string, fields: readonly string[]): string {
  return `SELECT CAST(date AS VARCHAR) AS date, ${fields.join(', ')} FROM read_parquet(${lit(glob)}, hive_partitioning = true) ORDER BY date`;
}
