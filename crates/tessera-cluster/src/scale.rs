//! Feature scaling with scikit-learn's definitions, and the caller's explicit choice of what to
//! do with missing values (NaN). A fitted [`Scaler`] transforms new rows the same way, which is
//! how profiles that arrive later are placed in an existing segmentation.

use ndarray::{Array2, ArrayView2};

use crate::dense::Rows;
use crate::error::{Error, Result};

/// How each column is centred and scaled.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scaling {
    /// `(x − mean) / std` with the population standard deviation (`StandardScaler`).
    Standard,
    /// `(x − median) / (q75 − q25)`, quantiles interpolated linearly as numpy does
    /// (`RobustScaler` defaults): insensitive to a few extreme customers.
    Robust,
    /// `(x − min) / (max − min)` into `[0, 1]` (`MinMaxScaler`).
    MinMax,
}

/// What to do with NaN cells. There is no silent default: every caller decides.
/// Infinite values are always refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Missing {
    /// Refuse data with any NaN, naming its row and column.
    Reject,
    /// Leave out every row with a NaN; [`Scaled::rows`] says which rows were kept.
    DropRows,
    /// Replace NaN by the mean of the column's observed values at fit time (scikit-learn's
    /// `SimpleImputer(strategy="mean")`), then scale as if the value had been observed.
    ImputeMean,
    /// Replace NaN by the median of the column's observed values at fit time (robust to
    /// outliers; `SimpleImputer(strategy="median")`).
    ImputeMedian,
}

/// Scaled rows, and for each output row the index of the input row it came from (all rows
/// unless [`Missing::DropRows`] left some out).
#[derive(Debug, Clone, PartialEq)]
pub struct Scaled {
    pub data: Array2<f64>,
    pub rows: Vec<usize>,
}

/// A fitted scaler: per-column statistics learned from the training data.
#[derive(Debug, Clone, PartialEq)]
pub struct Scaler {
    scaling: Scaling,
    missing: Missing,
    fill: Vec<f64>,
    center: Vec<f64>,
    scale: Vec<f64>,
}

impl Scaler {
    /// Learns fill values (for imputation) and then the scaling statistics of the imputed
    /// data, like a scikit-learn `make_pipeline(SimpleImputer(...), StandardScaler())`.
    pub fn fit(data: ArrayView2<'_, f64>, scaling: Scaling, missing: Missing) -> Result<Scaler> {
        let rows = Rows::new(data);
        rows.require_rows(1, "scaling")?;
        let fill = match missing {
            Missing::ImputeMean | Missing::ImputeMedian => fill_values(&rows, missing)?,
            Missing::Reject | Missing::DropRows => Vec::new(),
        };
        let mut scaler = Scaler {
            scaling,
            missing,
            fill,
            center: Vec::new(),
            scale: Vec::new(),
        };
        let clean = scaler.clean(&rows)?;
        let columns = columns(&clean.data);
        if clean.rows.is_empty() {
            return Err(Error::NotEnoughData {
                reason: "every row has a missing value, so dropping them leaves nothing".into(),
            });
        }
        (scaler.center, scaler.scale) = match scaling {
            Scaling::Standard => columns.iter().map(|c| mean_and_std(c)).unzip(),
            Scaling::Robust => columns.iter().map(|c| median_and_iqr(c)).unzip(),
            Scaling::MinMax => columns.iter().map(|c| min_and_range(c)).unzip(),
        };
        Ok(scaler)
    }

    /// [`Scaler::fit`] then [`Scaler::transform`] on the same data.
    pub fn fit_transform(
        data: ArrayView2<'_, f64>,
        scaling: Scaling,
        missing: Missing,
    ) -> Result<(Scaler, Scaled)> {
        let scaler = Scaler::fit(data, scaling, missing)?;
        let scaled = scaler.transform(data)?;
        Ok((scaler, scaled))
    }

    /// Applies the fitted imputation (or row dropping) and scaling to new rows.
    pub fn transform(&self, data: ArrayView2<'_, f64>) -> Result<Scaled> {
        let rows = Rows::new(data);
        rows.require_columns(self.center.len())?;
        let mut clean = self.clean(&rows)?;
        for mut row in clean.data.rows_mut() {
            for ((x, &c), &s) in row.iter_mut().zip(&self.center).zip(&self.scale) {
                *x = match self.scaling {
                    Scaling::Standard | Scaling::Robust => (*x - c) / s,
                    // scikit-learn's `X * scale_ + min_`, kept for bit-closeness.
                    Scaling::MinMax => {
                        let factor = 1.0 / s;
                        *x * factor + (0.0 - c * factor)
                    }
                };
            }
        }
        Ok(clean)
    }

    pub fn scaling(&self) -> Scaling {
        self.scaling
    }

