//! The crate's error type: the user's feature set or parameters are wrong, a clustering
//! refused its input, or a chart could not be written.

use std::path::PathBuf;

/// Why discovery refused to run.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// A feature set file is wrong; `line` and `column` are 1-based and point into the file.
    #[error("{file}:{line}:{column}: {message}")]
    FeatureSet {
        file: String,
        line: usize,
        column: usize,
        message: String,
    },

    /// A parameter given by the caller is outside what the operation accepts.
    #[error("invalid {name}: {reason}")]
    Invalid { name: &'static str, reason: String },

    /// Clustering, scaling or PCA refused the feature matrix.
    #[error(transparent)]
    Cluster(#[from] tessera_cluster::Error),

    /// A chart could not be drawn or written.
    #[error("cannot write chart {path}: {reason}")]
    Chart { path: PathBuf, reason: String },

    #[error("cannot read {path}: {source}")]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
}

pub type Result<T, E = Error> = std::result::Result<T, E>;

pub(crate) fn invalid(name: &'static str, reason: impl Into<String>) -> Error {
    Error::Invalid {
        name,
        reason: reason.into(),
    }
}

/// 1-based line and column (in characters) of a byte offset in `text`.
pub(crate) fn line_col(text: &str, offset: usize) -> (usize, usize) {
    let offset = offset.min(text.len());
    let before = &text[..offset];
    let line = before.matches('\n').count() + 1;
    let start = before.rfind('\n').map_or(0, |i| i + 1);
    (line, before[start..].chars().count() + 1)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn positions_are_one_based_lines_and_character_columns() {
        assert_eq!(line_col("abc", 0), (1, 1));
        assert_eq!(line_col("ab\ncd", 4), (2, 2));
        assert_eq!(line_col("é\nx", 3), (2, 1));
        let err = Error::FeatureSet {
            file: "features/rfm.toml".into(),
            line: 4,
            column: 8,
            message: "unknown kind `recent`".into(),
        };
        assert_eq!(
            err.to_string(),
            "features/rfm.toml:4:8: unknown kind `recent`"
        );
    }
}
