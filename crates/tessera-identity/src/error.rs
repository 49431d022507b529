//! Errors of this crate: a resolution that does not fit the in-memory graph it is applied to.

use tessera_model::Identifier;

pub type Result<T, E = Error> = std::result::Result<T, E>;

/// Why [`crate::MemoryGraph::apply`] refused a [`crate::Resolution`]. Each one means the
/// resolution is stale or was not made by [`crate::resolve`] for this graph.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Error {
    #[error("profile {0} does not exist or has been merged into another")]
    NotCanonical(u64),
    #[error("cannot attach {id}: profile {profile} owns it already")]
    AlreadyOwned { id: Identifier, profile: u64 },
    #[error("cannot attach {0} twice")]
    DuplicateAttach(Identifier),
    #[error("cannot merge profile {from} into {into}: the resolution's target is {}", describe(.target))]
    MergeNotIntoTarget {
        from: u64,
        into: u64,
        target: Option<u64>,
    },
}

fn describe(target: &Option<u64>) -> String {
    target.map_or_else(|| "a new profile".to_string(), |t| format!("profile {t}"))
}
