//! The crate's one error type: a segment the compiler cannot turn into SQL, and why.

use crate::Dialect;

/// Why a segment cannot be compiled. Every variant is about the user's segment (there is no
/// storage here); each names the condition by its canonical text.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SqlError {
    /// The condition exists in the language but this dialect (or the compiler, for now) has
    /// no exact SQL for it.
    #[error("`{condition}` cannot be compiled to {dialect} SQL: {reason}")]
    Unsupported {
        condition: String,
        dialect: Dialect,
        reason: String,
    },
    /// The tree came from text with a syntax error (`Expr::Missing`); it must not be run.
    #[error("`{condition}` has a syntax error in it: fix the segment before compiling it to SQL")]
    Incomplete { condition: String },
}

pub type Result<T, E = SqlError> = std::result::Result<T, E>;
