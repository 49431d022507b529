//! An in-memory identity graph that applies resolutions, for tests and small tools.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::convert::Infallible;

use tessera_model::{Identifier, IdentifierKind};

use crate::{resolve, Error, IdentityConfig, IdentityGraph, Resolution};

/// An identity graph held in memory. Profile ids count up from 1 like SQLite row ids, and a
/// merged profile keeps its id, pointing at the profile it was merged into.
#[derive(Debug, Clone, Default)]
pub struct MemoryGraph {
    /// Every attached identifier, with its canonical owner (rewritten on merges).
    owners: HashMap<Identifier, u64>,
    /// Canonical profiles and their identifiers, in attach order.
    members: BTreeMap<u64, Vec<Identifier>>,
    /// Profiles merged away, with the profile each was merged into.
    merged_into: HashMap<u64, u64>,
    last_id: u64,
}

impl MemoryGraph {
    pub fn new() -> Self {
        MemoryGraph::default()
    }

    /// Resolves a record's (normalised) identifiers and applies the result; returns the
    /// canonical profile the record landed on, with the resolution.
    pub fn ingest(
        &mut self,
        ids: &[Identifier],
        config: &IdentityConfig,
    ) -> Result<(u64, Resolution), Error> {
        let Ok(resolution) = resolve(self, ids, config);
        let profile = self.apply(&resolution)?;
        Ok((profile, resolution))
    }

    /// Applies a resolution: creates the profile if there is no target, merges, then attaches.
    /// Returns the canonical profile the record landed on. A resolution that does not fit the
    /// graph (stale, or not from [`resolve`]) is an error and changes nothing.
    pub fn apply(&mut self, resolution: &Resolution) -> Result<u64, Error> {
        if let Some(target) = resolution.target {
            self.check_canonical(target)?;
        }
        let mut merged = BTreeSet::new();
        for merge in &resolution.merges {
            if resolution.target != Some(merge.into) || merge.from == merge.into {
                return Err(Error::MergeNotIntoTarget {
                    from: merge.from,
                    into: merge.into,
                    target: resolution.target,
                });
            }
            self.check_canonical(merge.from)?;
            if !merged.insert(merge.from) {
                return Err(Error::NotCanonical(merge.from));
            }
        }
        let mut attached = BTreeSet::new();
        for id in &resolution.attach {
            if let Some(&profile) = self.owners.get(id) {
                return Err(Error::AlreadyOwned {
                    id: id.clone(),
                    profile,
                });
            }
            if !attached.insert(id) {
                return Err(Error::DuplicateAttach(id.clone()));
            }
        }

        let target = match resolution.target {
            Some(target) => target,
            None => {
                self.last_id += 1;
                self.members.insert(self.last_id, Vec::new());
                self.last_id
            }
        };
        for merge in &resolution.merges {
            let moved = self.members.remove(&merge.from).unwrap_or_default();
            for id in &moved {
                self.owners.insert(id.clone(), target);
            }
            self.members.entry(target).or_default().extend(moved);
            self.merged_into.insert(merge.from, target);
        }
        for id in &resolution.attach {
            self.owners.insert(id.clone(), target);
            self.members.entry(target).or_default().push(id.clone());
        }
        Ok(target)
    }

    /// The canonical profile `profile` now belongs to; `None` if it never existed.
    pub fn canonical(&self, mut profile: u64) -> Option<u64> {
        while let Some(&into) = self.merged_into.get(&profile) {
            profile = into;
        }
        self.members.contains_key(&profile).then_some(profile)
    }

    /// The canonical profiles, ascending.
    pub fn profiles(&self) -> Vec<u64> {
        self.members.keys().copied().collect()
    }

    /// The identifiers of a canonical profile (including merged ones), in attach order.
    pub fn identifiers(&self, profile: u64) -> &[Identifier] {
        self.members.get(&profile).map_or(&[], Vec::as_slice)
    }

