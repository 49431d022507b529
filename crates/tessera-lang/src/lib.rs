//! Tessera's segment language: syntax tree, lenient parser, canonical printer, type checker.
//!
//! This crate is an API boundary (like rust-analyzer's `syntax`): it knows nothing of storage,
//! HTTP or evaluation. Consumers get an [`ast::Expr`] from text ([`parse`]) or from JSON (serde),
//! check it against a [`Catalog`] of known traits and events, and evaluate it elsewhere.

pub mod ast;

pub use ast::*;
