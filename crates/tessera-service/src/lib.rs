//! Tessera's service layer: the store loaded into the engine, segments as code, analysis.
//!
//! ```text
//!   Store ──load_index(at)──▶ engine::Index ──evaluate──▶ members (RoaringBitmap of ordinals)
//!   segments/*.toml ──definitions──▶ checked Expr ──plan / apply──▶ Store (definitions + members)
//! ```
//!
//! The CLI (and later the server) call this crate; it owns no state of its own beyond a
//! loaded [`Snapshot`], which is immutable once built.

mod analysis;
pub mod definitions;
mod references;
pub mod rfm;
mod snapshot;

pub use analysis::{Overlap, SegmentSize};
pub use definitions::{
    analyse, apply, load_definitions, parse_definition, plan, Definition, DefinitionError,
    PlanEntry, PlanStatus, DEFAULT_MIN_SIZE,
};
pub use references::{computed_traits, References};
pub use snapshot::{catalog, computed_values, load_profile, load_profile_for, Snapshot};

#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error(transparent)]
    Store(#[from] tessera_store::Error),
    #[error(transparent)]
    Engine(#[from] tessera_engine::Error),
    #[error("{0}")]
    Definitions(String),
    #[error(transparent)]
    Expand(#[from] tessera_lang::ExpandError),
    #[error("cannot read {path}: {source}")]
    Io {
        path: std::path::PathBuf,
        source: std::io::Error,
    },
}

pub type Result<T, E = Error> = std::result::Result<T, E>;
