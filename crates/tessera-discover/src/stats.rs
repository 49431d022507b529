//! The significance tests personas report, and the distributions they need.
//!
//! - **Welch's t-test** (unequal variances) for numeric features: the segment against the rest
//!   of the population, two-sided, with the Welch–Satterthwaite degrees of freedom — SciPy's
//!   `ttest_ind(a, b, equal_var=False)`.
//! - **Two-proportion z-test** (pooled) for 0/1 features: two-sided — statsmodels'
//!   `proportions_ztest` with its default pooled variance.
//!
//! The Student t CDF is the regularised incomplete beta function and the normal CDF the
//! complementary error function (a regularised incomplete gamma function), both by their
//! classic series and continued fractions (Numerical Recipes, 3rd ed., §6.2 and §6.4) with a
//! Lanczos log-gamma. `tests/reference/` checks them against SciPy to 1e-10.

use serde::Serialize;

/// Count, mean and sample variance (n − 1 in the denominator) of one group.
#[derive(Debug, Clone, Copy, PartialEq, Default, Serialize)]
pub struct Summary {
    pub n: f64,
    pub mean: f64,
    pub variance: f64,
}

impl Summary {
    /// Summarises values with Welford's update (stable for large, similar numbers). NaN
    /// values are skipped: they are missing.
    pub fn of(values: impl IntoIterator<Item = f64>) -> Summary {
        let (mut n, mut mean, mut m2) = (0.0, 0.0, 0.0);
        for x in values.into_iter().filter(|x| !x.is_nan()) {
            n += 1.0;
            let delta = x - mean;
            mean += delta / n;
            m2 += delta * (x - mean);
        }
        Summary {
            n,
            mean: if n > 0.0 { mean } else { f64::NAN },
            variance: if n > 1.0 { m2 / (n - 1.0) } else { f64::NAN },
        }
    }
}

/// A test statistic and its two-sided p-value.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Test {
    pub statistic: f64,
    /// Degrees of freedom (Welch's t-test only).
    pub df: Option<f64>,
    pub p_value: f64,
}

/// Welch's two-sided t-test of `a` against `b`; `None` when a group has fewer than two values
/// or both groups are constant (the statistic is undefined).
pub fn welch_t_test(a: Summary, b: Summary) -> Option<Test> {
    if a.n < 2.0 || b.n < 2.0 {
        return None;
    }
    let (va, vb) = (a.variance / a.n, b.variance / b.n);
    let se2 = va + vb;
    if se2 <= 0.0 || !se2.is_finite() {
        return None;
    }
    let t = (a.mean - b.mean) / se2.sqrt();
    let df = se2 * se2 / (va * va / (a.n - 1.0) + vb * vb / (b.n - 1.0));
    Some(Test {
        statistic: t,
        df: Some(df),
        p_value: student_t_two_sided(t, df),
    })
}

/// The pooled two-proportion z-test of `x1` successes in `n1` against `x2` in `n2`; `None`
/// when a group is empty or the pooled proportion is 0 or 1.
pub fn two_proportion_z_test(x1: f64, n1: f64, x2: f64, n2: f64) -> Option<Test> {
    if n1 <= 0.0 || n2 <= 0.0 {
        return None;
    }
    let pooled = (x1 + x2) / (n1 + n2);
    let se = (pooled * (1.0 - pooled) * (1.0 / n1 + 1.0 / n2)).sqrt();
    if se <= 0.0 || !se.is_finite() {
        return None;
    }
    let z = (x1 / n1 - x2 / n2) / se;
    Some(Test {
        statistic: z,
        df: None,
        p_value: normal_two_sided(z),
    })
}

/// P(|T| ≥ |t|) for Student's t with `df` degrees of freedom.
pub fn student_t_two_sided(t: f64, df: f64) -> f64 {
    if t.is_nan() || df.is_nan() || df <= 0.0 {
        return f64::NAN;
    }
    if t.is_infinite() {
        return 0.0;
    }
    incomplete_beta(df / 2.0, 0.5, df / (df + t * t))
}