    pub fn missing(&self) -> Missing {
        self.missing
    }

    /// Per column: the mean, the median or the minimum, depending on the scaling.
    pub fn center(&self) -> &[f64] {
        &self.center
    }

    /// Per column: the standard deviation, the interquartile range or the range; a zero
    /// (constant column) is replaced by 1 so constant columns map to 0 instead of NaN.
    pub fn scale(&self) -> &[f64] {
        &self.scale
    }

    /// Per column: the value NaN is replaced with, when imputing.
    pub fn fill(&self) -> Option<&[f64]> {
        (!self.fill.is_empty()).then_some(self.fill.as_slice())
    }

    /// The rows with missing values handled per `self.missing`, not yet scaled.
    fn clean(&self, rows: &Rows<'_>) -> Result<Scaled> {
        let d = rows.d();
        let mut values = Vec::with_capacity(rows.n() * d);
        let mut kept = Vec::with_capacity(rows.n());
        for i in 0..rows.n() {
            let row = rows.row(i);
            if let Some(column) = row.iter().position(|v| v.is_infinite()) {
                return Err(Error::NonFinite {
                    row: i,
                    column,
                    value: row[column],
                });
            }
            match (row.iter().position(|v| v.is_nan()), self.missing) {
                (None, _) => values.extend_from_slice(row),
                (Some(column), Missing::Reject) => {
                    return Err(Error::NonFinite {
                        row: i,
                        column,
                        value: f64::NAN,
                    })
                }
                (Some(_), Missing::DropRows) => continue,
                (Some(_), Missing::ImputeMean | Missing::ImputeMedian) => values.extend(
                    row.iter()
                        .zip(&self.fill)
                        .map(|(&v, &f)| if v.is_nan() { f } else { v }),
                ),
            }
            kept.push(i);
        }
        let data =
            Array2::from_shape_vec((kept.len(), d), values).map_err(|e| Error::NotEnoughData {
                reason: e.to_string(),
            })?;
        Ok(Scaled { data, rows: kept })
    }
}

/// The mean or median of each column's observed (non-NaN) values.
fn fill_values(rows: &Rows<'_>, missing: Missing) -> Result<Vec<f64>> {
    (0..rows.d())
        .map(|column| {
            let mut observed: Vec<f64> = (0..rows.n())
                .map(|i| rows.row(i)[column])
                .filter(|v| !v.is_nan())
                .collect();
            if observed.is_empty() {
                return Err(Error::NotEnoughData {
                    reason: format!("column {column} has no observed value to impute from"),
                });
            }
            Ok(match missing {
                Missing::ImputeMedian => {
                    observed.sort_unstable_by(f64::total_cmp);
                    median(&observed)
                }
                _ => observed.iter().sum::<f64>() / observed.len() as f64,
            })
        })
        .collect()
}

fn columns(data: &Array2<f64>) -> Vec<Vec<f64>> {
    data.columns().into_iter().map(|c| c.to_vec()).collect()
}

/// Mean and population standard deviation; a column scikit-learn would call constant (its
/// variance within rounding of zero, `_is_constant_feature`) gets scale 1.
fn mean_and_std(column: &[f64]) -> (f64, f64) {
    let n = column.len() as f64;
    let mean = column.iter().sum::<f64>() / n;
    let var = column.iter().map(|x| (x - mean) * (x - mean)).sum::<f64>() / n;
    let eps = f64::EPSILON;
    let constant = var <= n * eps * var + (n * mean * eps).powi(2);
    (mean, if constant { 1.0 } else { var.sqrt() })
}

fn median_and_iqr(column: &[f64]) -> (f64, f64) {
    let mut sorted = column.to_vec();
    sorted.sort_unstable_by(f64::total_cmp);
    let iqr = percentile(&sorted, 0.75) - percentile(&sorted, 0.25);
    (median(&sorted), nonzero_scale(iqr))
}

fn min_and_range(column: &[f64]) -> (f64, f64) {
    let min = column.iter().copied().fold(f64::INFINITY, f64::min);
    let max = column.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    (min, nonzero_scale(max - min))
}

/// scikit-learn's `_handle_zeros_in_scale`: a scale within rounding of zero becomes 1.
fn nonzero_scale(scale: f64) -> f64 {
    if scale < 10.0 * f64::EPSILON {
        1.0
    } else {
        scale
    }
}

fn median(sorted: &[f64]) -> f64 {
    let m = sorted.len();
    if m % 2 == 1 {
        sorted[m / 2]
    } else {
        (sorted[m / 2 - 1] + sorted[m / 2]) / 2.0
    }
}

