//! The crate's error type: why a clustering, metric or transform refused the caller's input.

/// Why an operation refused to run.
///
/// Every variant is the caller's input being wrong (a parameter, a shape, a non-finite value);
/// nothing in this crate does I/O, so there are no storage failures to report.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// A parameter is outside the range the algorithm accepts, e.g. `k = 0`.
    #[error("invalid parameter `{name}`: {reason}")]
    InvalidParameter { name: &'static str, reason: String },

    /// The data has too few rows, clusters or observed values for the operation.
    #[error("not enough data: {reason}")]
    NotEnoughData { reason: String },

    /// New rows have a different number of columns than the data a model was fitted on.
    #[error("the data has {found} columns but the model was fitted on {expected}")]
    ColumnMismatch { expected: usize, found: usize },

    /// A per-row input (labels, weights) does not have one entry per row.
    #[error("{what} has {found} entries but the data has {expected} rows")]
    LengthMismatch {
        what: &'static str,
        expected: usize,
        found: usize,
    },

    /// A value is NaN or infinite where only finite numbers make sense.
    #[error(
        "row {row}, column {column} is {value}, not a finite number; choose how to handle \
         missing values with `scale::Missing` before clustering"
    )]
    NonFinite {
        row: usize,
        column: usize,
        value: f64,
    },

    /// The operation would need more memory than is reasonable; the message names the way out.
    #[error("{reason}")]
    TooLarge { reason: String },
}

pub type Result<T, E = Error> = std::result::Result<T, E>;

pub(crate) fn invalid(name: &'static str, reason: impl Into<String>) -> Error {
    Error::InvalidParameter {
        name,
        reason: reason.into(),
    }
}

/// Refuses per-row input (labels, weights) whose length is not the number of rows.
pub(crate) fn require_len(what: &'static str, expected: usize, found: usize) -> Result<()> {
    if expected != found {
        return Err(Error::LengthMismatch {
            what,
            expected,
            found,
        });
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn messages_name_the_place_and_the_fix() {
        let err = Error::NonFinite {
            row: 3,
            column: 1,
            value: f64::NAN,
        };
        assert_eq!(
            err.to_string(),
            "row 3, column 1 is NaN, not a finite number; choose how to handle missing values \
             with `scale::Missing` before clustering"
        );
        assert_eq!(
            invalid("k", "must be at least 1").to_string(),
            "invalid parameter `k`: must be at least 1"
        );
        let err = Error::LengthMismatch {
            what: "labels",
            expected: 4,
            found: 3,
        };
        assert_eq!(
            err.to_string(),
            "labels has 3 entries but the data has 4 rows"
        );
    }
}
