/**
 * Decoded OPRA contract columns added to every options dataset while it
 * streams: `underlying`, `root`, `expiry` (date), `right` (C/P), `strike`,
 * `adjusted`. A ticker that does not decode rejects its row with the reason.
 * Pure.
 */
import type { Column, ColumnSpec } from '../formats/columns.js';
import type { DerivedBuilders, DerivedColumns } from '../formats/csv/parser.js';
import { decodeOpra, decodeOpraBytes, underlyingOfRoot } from '../formats/opra.js';
import { LastBytes } from '../formats/bytes.js';

export const OPTION_CONTRACT_COLUMNS: readonly ColumnSpec[] = [
  { name: 'underlying', type: 'utf8', nullable: false, doc: 'underlying symbol of the root (SPXW → SPX; GOOG1 → GOOG)' },
  { name: 'root', type: 'utf8', nullable: false, doc: 'option root as listed' },
  { name: 'expiry', type: 'date32', nullable: false },
  { name: 'right', type: 'utf8', nullable: false, doc: 'C or P' },
  { name: 'strike', type: 'float64', nullable: false, doc: 'strike field / 1000' },
  { name: 'adjusted', type: 'bool', nullable: false, doc: 'root ends in a digit: non-standard deliverable' },
];

const enc = new TextEncoder();
const C = 67, P = 80; // 'C', 'P'

/** One distinct contract of a batch, its strings already encoded. */
interface ContractEntry {
  readonly underlying: Uint8Array;
  readonly root: Uint8Array;
  readonly expiryDays: number;
  readonly right: number;
  readonly strike: number;
  readonly adjusted: number;
}

/**
 * Flat files hold each contract's rows together (sorted by ticker, then time): a row whose
 * ticker bytes equal the previous row's reuses its decoded contract, so a ticker is decoded
 * once per run of rows, and each row stores only an index into the batch's contract table.
 */
class ContractBuilders implements DerivedBuilders {
  private ids: Int32Array;
  private table: ContractEntry[] = [];
  private readonly lastTicker = new LastBytes();
  constructor(capacity: number) {
    this.ids = new Int32Array(capacity);
  }
  fill(row: number, buf: Uint8Array, start: number, end: number): string | undefined {
    if (this.lastTicker.matches(buf, start, end)) {
      this.ids[row] = this.table.length - 1;
      return undefined;
    }
    const r = decodeOpraBytes(buf, start, end);
    if (!r.ok) {
      this.lastTicker.forget();
      return `bad OPRA ticker: ${r.reason}`;
    }
    const c = r.contract;
    this.table.push({
      underlying: enc.encode(underlyingOfRoot(c.root)), root: enc.encode(c.root), expiryDays: c.expiryDays,
      right: c.right === 'C' ? C : P, strike: c.strike, adjusted: c.adjusted ? 1 : 0,
    });
    this.lastTicker.remember(buf, start, end);
    this.ids[row] = this.table.length - 1;
    return undefined;
  }
  finish(rows: number): Column[] {
    const { ids, table } = this;
    const expiry = new Int32Array(rows), strike = new Float64Array(rows), adjusted = new Uint8Array(rows);
    for (let i = 0; i < rows; i++) {
      const e = table[ids[i]!]!;
      expiry[i] = e.expiryDays;
      strike[i] = e.strike;
      adjusted[i] = e.adjusted;
    }
    const cols: Column[] = [
      utf8Column(ids, table, rows, (e) => e.underlying),
      utf8Column(ids, table, rows, (e) => e.root),
      { type: 'date32', values: expiry },
      rightColumn(ids, table, rows),
      { type: 'float64', values: strike },
      { type: 'bool', values: adjusted },
    ];
    // The next batch starts a new table: forget the cached ticker.
    this.table = [];
    this.lastTicker.forget();
    return cols;
  }
}

function utf8Column(ids: Int32Array, table: readonly ContractEntry[], rows: number, field: (e: ContractEntry) => Uint8Array): Column {
  const offsets = new Int32Array(rows + 1);
  let total = 0;
  for (let i = 0; i < rows; i++) {
    total += field(table[ids[i]!]!).length;
    offsets[i + 1] = total;
  }
  const bytes = new Uint8Array(total);
  for (let i = 0; i < rows; i++) {
    const v = field(table[ids[i]!]!);
    const at = offsets[i]!;
    for (let k = 0; k < v.length; k++) bytes[at + k] = v[k]!;
  }
  return { type: 'utf8', offsets, bytes };
}

function rightColumn(ids: Int32Array, table: readonly ContractEntry[], rows: number): Column {
  const offsets = new Int32Array(rows + 1);
  const bytes = new Uint8Array(rows);
  for (let i = 0; i < rows; i++) { bytes[i] = table[ids[i]!]!.right; offsets[i + 1] = i + 1; }
  return { type: 'utf8', offsets, bytes };
}

export function optionDerivedColumns(): DerivedColumns {
  return { specs: OPTION_CONTRACT_COLUMNS, createBuilders: (capacity) => new ContractBuilders(capacity) };
}

/**
 * Names an option ticker answers to in `--underlyings` filters: its root and
 * the root's underlying (`O:SPXW...` → ["SPXW", "SPX"]). Undefined when the
 * ticker does not decode: such rows are kept so they are quarantined with a
 * reason rather than dropped silently.
 */
export function optionTickerNames(ticker: string): string[] | undefined {
  const r = decodeOpra(ticker);
  if (!r.ok) return undefined;
  return [r.contract.root, underlyingOfRoot(r.contract.root)];
}