/// numpy's default ("linear") percentile of sorted data, `q` in `[0, 1]`, including its
/// interpolation form (from the upper neighbour when past the midpoint).
fn percentile(sorted: &[f64], q: f64) -> f64 {
    let position = q * (sorted.len() - 1) as f64;
    let lo = position.floor() as usize;
    let hi = (lo + 1).min(sorted.len() - 1);
    let t = position - lo as f64;
    let (a, b) = (sorted[lo], sorted[hi]);
    if t >= 0.5 {
        b - (b - a) * (1.0 - t)
    } else {
        a + (b - a) * t
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ndarray::array;

    #[test]
    fn standard_scaling_uses_the_population_std_and_leaves_constant_columns_at_zero() {
        let data = array![[1.0, 5.0], [3.0, 5.0]];
        let (scaler, scaled) =
            Scaler::fit_transform(data.view(), Scaling::Standard, Missing::Reject)
                .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(scaler.center(), &[2.0, 5.0]);
        assert_eq!(scaler.scale(), &[1.0, 1.0]);
        assert_eq!(scaled.data, array![[-1.0, 0.0], [1.0, 0.0]]);
    }

    #[test]
    fn robust_scaling_uses_numpy_percentiles() {
        // Sorted 1, 2, 3, 4, 100: median 3, q25 = 2, q75 = 4.
        let data = array![[4.0], [1.0], [100.0], [3.0], [2.0]];
        let scaler = Scaler::fit(data.view(), Scaling::Robust, Missing::Reject);
        let scaler = scaler.unwrap_or_else(|e| panic!("{e}"));
        assert_eq!((scaler.center(), scaler.scale()), (&[3.0][..], &[2.0][..]));
        assert_eq!(percentile(&[1.0, 2.0, 3.0, 4.0], 0.25), 1.75);
    }

    #[test]
    fn min_max_scaling_maps_the_training_range_to_the_unit_interval() {
        let data = array![[2.0], [4.0], [6.0]];
        let (scaler, scaled) = Scaler::fit_transform(data.view(), Scaling::MinMax, Missing::Reject)
            .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(scaled.data, array![[0.0], [0.5], [1.0]]);
        let new = scaler.transform(array![[8.0]].view()).map(|s| s.data);
        assert_eq!(new, Ok(array![[1.5]]));
    }

    #[test]
    fn missing_values_are_handled_as_the_caller_chose() {
        let data = array![[1.0, f64::NAN], [3.0, 2.0], [f64::NAN, 4.0], [5.0, 9.0]];
        let fit = |missing| Scaler::fit_transform(data.view(), Scaling::MinMax, missing);
        assert!(matches!(
            fit(Missing::Reject),
            Err(Error::NonFinite {
                row: 0,
                column: 1,
                ..
            })
        ));
        let dropped = fit(Missing::DropRows).map(|(_, s)| s.rows);
        assert_eq!(dropped, Ok(vec![1, 3]));
        let mean = fit(Missing::ImputeMean).map(|(s, _)| s.fill().map(<[f64]>::to_vec));
        assert_eq!(mean, Ok(Some(vec![3.0, 5.0])));
        let median = fit(Missing::ImputeMedian).map(|(s, _)| s.fill().map(<[f64]>::to_vec));
        assert_eq!(median, Ok(Some(vec![3.0, 4.0])));
        // New rows are imputed with the training fill values, not their own.
        let (scaler, _) = fit(Missing::ImputeMedian).unwrap_or_else(|e| panic!("{e}"));
        let new = scaler
            .transform(array![[f64::NAN, f64::NAN]].view())
            .map(|s| s.data);
        assert_eq!(new, Ok(array![[0.5, 2.0 / 7.0]]));
    }

    #[test]
    fn refuses_infinities_empty_columns_and_wrong_widths() {
        let inf = array![[1.0], [f64::INFINITY]];
        let err = Scaler::fit(inf.view(), Scaling::Standard, Missing::ImputeMean).err();
        assert!(matches!(
            err,
            Some(Error::NonFinite {
                row: 1,
                column: 0,
                ..
            })
        ));
        let all_nan = array![[f64::NAN], [f64::NAN]];
        let err = Scaler::fit(all_nan.view(), Scaling::Standard, Missing::ImputeMean).err();
        assert!(matches!(err, Some(Error::NotEnoughData { .. })));
        let err = Scaler::fit(all_nan.view(), Scaling::Standard, Missing::DropRows).err();
        assert!(matches!(err, Some(Error::NotEnoughData { .. })));
        let ok = array![[1.0], [2.0]];
        let scaler = Scaler::fit(ok.view(), Scaling::Standard, Missing::Reject);
        let err = scaler
            .and_then(|s| s.transform(array![[1.0, 2.0]].view()))
            .err();
        assert_eq!(
            err,
            Some(Error::ColumnMismatch {
                expected: 1,
                found: 2
            })
        );
    }
}