/// The CDF of Student's t.
pub fn student_t_cdf(t: f64, df: f64) -> f64 {
    let tail = student_t_two_sided(t, df) / 2.0;
    if t >= 0.0 {
        1.0 - tail
    } else {
        tail
    }
}

/// P(|Z| ≥ |z|) for a standard normal Z.
pub fn normal_two_sided(z: f64) -> f64 {
    erfc(z.abs() / std::f64::consts::SQRT_2)
}

/// The standard normal CDF, accurate in both tails.
pub fn normal_cdf(z: f64) -> f64 {
    0.5 * erfc(-z / std::f64::consts::SQRT_2)
}

/// The complementary error function, `Q(1/2, x²)` for x ≥ 0.
pub fn erfc(x: f64) -> f64 {
    if x.is_nan() {
        return f64::NAN;
    }
    if x < 0.0 {
        return 2.0 - erfc(-x);
    }
    upper_incomplete_gamma(0.5, x * x)
}

/// ln Γ(x) for x > 0 (Lanczos, g = 7, n = 9; relative error about 1e-15).
pub fn ln_gamma(x: f64) -> f64 {
    const G: f64 = 7.0;
    const C: [f64; 9] = [
        0.999_999_999_999_809_9,
        676.520_368_121_885_1,
        -1_259.139_216_722_402_8,
        771.323_428_777_653_1,
        -176.615_029_162_140_6,
        12.507_343_278_686_905,
        -0.138_571_095_265_720_12,
        9.984_369_578_019_572e-6,
        1.505_632_735_149_311_6e-7,
    ];
    if x < 0.5 {
        // Reflection: Γ(x)Γ(1 − x) = π / sin(πx).
        let pi = std::f64::consts::PI;
        return (pi / (pi * x).sin()).abs().ln() - ln_gamma(1.0 - x);
    }
    let x = x - 1.0;
    let mut sum = C[0];
    for (i, c) in C.iter().enumerate().skip(1) {
        sum += c / (x + i as f64);
    }
    let t = x + G + 0.5;
    0.5 * (2.0 * std::f64::consts::PI).ln() + (x + 0.5) * t.ln() - t + sum.ln()
}

const EPS: f64 = 1e-16;
const TINY: f64 = 1e-300;
const MAX_ITER: usize = 100_000;

/// The regularised incomplete beta function I_x(a, b).
pub fn incomplete_beta(a: f64, b: f64, x: f64) -> f64 {
    if x <= 0.0 {
        return 0.0;
    }
    if x >= 1.0 {
        return 1.0;
    }
    let ln_front = ln_gamma(a + b) - ln_gamma(a) - ln_gamma(b) + a * x.ln() + b * (1.0 - x).ln();
    // The continued fraction converges fast below the mean; use the symmetry above it.
    if x < (a + 1.0) / (a + b + 2.0) {
        ln_front.exp() * beta_fraction(a, b, x) / a
    } else {
        1.0 - ln_front.exp() * beta_fraction(b, a, 1.0 - x) / b
    }
}

/// The continued fraction of the incomplete beta function (modified Lentz).
fn beta_fraction(a: f64, b: f64, x: f64) -> f64 {
    let (qab, qap, qam) = (a + b, a + 1.0, a - 1.0);
    let mut c = 1.0;
    let mut d = 1.0 - qab * x / qap;
    if d.abs() < TINY {
        d = TINY;
    }
    d = 1.0 / d;
    let mut h = d;
    for m in 1..MAX_ITER {
        let m = m as f64;
        let m2 = 2.0 * m;
        let aa = m * (b - m) * x / ((qam + m2) * (a + m2));
        d = 1.0 + aa * d;
        if d.abs() < TINY {
            d = TINY;
        }
        c = 1.0 + aa / c;
        if c.abs() < TINY {
            c = TINY;
        }
        d = 1.0 / d;
        h *= d * c;
        let aa = -(a + m) * (qab + m) * x / ((a + m2) * (qap + m2));
        d = 1.0 + aa * d;
        if d.abs() < TINY {
            d = TINY;
        }
        c = 1.0 + aa / c;
        if c.abs() < TINY {
            c = TINY;
        }
        d = 1.0 / d;
        let delta = d * c;
        h *= delta;
        if (delta - 1.0).abs() < EPS {
            break;
        }
    }
    h
}

