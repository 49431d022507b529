//! The engine's error type: what can stop a segment from being evaluated.

use tessera_lang::Span;

/// Why the engine refused to evaluate a segment.
///
/// Every variant is the caller's input being wrong; storage failures do not reach this crate
/// (it works on an in-memory [`crate::Index`]).
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The tree cannot be evaluated, e.g. it holds a `Missing` node left by a syntax error.
    #[error("invalid segment: {reason} (at bytes {}..{})", span.start, span.end)]
    Invalid { reason: String, span: Span },
}

pub type Result<T, E = Error> = std::result::Result<T, E>;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn invalid_names_the_reason_and_the_place() {
        let err = Error::Invalid {
            reason: "the segment has a syntax error here".into(),
            span: Span::new(4, 9),
        };
        assert_eq!(
            err.to_string(),
            "invalid segment: the segment has a syntax error here (at bytes 4..9)"
        );
    }
}
