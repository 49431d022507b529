//! Tessera's segment language: syntax tree, lenient parser, canonical printer, type checker.
//!
//! This crate is an API boundary (like rust-analyzer's `syntax`): it knows nothing of storage,
//! HTTP or evaluation. Consumers get an [`ast::Expr`] from text ([`parse`]) or from JSON
//! ([`parse_json`]), check it against a [`Catalog`] of known traits and events ([`check`]), and
//! evaluate it elsewhere. The language itself is described in `docs/language.md`.
//!
//! ```text
//! text ──parse──▶ Parsed { expr, diagnostics } ──check(catalog)──▶ more diagnostics
//!   ▲                 │
//!   └──Display────────┘  expr ◀──serde──▶ JSON
//! ```
//!
//! # Text
//!
//! Parsing never fails: it returns a tree (with `Missing` nodes where the text is broken) and
//! every diagnostic at once. Printing a tree gives its canonical text, which parses back to an
//! equal tree.
//!
//! ```
//! use tessera_lang::{check, has_errors, parse, render, Catalog, TraitType};
//!
//! let parsed = parse("age between 25 and 35 and did(Order Completed in last 7d)");
//! assert!(parsed.diagnostics.is_empty());
//! assert_eq!(parsed.expr.to_string(), "age between 25 and 35 and did(Order Completed in last 7d)");
//!
//! let catalog = Catalog::default().with_trait("age", TraitType::Number);
//! let found = check(&parsed.expr, &catalog);
//! // `Order Completed` is not in the catalog: a warning (events may arrive later), not an error.
//! assert!(!has_errors(&found));
//!
//! let text = "count(Product Viewed) 3";
//! let broken = parse(text);
//! assert_eq!(
//!     broken.diagnostics[0].to_line("segment", text),
//!     "segment:1:23: error: expected a comparison such as `>= 3` after `count(...)`, found `3`\n  \
//!      hint: add an operator before the number: `>= 3`"
//! );
//! println!("{}", render(&broken.diagnostics, "segment", text));
//! ```
//!
//! # JSON
//!
//! The JSON form is the serde form of [`Expr`]: enums are externally tagged with snake_case
//! names, operators are their symbols, durations are strings (`"7d"`), timestamps are RFC 3339
//! strings (inside `{"timestamp": ...}` where a literal could also be a plain string), and spans
//! are not part of it. `count(Product Viewed where product_id = "X" in last 7d) >= 3 and not
//! did(Order Completed) and email exists` is:
//!
//! ```
//! let json = r#"{"and": [
//!   {"count": {
//!     "query": {
//!       "event": "Product Viewed",
//!       "filter": {"test": {"name": "product_id", "test": {"compare": {"op": "=", "value": "X"}}}},
//!       "window": {"last": "7d"}
//!     },
//!     "cmp": {"compare": {"op": ">=", "value": 3}}
//!   }},
//!   {"not": {"did": {"event": "Order Completed"}}},
//!   {"trait": {"name": "email", "test": "exists"}}
//! ]}"#;
//! let expr = tessera_lang::parse_json(json).unwrap();
//! let text = r#"count(Product Viewed where product_id = "X" in last 7d) >= 3 and not did(Order Completed) and email exists"#;
//! assert_eq!(expr, tessera_lang::parse(text).expr);
//! assert_eq!(expr.to_string(), text);
//! ```
//!
//! Literals are untagged: `"X"` is a string, `3` a number, `true` a boolean and
//! `{"timestamp": "2026-01-01T00:00:00Z"}` a timestamp. A window is `{"last": "7d"}` or
//! `{"range": {"from": "2026-01-01T00:00:00Z", "to": "2026-02-01T00:00:00Z"}}`.

pub mod ast;
pub mod check;
pub mod diagnostic;
pub mod display;
pub mod expand;
mod lexer;
pub mod parser;
mod visit;

pub use ast::*;
pub use check::{check, Catalog};
pub use diagnostic::{has_errors, render, Diagnostic, Severity};
pub use expand::{expand, Computed, Definitions, ExpandError};
pub use lexer::is_keyword;
pub use parser::{parse, Parsed};
/// Re-exported because [`Catalog`] is keyed by it.
pub use tessera_model::TraitType;

/// Reads a segment from its JSON form (see the crate docs). The tree is not checked: pass it
/// to [`check`], and print and [`parse`] it to get the parser's warnings too.
pub fn parse_json(text: &str) -> Result<Expr, serde_json::Error> {
    serde_json::from_str(text)
}

/// The JSON form of a segment (see the crate docs).
pub fn to_json(expr: &Expr) -> String {
    // serde_json only fails on maps with non-string keys, which the tree does not have.
    serde_json::to_string(expr).unwrap_or_else(|_| "{}".into())
}