/// The regularised upper incomplete gamma function Q(a, x).
fn upper_incomplete_gamma(a: f64, x: f64) -> f64 {
    if x <= 0.0 {
        return 1.0;
    }
    let ln_front = -x + a * x.ln() - ln_gamma(a);
    if x < a + 1.0 {
        // Series for P(a, x), then Q = 1 − P.
        let (mut ap, mut sum) = (a, 1.0 / a);
        let mut del = sum;
        for _ in 0..MAX_ITER {
            ap += 1.0;
            del *= x / ap;
            sum += del;
            if del.abs() < sum.abs() * EPS {
                break;
            }
        }
        1.0 - sum * ln_front.exp()
    } else {
        // Continued fraction for Q (modified Lentz).
        let mut b = x + 1.0 - a;
        let mut c = 1.0 / TINY;
        let mut d = 1.0 / b;
        let mut h = d;
        for i in 1..MAX_ITER {
            let an = -(i as f64) * (i as f64 - a);
            b += 2.0;
            d = an * d + b;
            if d.abs() < TINY {
                d = TINY;
            }
            c = b + an / c;
            if c.abs() < TINY {
                c = TINY;
            }
            d = 1.0 / d;
            let delta = d * c;
            h *= delta;
            if (delta - 1.0).abs() < EPS {
                break;
            }
        }
        ln_front.exp() * h
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn close(a: f64, b: f64, rel: f64) -> bool {
        (a - b).abs() <= rel * b.abs().max(1e-300)
    }

    #[test]
    fn known_values() {
        // Γ(5) = 24, Γ(1/2) = √π.
        assert!(close(ln_gamma(5.0), 24f64.ln(), 1e-14));
        assert!(close(
            ln_gamma(0.5),
            std::f64::consts::PI.sqrt().ln(),
            1e-14
        ));
        // Φ(1.96) = 0.9750021048517795 (textbook tables to 7 places: 0.9750021).
        assert!(close(normal_cdf(1.96), 0.975_002_104_851_779_5, 1e-13));
        assert!(close(normal_cdf(0.0), 0.5, 1e-15));
        // t with 1 df is Cauchy: P(T ≤ 1) = 3/4.
        assert!(close(student_t_cdf(1.0, 1.0), 0.75, 1e-13));
        // With 2 df, P(T ≤ t) = 1/2 + t / (2 √(t² + 2)).
        let t = 1.5f64;
        assert!(close(
            student_t_cdf(t, 2.0),
            0.5 + t / (2.0 * (t * t + 2.0).sqrt()),
            1e-13
        ));
    }

    #[test]
    fn summaries_skip_missing_values() {
        let s = Summary::of([1.0, f64::NAN, 2.0, 3.0, 4.0]);
        assert_eq!(s.n, 4.0);
        assert!(close(s.mean, 2.5, 1e-15));
        assert!(close(s.variance, 5.0 / 3.0, 1e-15));
        assert!(Summary::of([f64::NAN]).mean.is_nan());
    }

    #[test]
    fn degenerate_tests_have_no_result() {
        let constant = Summary::of([1.0, 1.0, 1.0]);
        assert_eq!(welch_t_test(constant, constant), None);
        assert_eq!(welch_t_test(Summary::of([1.0]), constant), None);
        assert_eq!(two_proportion_z_test(0.0, 10.0, 0.0, 20.0), None);
        assert_eq!(two_proportion_z_test(1.0, 0.0, 0.0, 20.0), None);
    }
}
