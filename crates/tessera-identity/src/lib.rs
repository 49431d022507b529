//! Tessera's deterministic identity resolution: normalisation, limits, merge rules.
//!
//! ```text
//!   raw identifiers ──normalize──▶ Ok / Blocked / Invalid
//!                                   │ Ok ones
//!                                   ▼
//!   IdentityGraph (the store) ◀──resolve──▶ Resolution { target, attach, merges, conflicts }
//!                                   │ applied by the store (or MemoryGraph)
//!                                   ▼
//!   a person's trait observations ──merge_values(rule)──▶ the profile's value
//! ```
//!
//! Invariants:
//! - Everything here is deterministic: the same graph and record give the same resolution,
//!   whatever order hash maps iterate in.
//! - [`resolve`] only reads the graph, and applying its result never takes a canonical profile
//!   over a per-kind limit it was within; every refused link comes back as a [`Conflict`].
//! - With unlimited limits, resolution is exactly connected components over shared identifiers
//!   (tested against a brute-force model in `tests/properties.rs`).
//!
//! ```
//! use tessera_identity::{normalize, IdentityConfig, MemoryGraph, Normalized};
//! use tessera_model::Identifier;
//!
//! let config = IdentityConfig::default();
//! let Normalized::Ok(phone) = normalize(&Identifier::new("phone", "(415) 555-0134"), &config)
//! else { unreachable!() };
//! assert_eq!(phone.value, "+14155550134");
//!
//! let mut graph = MemoryGraph::new();
//! let (ana, _) = graph.ingest(&[Identifier::new("user_id", "ana"), phone.clone()], &config)?;
//! let (again, resolution) = graph.ingest(&[phone, Identifier::new("anonymous_id", "a1")], &config)?;
//! assert_eq!(ana, again);
//! assert_eq!(resolution.attach, [Identifier::new("anonymous_id", "a1")]);
//! # Ok::<(), tessera_identity::Error>(())
//! ```

mod blocklist;
mod config;
mod error;
mod memory;
mod normalize;
mod resolve;
mod trait_merge;
mod union_find;

pub use config::{
    IdentityConfig, DEFAULT_BLOCKED, DEFAULT_LIMIT, DEFAULT_LIMITS, DEFAULT_PRIORITY,
};
pub use error::{Error, Result};
pub use memory::MemoryGraph;
pub use normalize::{normalize, Normalized, Normalizer};
pub use resolve::{resolve, Conflict, IdentityGraph, Merge, Resolution};
pub use trait_merge::{merge_values, MergeRule, TraitMergeConfig};
pub use union_find::UnionFind;
