/**
 * The feature policy: every setting that changes the values of a feature row,
 * as one canonical JSON object, and its `policy_id` (the first 16 hex digits
 * of the SHA-256 of that JSON). Every feature partition in the lake records
 * both (Parquet key-value metadata `gammaflow.policy_id` / `gammaflow.policy`,
 * and the manifest `filter`), so rows computed under different settings are
 * never mixed silently in one partition: a writer compares its policy with the
 * partition's and names the keys that differ (policyDifferences).
 *
 * In the policy: the window size of the partition, the session, the contract
 * size, the r/q source (constant risk_free_rate and dividend_yield), the
 * greeks' limits (staleness of the underlying, time to expiry, IV bounds,
 * gadvv scale, adjusted contracts), every condition set, corrections, the
 * extra option roots, and, only when the rows carry the aggression columns,
 * the aggression settings (fallback, quote staleness; the adaptive bounds
 * only in adaptive mode). Durations are normalised to milliseconds and
 * condition/root lists sorted and deduplicated, so "60s" and "1m", or the
 * same codes in another order, give the same policy.
 *
 * Not in it (they do not change how a row is computed from its events): the
 * realtime timing keys (allowed_lateness, late_policy, quiet_close_ms), the
 * symbol (it is the partition's key), the other window sizes of the run,
 * storage and I/O settings.
 *
 * Pure: no I/O.
 */
import { createHash } from 'node:crypto';
import { parseDurationMs } from '../calendar/durations.js';
import type { SessionKind } from '../calendar/index.js';
import type { AggregationsConfig } from '../config/schema.js';

export type PolicyValue = string | number | boolean | readonly number[] | readonly string[];

/** The settings of one feature partition, keys sorted. */
export type FeaturePolicySettings = Readonly<Record<string, PolicyValue>>;

export interface FeaturePolicy {
  /** 16 hex digits: sha256 of `json`. */
  readonly id: string;
  /** Canonical JSON of `settings` (keys sorted). */
  readonly json: string;
  readonly settings: FeaturePolicySettings;
}

export interface FeaturePolicyInput {
  readonly aggregations: AggregationsConfig;
  /** The partition's window size label, e.g. '5m'. */
  readonly window: string;
  readonly session: SessionKind;
  /** Whether the rows carry the aggression columns. */
  readonly aggression: boolean;
}

const sortedNumbers = (xs: readonly number[]): number[] => [...new Set(xs)].sort((a, b) => a - b);
const sortedStrings = (xs: readonly string[]): string[] => [...new Set(xs)].sort();

/** The policy of one (window size, session, aggression) under these aggregation settings. */
export function featurePolicy(input: FeaturePolicyInput): FeaturePolicy {
  const a = input.aggregations;
  const settings: Record<string, PolicyValue> = {
    window_ms: parseDurationMs(input.window),
    session: input.session,
    contract_size: a.contract_size,
    risk_free_rate: a.risk_free_rate,
    dividend_yield: a.dividend_yield,
    // Per-symbol yields: the whole table (the policy does not know the symbol; a change to any entry is a change).
    dividend_yields: Object.entries(a.dividend_yields ?? {}).map(([sym, q]) => `${sym}=${q}`).sort(),
    max_underlying_staleness_ms: parseDurationMs(a.max_underlying_staleness),
    min_time_to_expiry_ms: parseDurationMs(a.min_time_to_expiry),
    min_iv: a.min_iv,
    max_iv: a.max_iv,
    gadvv_scale: a.gadvv_scale,
    include_adjusted: a.include_adjusted,
    include_corrections: a.include_corrections,
    exclude_conditions_high_low: sortedNumbers(a.exclude_conditions_high_low),
    exclude_conditions_open_close: sortedNumbers(a.exclude_conditions_open_close),
    exclude_conditions_volume: sortedNumbers(a.exclude_conditions_volume),
    exclude_option_conditions: sortedNumbers(a.exclude_option_conditions),
    option_roots: sortedStrings(a.option_roots),
    aggression: input.aggression,
  };
  if (input.aggression) {
    settings.aggression_fallback = a.aggression_fallback;
    settings.max_quote_staleness_ms = parseDurationMs(a.max_quote_staleness);
    settings.quote_staleness_mode = a.quote_staleness_mode;
    if (a.quote_staleness_mode === 'adaptive') {
      settings.adaptive_staleness_min_ms = parseDurationMs(a.adaptive_staleness_min);
      settings.adaptive_staleness_max_ms = parseDurationMs(a.adaptive_staleness_max);
    }
  }
  return policyOf(settings);
}

/** The policy of already normalised settings (keys are sorted here). */
export function policyOf(settings: FeaturePolicySettings): FeaturePolicy {
  const sorted = Object.fromEntries(Object.keys(settings).sort().map((k) => [k, settings[k]!]));
  const json = JSON.stringify(sorted);
  return { id: createHash('sha256').update(json).digest('hex').slice(0, 16), json, settings: sorted };
}

/** A policy read back from its JSON (lake metadata or manifest), or undefined when the text is not one. */
export function parsePolicy(json: string | undefined): FeaturePolicy | undefined {
  if (json === undefined) return undefined;
  try {
    const value = JSON.parse(json) as unknown;
    if (value === null || typeof value !== 'object' || Array.isArray(value)) return undefined;
    const settings = (value as { policy?: unknown }).policy ?? value;
    if (settings === null || typeof settings !== 'object' || Array.isArray(settings)) return undefined;
    if (!('window_ms' in settings)) return undefined;
    return policyOf(settings as FeaturePolicySettings);
  } catch {
    return undefined;
  }
}

/** One differing setting: its value in the existing partition and in the new run (undefined = absent). */
export interface PolicyDifference {
  readonly key: string;
  readonly existing: PolicyValue | undefined;
  readonly requested: PolicyValue | undefined;
}

/** The keys whose values differ between two policies, sorted by key. */
export function policyDifferences(existing: FeaturePolicy, requested: FeaturePolicy): PolicyDifference[] {
  const keys = [...new Set([...Object.keys(existing.settings), ...Object.keys(requested.settings)])].sort();
  const out: PolicyDifference[] = [];
  for (const key of keys) {
    const a = existing.settings[key], b = requested.settings[key];
    if (JSON.stringify(a) !== JSON.stringify(b)) out.push({ key, existing: a, requested: b });
  }
  return out;
}

/** "session: regular → all; contract_size: 100 → 10" */
export function describePolicyDifferences(diffs: readonly PolicyDifference[]): string {
  const show = (v: PolicyValue | undefined): string => (v === undefined ? '(absent)' : JSON.stringify(v));
  return diffs.map((d) => `${d.key}: ${show(d.existing)} → ${show(d.requested)}`).join('; ');
}
