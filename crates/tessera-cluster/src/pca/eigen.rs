//! Eigen decomposition of a small symmetric matrix by cyclic Jacobi rotations.
//!
//! Chosen over a linear-algebra dependency because PCA here only ever diagonalises a d × d
//! covariance (d = number of profile features, tens at most): Jacobi is short, needs no
//! tuning, and is accurate to rounding even for tiny eigenvalues. It costs O(d³) per sweep and
//! converges quadratically, so d up to a few hundred is fine.

/// Eigenvalues (descending) and matching unit eigenvectors (`vectors[i]` goes with
/// `values[i]`) of the symmetric `d × d` row-major matrix `a`.
pub(crate) fn symmetric_eigen(mut a: Vec<f64>, d: usize) -> (Vec<f64>, Vec<Vec<f64>>) {
    let mut v = vec![0.0; d * d];
    (0..d).for_each(|i| v[i * d + i] = 1.0);
    for _sweep in 0..100 {
        let off: f64 = (0..d)
            .flat_map(|p| (p + 1..d).map(move |q| (p, q)))
            .map(|(p, q)| a[p * d + q].powi(2))
            .sum();
        let diagonal: f64 = (0..d).map(|i| a[i * d + i].powi(2)).sum();
        if off == 0.0 || off <= 1e-32 * diagonal {
            break;
        }
        for p in 0..d {
            for q in p + 1..d {
                let apq = a[p * d + q];
                if apq == 0.0 {
                    continue;
                }
                let theta = (a[q * d + q] - a[p * d + p]) / (2.0 * apq);
                // tan of the rotation angle, the smaller root of t² + 2θt − 1 = 0.
                let t = if theta.abs() > 1e150 {
                    0.5 / theta
                } else {
                    theta.signum() / (theta.abs() + (theta * theta + 1.0).sqrt())
                };
                let c = 1.0 / (t * t + 1.0).sqrt();
                let s = t * c;
                rotate(&mut a, d, p, q, c, s);
                for k in 0..d {
                    let (vkp, vkq) = (v[k * d + p], v[k * d + q]);
                    v[k * d + p] = c * vkp - s * vkq;
                    v[k * d + q] = s * vkp + c * vkq;
                }
            }
        }
    }
    let mut order: Vec<usize> = (0..d).collect();
    order.sort_by(|&i, &j| a[j * d + j].total_cmp(&a[i * d + i]));
    let values = order.iter().map(|&i| a[i * d + i]).collect();
    let vectors = order
        .iter()
        .map(|&i| (0..d).map(|k| v[k * d + i]).collect())
        .collect();
    (values, vectors)
}

/// `a ← Jᵀ a J` for the rotation in the (p, q) plane that zeroes `a[p][q]`.
fn rotate(a: &mut [f64], d: usize, p: usize, q: usize, c: f64, s: f64) {
    for k in 0..d {
        let (akp, akq) = (a[k * d + p], a[k * d + q]);
        a[k * d + p] = c * akp - s * akq;
        a[k * d + q] = s * akp + c * akq;
    }
    for k in 0..d {
        let (apk, aqk) = (a[p * d + k], a[q * d + k]);
        a[p * d + k] = c * apk - s * aqk;
        a[q * d + k] = s * apk + c * aqk;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decomposes_a_known_matrix() {
        // [[2, 1], [1, 2]]: eigenvalues 3 and 1, eigenvectors (1, 1)/√2 and (1, −1)/√2.
        let (values, vectors) = symmetric_eigen(vec![2.0, 1.0, 1.0, 2.0], 2);
        assert!((values[0] - 3.0).abs() < 1e-14 && (values[1] - 1.0).abs() < 1e-14);
        let h = std::f64::consts::FRAC_1_SQRT_2;
        assert!((vectors[0][0].abs() - h).abs() < 1e-14);
        assert!((vectors[0][0] - vectors[0][1]).abs() < 1e-14);
        assert!((vectors[1][0] + vectors[1][1]).abs() < 1e-14);
    }

    #[test]
    fn reconstructs_a_random_symmetric_matrix() {
        let d = 7;
        let mut a = vec![0.0; d * d];
        for i in 0..d {
            for j in 0..=i {
                let v = ((i * 31 + j * 17) % 13) as f64 - 6.0;
                a[i * d + j] = v;
                a[j * d + i] = v;
            }
        }
        let (values, vectors) = symmetric_eigen(a.clone(), d);
        for (value, vector) in values.iter().zip(&vectors) {
            for i in 0..d {
                let av: f64 = (0..d).map(|j| a[i * d + j] * vector[j]).sum();
                assert!((av - value * vector[i]).abs() < 1e-11, "A v = λ v fails");
            }
        }
        assert!(values.windows(2).all(|w| w[0] >= w[1]));
    }
}
