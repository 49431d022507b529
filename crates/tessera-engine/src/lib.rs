//! Tessera's segment engine: columnar indexes, bitmap evaluation, reference interpreter, explain.
//!
//! ```text
//!  ProfileData / store rows
//!           │  add_profile, set_trait, add_event (streaming, any order)
//!           ▼
//!     IndexBuilder ──finish──▶ Index            typed trait columns, per-event tables
//!                                │              sorted by (profile, time), postings
//!                                │ evaluate(expr, at)
//!                                ▼
//!                         RoaringBitmap         profile ordinals where the segment holds
//!                                │ overlap_matrix, profile_key, explain(ord)
//!                                ▼
//!                      sizes, overlaps, members, "why is this person in?"
//! ```
//!
//! [`interpreter`] evaluates one profile at a time, plainly; it is the specification that the
//! index is tested against (`tests/differential.rs`) and the source of [`Explanation`]s.
//!
//! ```
//! use std::collections::BTreeMap;
//! use serde_json::{json, Map};
//! use tessera_engine::{interpreter, EventData, Index, ProfileData};
//! use tessera_model::{TraitValue, DAY_MS};
//!
//! let at = 100 * DAY_MS;
//! let viewed = |days_ago: i64| EventData::new("Product Viewed", at - days_ago * DAY_MS, Map::new());
//! let ana = ProfileData {
//!     traits: BTreeMap::from([("age".to_string(), TraitValue::Number(31.0))]),
//!     events: vec![viewed(1), viewed(2), viewed(3), viewed(30)],
//! };
//! let bo = ProfileData { traits: BTreeMap::new(), events: vec![viewed(1)] };
//! let index = Index::from_profiles(&[(1, ana.clone()), (2, bo)]);
//!
//! let segment = tessera_lang::parse("count(Product Viewed in last 7d) >= 3").expr;
//! let members = index.evaluate(&segment, at).unwrap();
//! assert_eq!(members.iter().map(|ord| index.profile_key(ord)).collect::<Vec<_>>(), [1]);
//!
//! let why = interpreter::explain(&segment, &ana, at);
//! assert!(why.held);
//! assert!(why.to_string().starts_with("✓ count(Product Viewed in last 7d) >= 3 — count = 3"));
//! ```

pub mod data;
mod error;
mod eval;
mod explain;
mod index;
pub mod interpreter;
pub mod overlap;
mod predicate;

pub use data::{property, EventData, ProfileData};
pub use error::{Error, Result};
pub use eval::validate;
pub use explain::Explanation;
pub use index::memory;
pub use index::{BuildOptions, Index, IndexBuilder, Strategy, TraitsBuilder, Tuning};
pub use overlap::{overlap_matrix, OverlapMatrix};

#[cfg(test)]
mod semantics_tests;
