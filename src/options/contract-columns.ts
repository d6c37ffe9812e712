/**
 * Decoded OPRA contract columns added to every options dataset while it
 * streams: `underlying`, `root`, `expiry` (date), `right` (C/P), `strike`,
 * `adjusted`. A ticker that does not decode rejects its row with the reason.
 * Pure.
 */
import type { Column, ColumnSpec } from '../formats/columns.js';
import type { DerivedBuilders, DerivedColumns } from '../formats/csv/parser.js';
import { decodeOpra, decodeOpraBytes, underlyingOfRoot } from '../formats/opra.js';

export const OPTION_CONTRACT_COLUMNS: readonly ColumnSpec[] = [
  { name: 'underlying', type: 'utf8', nullable: false, doc: 'underlying symbol of the root (SPXW → SPX; GOOG1 → GOOG)' },
  { name: 'root', type: 'utf8', nullable: false, doc: 'option root as listed' },
  { name: 'expiry', type: 'date32', nullable: false },
  { name: 'right', type: 'utf8', nullable: false, doc: 'C or P' },
  { name: 'strike', type: 'float64', nullable: false, doc: 'strike field / 1000' },
  { name: 'adjusted', type: 'bool', nullable: false, doc: 'root ends in a digit: non-standard deliverable' },
];

const enc = new TextEncoder();
const C = enc.encode('C'), P = enc.encode('P');

class ContractBuilders implements DerivedBuilders {
  private underlying: string[] = [];
  private root: string[] = [];
  private expiry: Int32Array;
  private right: Uint8Array;
  private strike: Float64Array;
  private adjusted: Uint8Array;
  constructor(capacity: number) {
    this.expiry = new Int32Array(capacity);
    this.right = new Uint8Array(capacity);
    this.strike = new Float64Array(capacity);
    this.adjusted = new Uint8Array(capacity);
  }
  fill(row: number, buf: Uint8Array, start: number, end: number): string | undefined {
    const r = decodeOpraBytes(buf, start, end);
    if (!r.ok) return `bad OPRA ticker: ${r.reason}`;
    const c = r.contract;
    this.root[row] = c.root;
    this.underlying[row] = underlyingOfRoot(c.root);
    this.expiry[row] = c.expiryDays;
    this.right[row] = c.right === 'C' ? 1 : 0;
    this.strike[row] = c.strike;
    this.adjusted[row] = c.adjusted ? 1 : 0;
    return undefined;
  }
  finish(rows: number): Column[] {
    const cols: Column[] = [
      utf8Column(this.underlying, rows),
      utf8Column(this.root, rows),
      { type: 'date32', values: this.expiry.slice(0, rows) },
      rightColumn(this.right, rows),
      { type: 'float64', values: this.strike.slice(0, rows) },
      { type: 'bool', values: this.adjusted.slice(0, rows) },
    ];
    this.underlying = [];
    this.root = [];
    return cols;
  }
}

function utf8Column(values: readonly string[], rows: number): Column {
  const offsets = new Int32Array(rows + 1);
  const parts: Uint8Array[] = [];
  let total = 0;
  let last: string | undefined, lastBytes = new Uint8Array(0);
  for (let i = 0; i < rows; i++) {
    const v = values[i]!;
    if (v !== last) { lastBytes = enc.encode(v); last = v; }
    parts.push(lastBytes);
    total += lastBytes.length;
    offsets[i + 1] = total;
  }
  const bytes = new Uint8Array(total);
  let at = 0;
  for (const p of parts) { bytes.set(p, at); at += p.length; }
  return { type: 'utf8', offsets, bytes };
}

function rightColumn(right: Uint8Array, rows: number): Column {
  const offsets = new Int32Array(rows + 1);
  const bytes = new Uint8Array(rows);
  for (let i = 0; i < rows; i++) { bytes[i] = right[i] ? C[0]! : P[0]!; offsets[i + 1] = i + 1; }
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
