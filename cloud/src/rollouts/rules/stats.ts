/**
 * The few distributions the health gate needs. No statistics package is installed or installable
 * offline here, so they are written out, each from a standard formula named beside it, and the tests
 * hold them to published values.
 */

// Lanczos approximation of ln Γ(x) with g = 7 and nine coefficients (Numerical Recipes 3rd ed. §6.1 and
// Godfrey's coefficients): about 15 significant digits for x ≥ 0.5.
const LANCZOS = [
  0.99999999999980993, 676.5203681218851, -1259.1392167224028, 771.32342877765313, -176.61502916214059,
  12.507343278686905, -0.13857109526572012, 9.9843695780195716e-6, 1.5056327351493116e-7,
];

export function lnGamma(x: number): number {
  if (x < 0.5) return Math.log(Math.PI / Math.sin(Math.PI * x)) - lnGamma(1 - x); // reflection formula
  const y = x - 1;
  let a = LANCZOS[0]!;
  for (let i = 1; i < LANCZOS.length; i++) a += LANCZOS[i]! / (y + i);
  const t = y + 7.5;
  return 0.5 * Math.log(2 * Math.PI) + (y + 0.5) * Math.log(t) - t + Math.log(a);
}

/** ln of the binomial coefficient C(n, k). */
export function lnChoose(n: number, k: number): number {
  return lnGamma(n + 1) - lnGamma(k + 1) - lnGamma(n - k + 1);
}

/** erfc by the Chebyshev fit of Numerical Recipes (§6.2, erfcc): fractional error below 1.2e-7 everywhere,
 *  so small upper-tail probabilities keep their relative accuracy. */
export function erfc(x: number): number {
  const z = Math.abs(x);
  const t = 1 / (1 + 0.5 * z);
  const poly =
    -1.26551223 +
    t *
      (1.00002368 +
        t *
          (0.37409196 +
            t *
              (0.09678418 +
                t *
                  (-0.18628806 +
                    t * (0.27886807 + t * (-1.13520398 + t * (1.48851587 + t * (-0.82215223 + t * 0.17087277))))))));
  const r = t * Math.exp(-z * z + poly);
  return x >= 0 ? r : 2 - r;
}

/** Φ(z), the standard normal CDF. */
export function normalCdf(z: number): number {
  return 0.5 * erfc(-z / Math.SQRT2);
}

/** 1 − Φ(z), computed directly so the far tail is not lost to cancellation. */
export function normalUpperTail(z: number): number {
  return 0.5 * erfc(z / Math.SQRT2);
}

/** P(X ≥ k) for X hypergeometric: `draws` taken without replacement from `population` holding `successes`. */
export function hypergeometricUpperTail(k: number, population: number, successes: number, draws: number): number {
  const lo = Math.max(0, draws + successes - population);
  const hi = Math.min(draws, successes);
  if (k <= lo) return 1;
  if (k > hi) return 0;
  const denominator = lnChoose(population, draws);
  let sum = 0;
  for (let x = k; x <= hi; x++) {
    sum += Math.exp(lnChoose(successes, x) + lnChoose(population - successes, draws - x) - denominator);
  }
  return Math.min(1, sum);
}

/** P(X ≥ k) for X ~ Binomial(n, p), summed from k upward with the ratio of successive terms. */
export function binomialUpperTail(k: number, n: number, p: number): number {
  if (k <= 0) return 1;
  if (k > n || p <= 0) return 0;
  if (p >= 1) return 1;
  let term = Math.exp(lnChoose(n, k) + k * Math.log(p) + (n - k) * Math.log1p(-p));
  let sum = term;
  const odds = p / (1 - p);
  for (let x = k; x < n; x++) {
    term *= ((n - x) / (x + 1)) * odds;
    sum += term;
    // Past the mode the terms only shrink: stop once they no longer change the sum.
    if (x > n * p && term < sum * 1e-17) break;
  }
  return Math.min(1, sum);
}

/** One-sided Fisher exact test on the 2×2 table [[a, b], [c, d]]: P(A ≥ a) with the margins fixed, i.e.
 *  the chance that row 1 holds at least `a` of column 1's count if both rows share one rate. */
export function fisherExactGreater(a: number, b: number, c: number, d: number): number {
  return hypergeometricUpperTail(a, a + b + c + d, a + c, a + b);
}

/** One-sided pooled two-proportion z-test: p-value for "x1/n1 is greater than x2/n2". */
export function twoProportionGreater(x1: number, n1: number, x2: number, n2: number): number {
  const pooled = (x1 + x2) / (n1 + n2);
  const se = Math.sqrt(pooled * (1 - pooled) * (1 / n1 + 1 / n2));
  if (se === 0) return 1;
  return normalUpperTail((x1 / n1 - x2 / n2) / se);
}

/** One-sided test that Poisson rate 1 (x1 events in exposure t1) exceeds rate 2 (x2 in t2): conditional on
 *  x1 + x2 events, x1 is Binomial(x1 + x2, t1 / (t1 + t2)) when the rates are equal (Przyborowski and
 *  Wilenski's conditional test). */
export function poissonRateGreater(x1: number, t1: number, x2: number, t2: number): number {
  return binomialUpperTail(x1, x1 + x2, t1 / (t1 + t2));
}
