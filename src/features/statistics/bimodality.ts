/**
 * Sarle's bimodality coefficient BC = (G1² + 1) / (G2 + 3(n−1)²/((n−2)(n−3))),
 * from the bias-corrected skewness G1 and excess kurtosis G2 (moments.ts).
 * Values above 5/9 (the uniform distribution's BC) suggest bi- or multimodality.
 */

/** BC from G1, G2 and n; NaN when n < 4 or either moment is NaN. */
export function bimodalityCoefficient(skewG1: number, excessKurtosisG2: number, n: number): number {
  if (n < 4) return NaN;
  return (skewG1 * skewG1 + 1) / (excessKurtosisG2 + (3 * (n - 1) * (n - 1)) / ((n - 2) * (n - 3)));
}
