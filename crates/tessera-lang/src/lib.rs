//! Tessera's segment language: syntax tree, lenient parser, canonical printer, type checker.
//!
//! This crate is an API boundary (like rust-analyzer's `syntax`): it knows nothing of storage,
//! HTTP or evaluation. Consumers get an [`ast::Expr`] from text ([`parse`]) or from JSON (serde),
//! check it against a [`Catalog`] of known traits and events, and evaluate it elsewhere.

pub mod ast;
pub mod check;
pub mod diagnostic;
pub mod display;
mod lexer;
pub mod parser;
mod visit;

pub use ast::*;
pub use check::{check, Catalog};
pub use diagnostic::{has_errors, render, Diagnostic, Severity};
pub use lexer::is_keyword;
pub use parser::{parse, Parsed};
/// Re-exported because [`Catalog`] is keyed by it.
pub use tessera_model::TraitType;

/// Reads a segment from its JSON form (see the crate docs).
pub fn parse_json(text: &str) -> Result<Expr, serde_json::Error> {
    serde_json::from_str(text)
}