    /// The canonical owner of an identifier.
    pub fn owner_of(&self, id: &Identifier) -> Option<u64> {
        self.owners.get(id).copied()
    }

    fn check_canonical(&self, profile: u64) -> Result<(), Error> {
        if self.members.contains_key(&profile) {
            Ok(())
        } else {
            Err(Error::NotCanonical(profile))
        }
    }
}

impl IdentityGraph for MemoryGraph {
    type Error = Infallible;

    fn owner(&mut self, id: &Identifier) -> Result<Option<u64>, Infallible> {
        Ok(self.owner_of(id))
    }

    fn count(&mut self, profile: u64, kind: &IdentifierKind) -> Result<usize, Infallible> {
        Ok(self
            .identifiers(profile)
            .iter()
            .filter(|id| &id.kind == kind)
            .count())
    }

    fn kinds(&mut self, profile: u64) -> Result<Vec<IdentifierKind>, Infallible> {
        let kinds: BTreeSet<&IdentifierKind> = self
            .identifiers(profile)
            .iter()
            .map(|id| &id.kind)
            .collect();
        Ok(kinds.into_iter().cloned().collect())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{Conflict, Merge};

    fn id(text: &str) -> Identifier {
        text.parse().unwrap()
    }

    #[test]
    fn applies_creation_merges_and_attaches() {
        let mut graph = MemoryGraph::new();
        let config = IdentityConfig::unlimited();
        assert_eq!(graph.ingest(&[id("email:a@x.com")], &config).unwrap().0, 1);
        assert_eq!(graph.ingest(&[id("email:b@x.com")], &config).unwrap().0, 2);
        let (profile, _) = graph
            .ingest(
                &[id("email:b@x.com"), id("email:a@x.com"), id("phone:+1")],
                &config,
            )
            .unwrap();
        assert_eq!(profile, 1);
        assert_eq!(graph.canonical(2), Some(1));
        assert_eq!(graph.canonical(3), None);
        assert_eq!(graph.owner_of(&id("email:b@x.com")), Some(1));
        assert_eq!(
            graph.identifiers(1),
            [id("email:a@x.com"), id("email:b@x.com"), id("phone:+1")]
        );
        assert_eq!(graph.identifiers(2), []);
        let Ok(kinds) = graph.kinds(1);
        assert_eq!(kinds, [IdentifierKind::Email, IdentifierKind::Phone]);
    }

    #[test]
    fn resolutions_that_do_not_fit_are_refused_without_change() {
        let mut graph = MemoryGraph::new();
        graph
            .ingest(&[id("user_id:u1")], &IdentityConfig::default())
            .unwrap();
        let before = graph.clone();

        let stale = Resolution {
            target: None,
            attach: vec![id("user_id:u1")],
            ..Resolution::default()
        };
        assert_eq!(
            graph.apply(&stale).unwrap_err().to_string(),
            "cannot attach user_id:u1: profile 1 owns it already"
        );
        let missing = Resolution {
            target: Some(9),
            ..Resolution::default()
        };
        assert_eq!(graph.apply(&missing), Err(Error::NotCanonical(9)));
        let merge = Merge {
            from: 1,
            into: 2,
            via: id("user_id:u1"),
            reason: String::new(),
        };
        let wrong = Resolution {
            target: Some(1),
            merges: vec![merge],
            ..Resolution::default()
        };
        assert_eq!(
            graph.apply(&wrong).unwrap_err().to_string(),
            "cannot merge profile 1 into 2: the resolution's target is profile 1"
        );
        let conflict = Conflict {
            id: id("user_id:u2"),
            profile: Some(1),
            reason: String::new(),
        };
        let noted = Resolution {
            target: Some(1),
            conflicts: vec![conflict],
            ..Resolution::default()
        };
        assert_eq!(
            graph.apply(&noted),
            Ok(1),
            "conflicts are for the store to record"
        );
        assert_eq!(graph.profiles(), before.profiles());
        assert_eq!(graph.identifiers(1), before.identifiers(1));
    }
}
