//! Deterministic resolution of one record's identifiers against the identity graph: which
//! profile it lands on, what to attach, which profiles to merge, and which links to refuse.

use std::collections::{HashMap, HashSet};

use serde::Serialize;
use tessera_model::{Identifier, IdentifierKind};

use crate::IdentityConfig;

/// The store's view of the persisted identity graph. Profiles are canonical: after following
/// merges.
pub trait IdentityGraph {
    type Error;

    /// The canonical profile that owns this (normalised) identifier, if any.
    fn owner(&mut self, id: &Identifier) -> Result<Option<u64>, Self::Error>;

    /// How many identifiers of `kind` the canonical profile (including profiles merged into it)
    /// has.
    fn count(&mut self, profile: u64, kind: &IdentifierKind) -> Result<usize, Self::Error>;

    /// The kinds of identifier the canonical profile may have, so that [`resolve`] can check
    /// the limits of every kind a merge would add. [`resolve`] always adds the kinds named in
    /// `[identity.limits]` and on the record, so the default (the built-in kinds) only misses
    /// custom kinds named in neither; graphs that can list a profile's kinds should.
    fn kinds(&mut self, profile: u64) -> Result<Vec<IdentifierKind>, Self::Error> {
        let _ = profile;
        Ok(IdentifierKind::BUILT_IN.to_vec())
    }
}

/// What to do with one record. Applying it never takes a profile over a limit.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Resolution {
    /// The canonical profile the record lands on; `None` means create a new profile.
    pub target: Option<u64>,
    /// Identifiers owned by nobody yet, to attach to the target (or the new profile), in the
    /// record's order.
    pub attach: Vec<Identifier>,
    /// Canonical profiles to merge into the target, in the order they were accepted.
    pub merges: Vec<Merge>,
    /// Links refused, with reasons; the store records them so that no refusal is silent.
    pub conflicts: Vec<Conflict>,
}

/// One accepted merge: `from` becomes part of `into` because the record carries `via`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Merge {
    pub from: u64,
    pub into: u64,
    pub via: Identifier,
    /// E.g. `shares email:ana@x.com`.
    pub reason: String,
}

/// One refused link. `profile` is the existing profile a link was refused with, or for a
/// refused attach the profile the identifier would have joined (`None`: the new profile).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Conflict {
    pub id: Identifier,
    pub profile: Option<u64>,
    /// E.g. `merging profile 7 into 3 would give it 2 user_id (limit 1)`.
    pub reason: String,
}

/// Decides what to do with one record's normalised identifiers (see [`crate::normalize`]).
/// It only reads the graph.
///
/// The record's identifiers are taken in order of trust: by the kind's rank in
/// `config.priority`, then (for equal kinds) identifiers already owned before new ones, owners
/// by ascending profile id, then the record's order. Walking that order, each identifier
/// either links the record to more identity or is refused:
///
/// - a profile reached before anything else is accepted whatever its counts, since it exists
///   already;
/// - an identifier owned by a profile not yet in the record's group brings that whole profile,
///   accepted only if, for every kind that profile has, the group's count plus the profile's
///   stays within the limit. The first accepted profile is the target; later ones are merges;
/// - an identifier owned by nobody is attached only if its kind's count on the group stays
///   within the limit.
///
/// So the target is the owner found through the most trusted identifier (ties: the smallest
/// profile id), unless a more trusted identifier of the record contradicts it: a record
/// `{user_id: u2, device_id: d}` where `d` belongs to the profile of `user_id: u1` lands on a
/// new profile for `u2` rather than on `u1`'s, because `u1`'s profile cannot take a second
/// `user_id`. That is what keeps one shared device, or a junk value that slipped past the
/// blocklist, from collapsing thousands of people into one profile. Counts only ever grow
/// along the walk, so once a profile is refused every other identifier leading to it is too.
pub fn resolve<G: IdentityGraph>(
    graph: &mut G,
    ids: &[Identifier],
    config: &IdentityConfig,
) -> Result<Resolution, G::Error> {
    let mut seen = HashSet::new();
    let mut candidates = Vec::with_capacity(ids.len());
    for (index, id) in ids.iter().enumerate() {
        if seen.insert(id) {
            candidates.push(Candidate {
                index,
                id,
                owner: graph.owner(id)?,
            });
        }
    }
    candidates.sort_by(|a, b| {
        config
            .rank(&a.id.kind)
            .cmp(&config.rank(&b.id.kind))
            .then_with(|| a.id.kind.as_str().cmp(b.id.kind.as_str()))
            .then_with(|| a.owner.is_none().cmp(&b.owner.is_none()))
            .then_with(|| a.owner.cmp(&b.owner))
            .then_with(|| a.index.cmp(&b.index))
    });
    let record_kinds: Vec<IdentifierKind> = candidates.iter().map(|c| c.id.kind.clone()).collect();

    let mut group = Group {
        graph,
        config,
        cache: HashMap::new(),
        profiles: Vec::new(),
        attached: Vec::new(),
    };
    let mut merges = Vec::new();
    let mut conflicts = Vec::new();
    let mut refused: HashMap<u64, String> = HashMap::new();
    // Refused attaches are worded once the target is known, which may be after them.
    let mut refused_attach: Vec<(&Identifier, usize, usize)> = Vec::new();

    for candidate in &candidates {
        let id = candidate.id;
        match candidate.owner {
            Some(profile) if group.profiles.contains(&profile) => {}
            Some(profile) => {
                if let Some(reason) = refused.get(&profile) {
                    let reason = reason.clone();
                    conflicts.push(Conflict {
                        id: id.clone(),
                        profile: Some(profile),
                        reason,
                    });
                    continue;
                }
                match group.exceeded_by(profile, &record_kinds)? {
                    Some(excess) => {
                        let reason = match group.profiles.first() {
                            Some(target) => format!(
                                "merging profile {profile} into {target} would give it {excess}"
                            ),
                            None => format!(
                                "linking this record to profile {profile} would give it {excess}"
                            ),
                        };
                        refused.insert(profile, reason.clone());
                        conflicts.push(Conflict {
                            id: id.clone(),
                            profile: Some(profile),
                            reason,
                        });
                    }
                    None => {
                        if let Some(&into) = group.profiles.first() {
                            merges.push(Merge {
                                from: profile,
                                into,
                                via: id.clone(),
                                reason: format!("shares {id}"),
                            });
                        }
                        group.profiles.push(profile);
                    }
                }
            }
            None => {
                let count = group.count(&id.kind)?;
                let limit = config.limit(&id.kind);
                if count < limit {
                    group.attached.push((candidate.index, id));
                } else {
                    refused_attach.push((id, count + 1, limit));
                }
            }
        }
    }

    let target = group.profiles.first().copied();
    let holder = target.map_or_else(|| "the new profile".to_string(), |t| format!("profile {t}"));
    for (id, count, limit) in refused_attach {
        conflicts.push(Conflict {
            id: id.clone(),
            profile: target,
            reason: format!(
                "attaching it would give {holder} {count} {} (limit {limit})",
                id.kind
            ),
        });
    }
    let mut attached = group.attached;
    attached.sort_by_key(|(index, _)| *index);
    Ok(Resolution {
        target,
        attach: attached.into_iter().map(|(_, id)| id.clone()).collect(),
        merges,
        conflicts,
    })
}

struct Candidate<'a> {
    index: usize,
    id: &'a Identifier,
    owner: Option<u64>,
}

/// The identity a record has gathered so far: accepted profiles (the first is the target) and
/// accepted new identifiers, with per-profile counts fetched lazily so that the common record,
/// whose identifiers all belong to one profile, costs no count at all.
struct Group<'g, 'a, G: IdentityGraph> {
    graph: &'g mut G,
    config: &'g IdentityConfig,
    cache: HashMap<(u64, IdentifierKind), usize>,
    profiles: Vec<u64>,
    attached: Vec<(usize, &'a Identifier)>,
}

impl<G: IdentityGraph> Group<'_, '_, G> {
    fn profile_count(&mut self, profile: u64, kind: &IdentifierKind) -> Result<usize, G::Error> {
        let key = (profile, kind.clone());
        if let Some(&n) = self.cache.get(&key) {
            return Ok(n);
        }
        let n = self.graph.count(profile, kind)?;
        self.cache.insert(key, n);
        Ok(n)
    }

    /// How many identifiers of `kind` the group holds.
    fn count(&mut self, kind: &IdentifierKind) -> Result<usize, G::Error> {
        let mut total = self
            .attached
            .iter()
            .filter(|(_, id)| &id.kind == kind)
            .count();
        for i in 0..self.profiles.len() {
            total = total.saturating_add(self.profile_count(self.profiles[i], kind)?);
        }
        Ok(total)
    }

    /// The first limit (in priority order) that adding `profile` would break, worded as
    /// `2 user_id (limit 1)`. Kinds the profile has none of are skipped: a group already over
    /// a lowered limit may still take profiles that do not add to it. An empty group takes any
    /// profile, since it exists already whatever its counts.
    fn exceeded_by(
        &mut self,
        profile: u64,
        record_kinds: &[IdentifierKind],
    ) -> Result<Option<String>, G::Error> {
        if self.profiles.is_empty() && self.attached.is_empty() {
            return Ok(None);
        }
        let mut kinds = self.graph.kinds(profile)?;
        kinds.extend(
            self.config
                .limits
                .keys()
                .map(|k| IdentifierKind::from(k.as_str())),
        );
        kinds.extend(record_kinds.iter().cloned());
        kinds.sort_by(|a, b| {
            (self.config.rank(a), a.as_str()).cmp(&(self.config.rank(b), b.as_str()))
        });
        kinds.dedup();
        for kind in kinds {
            let adds = self.profile_count(profile, &kind)?;
            if adds == 0 {
                continue;
            }
            let total = self.count(&kind)?.saturating_add(adds);
            let limit = self.config.limit(&kind);
            if total > limit {
                return Ok(Some(format!("{total} {kind} (limit {limit})")));
            }
        }
        Ok(None)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{normalize, MemoryGraph, Normalized};

    fn id(text: &str) -> Identifier {
        text.parse().unwrap()
    }

    fn ids(texts: &[&str]) -> Vec<Identifier> {
        texts.iter().map(|t| id(t)).collect()
    }

    /// A graph built by ingesting each record with unlimited links.
    fn graph_of(records: &[&[&str]]) -> MemoryGraph {
        let mut graph = MemoryGraph::new();
        for record in records {
            graph
                .ingest(&ids(record), &IdentityConfig::unlimited())
                .unwrap();
        }
        graph
    }

    fn resolve_on(graph: &mut MemoryGraph, record: &[&str]) -> Resolution {
        let Ok(resolution) = resolve(graph, &ids(record), &IdentityConfig::default());
        resolution
    }

    #[test]
    fn unknown_identifiers_make_a_new_profile() {
        let mut graph = MemoryGraph::new();
        let r = resolve_on(&mut graph, &["user_id:u1", "email:ana@x.com", "user_id:u1"]);
        assert_eq!(
            r,
            Resolution {
                target: None,
                attach: ids(&["user_id:u1", "email:ana@x.com"]),
                ..Resolution::default()
            }
        );
        assert_eq!(graph.apply(&r).unwrap(), 1);
        assert_eq!(
            graph.identifiers(1),
            ids(&["user_id:u1", "email:ana@x.com"])
        );
    }

    #[test]
    fn an_empty_record_resolves_to_a_new_empty_profile() {
        assert_eq!(
            resolve_on(&mut MemoryGraph::new(), &[]),
            Resolution::default()
        );
    }

    #[test]
    fn new_identifiers_attach_to_the_known_profile() {
        let mut graph = graph_of(&[&["user_id:u1"]]);
        let r = resolve_on(&mut graph, &["anonymous_id:a1", "user_id:u1"]);
        assert_eq!(
            r,
            Resolution {
                target: Some(1),
                attach: ids(&["anonymous_id:a1"]),
                ..Resolution::default()
            }
        );
        let r = resolve_on(&mut graph, &["user_id:u1"]);
        assert_eq!(
            r,
            Resolution {
                target: Some(1),
                ..Resolution::default()
            },
            "nothing new"
        );
    }

    #[test]
    fn a_shared_email_merges_into_the_more_trusted_profile() {
        let mut graph = graph_of(&[&["anonymous_id:a1", "email:ana@x.com"], &["user_id:u1"]]);
        let r = resolve_on(
            &mut graph,
            &["email:ana@x.com", "user_id:u1", "phone:+14155550134"],
        );
        assert_eq!(
            r,
            Resolution {
                target: Some(2),
                attach: ids(&["phone:+14155550134"]),
                merges: vec![Merge {
                    from: 1,
                    into: 2,
                    via: id("email:ana@x.com"),
                    reason: "shares email:ana@x.com".into()
                }],
                conflicts: vec![],
            }
        );
        assert_eq!(graph.apply(&r).unwrap(), 2);
        assert_eq!(graph.canonical(1), Some(2));
        assert_eq!(graph.profiles(), vec![2]);
        assert_eq!(graph.identifiers(2).len(), 4);
    }

    #[test]
    fn ties_between_owners_go_to_the_smallest_profile_id() {
        let mut graph = graph_of(&[&["email:b@x.com"], &["email:a@x.com"]]);
        let r = resolve_on(&mut graph, &["email:a@x.com", "email:b@x.com"]);
        assert_eq!(r.target, Some(1));
        assert_eq!(r.merges.len(), 1);
        assert_eq!((r.merges[0].from, r.merges[0].into), (2, 1));
        assert_eq!(r.merges[0].via, id("email:a@x.com"));
    }

    #[test]
    fn two_user_ids_are_never_merged() {
        let mut graph = graph_of(&[
            &["user_id:u1", "email:a@x.com"],
            &["user_id:u2", "email:b@x.com"],
        ]);
        let r = resolve_on(
            &mut graph,
            &["email:b@x.com", "user_id:u1", "phone:+14155550134"],
        );
        assert_eq!(
            r,
            Resolution {
                target: Some(1),
                attach: ids(&["phone:+14155550134"]),
                merges: vec![],
                conflicts: vec![Conflict {
                    id: id("email:b@x.com"),
                    profile: Some(2),
                    reason: "merging profile 2 into 1 would give it 2 user_id (limit 1)".into(),
                }],
            }
        );
    }

    #[test]
    fn a_second_user_id_for_a_known_email_starts_its_own_profile() {
        // The email belongs to u1's profile; the record says it is u2. user_id outranks email,
        // so the record is u2's, and the email stays where it is, with the refusal recorded.
        let mut graph = graph_of(&[&["user_id:u1", "email:a@x.com"]]);
        let r = resolve_on(
            &mut graph,
            &["email:a@x.com", "user_id:u2", "phone:+14155550134"],
        );
        assert_eq!(
            r,
            Resolution {
                target: None,
                attach: ids(&["user_id:u2", "phone:+14155550134"]),
                merges: vec![],
                conflicts: vec![Conflict {
                    id: id("email:a@x.com"),
                    profile: Some(1),
                    reason: "linking this record to profile 1 would give it 2 user_id (limit 1)"
                        .into(),
                }],
            }
        );
    }

    #[test]
    fn a_second_user_id_is_not_attached_when_the_profile_is_found_by_a_stronger_kind() {
        let config = IdentityConfig {
            priority: vec!["email".into(), "user_id".into()],
            ..IdentityConfig::default()
        };
        let mut graph = graph_of(&[&["user_id:u1", "email:a@x.com"]]);
        let Ok(r) = resolve(
            &mut graph,
            &ids(&["user_id:u2", "email:a@x.com", "anonymous_id:z"]),
            &config,
        );
        assert_eq!(
            r,
            Resolution {
                target: Some(1),
                attach: ids(&["anonymous_id:z"]),
                merges: vec![],
                conflicts: vec![Conflict {
                    id: id("user_id:u2"),
                    profile: Some(1),
                    reason: "attaching it would give profile 1 2 user_id (limit 1)".into(),
                }],
            }
        );
    }

    #[test]
    fn within_one_new_record_the_first_of_two_user_ids_wins() {
        let r = resolve_on(
            &mut MemoryGraph::new(),
            &["user_id:u2", "email:a@x.com", "user_id:u1"],
        );
        assert_eq!(
            r,
            Resolution {
                target: None,
                attach: ids(&["user_id:u2", "email:a@x.com"]),
                merges: vec![],
                conflicts: vec![Conflict {
                    id: id("user_id:u1"),
                    profile: None,
                    reason: "attaching it would give the new profile 2 user_id (limit 1)".into(),
                }],
            }
        );
    }

    #[test]
    fn merged_counts_are_checked_against_the_limit() {
        // Three emails each: together six, over the limit of five.
        let mut graph = graph_of(&[
            &[
                "email:a1@x.com",
                "email:a2@x.com",
                "email:a3@x.com",
                "device_id:d1",
            ],
            &[
                "email:b1@x.com",
                "email:b2@x.com",
                "email:b3@x.com",
                "device_id:d2",
            ],
        ]);
        let r = resolve_on(&mut graph, &["device_id:d2", "device_id:d1"]);
        assert_eq!(r.target, Some(1));
        assert!(r.merges.is_empty());
        assert_eq!(
            r.conflicts[0].reason,
            "merging profile 2 into 1 would give it 6 email (limit 5)"
        );

        // Counts accumulate over accepted merges: 2 + 2 fits, the third profile's 2 does not.
        let mut graph = graph_of(&[
            &["email:a1@x.com", "email:a2@x.com", "phone:+14155550101"],
            &["email:b1@x.com", "email:b2@x.com", "phone:+14155550102"],
            &["email:c1@x.com", "email:c2@x.com", "phone:+14155550103"],
        ]);
        let r = resolve_on(
            &mut graph,
            &[
                "phone:+14155550103",
                "phone:+14155550102",
                "phone:+14155550101",
            ],
        );
        assert_eq!(r.target, Some(1));
        assert_eq!(r.merges.iter().map(|m| m.from).collect::<Vec<_>>(), vec![2]);
        assert_eq!(r.conflicts.len(), 1);
        assert_eq!(r.conflicts[0].profile, Some(3));
        assert_eq!(
            r.conflicts[0].reason,
            "merging profile 3 into 1 would give it 6 email (limit 5)"
        );
    }

    #[test]
    fn every_identifier_leading_to_a_refused_profile_is_reported() {
        let mut graph = graph_of(&[
            &["user_id:u1"],
            &["user_id:u2", "email:b@x.com", "phone:+14155550134"],
        ]);
        let r = resolve_on(
            &mut graph,
            &["user_id:u1", "phone:+14155550134", "email:b@x.com"],
        );
        let reported: Vec<String> = r.conflicts.iter().map(|c| c.id.to_string()).collect();
        assert_eq!(reported, ["email:b@x.com", "phone:+14155550134"]);
        assert!(r
            .conflicts
            .iter()
            .all(|c| c.reason == "merging profile 2 into 1 would give it 2 user_id (limit 1)"));
    }

    #[test]
    fn custom_kinds_are_limited_when_the_graph_lists_them() {
        let crm = |p: &str, n: usize| -> Vec<Identifier> {
            (0..n)
                .map(|i| Identifier::new("crm_id", format!("{p}{i}")))
                .collect()
        };
        let mut graph = MemoryGraph::new();
        let unlimited = IdentityConfig::unlimited();
        graph
            .ingest(
                &[crm("a", 20), ids(&["email:a@x.com"])].concat(),
                &unlimited,
            )
            .unwrap();
        graph
            .ingest(
                &[crm("b", 20), ids(&["email:b@x.com"])].concat(),
                &unlimited,
            )
            .unwrap();
        let r = resolve_on(&mut graph, &["email:a@x.com", "email:b@x.com"]);
        assert_eq!(
            r.conflicts[0].reason,
            "merging profile 2 into 1 would give it 40 crm_id (limit 25)"
        );
    }

    #[test]
    fn a_profile_already_over_a_lowered_limit_still_receives_its_records() {
        let mut graph = graph_of(&[&["user_id:u1", "user_id:u2", "email:a@x.com"]]);
        let r = resolve_on(&mut graph, &["email:a@x.com", "anonymous_id:z"]);
        assert_eq!(
            r,
            Resolution {
                target: Some(1),
                attach: ids(&["anonymous_id:z"]),
                ..Resolution::default()
            }
        );
    }

    #[test]
    fn a_device_shared_by_a_thousand_users_keeps_them_apart() {
        let config = IdentityConfig::default();
        let mut graph = MemoryGraph::new();
        let mut conflicts = 0;
        for i in 0..1000 {
            let record = [
                Identifier::new("user_id", format!("u{i}")),
                id("device_id:kiosk-1"),
            ];
            let (profile, r) = graph.ingest(&record, &config).unwrap();
            assert_eq!(profile, i + 1, "each user gets their own profile");
            conflicts += r.conflicts.len();
        }
        assert_eq!(graph.profiles().len(), 1000);
        assert_eq!(conflicts, 999, "every refused link is reported");
        assert_eq!(graph.owner_of(&id("device_id:kiosk-1")), Some(1));

        // Users who already exist apart are not merged by a device either.
        let (profile, r) = graph
            .ingest(&ids(&["device_id:kiosk-1", "user_id:u500"]), &config)
            .unwrap();
        assert_eq!(profile, 501);
        assert_eq!(
            r.conflicts[0].reason,
            "merging profile 1 into 501 would give it 2 user_id (limit 1)"
        );
        assert_eq!(graph.profiles().len(), 1000);
    }

    #[test]
    fn junk_emails_are_blocked_before_they_can_link() {
        let config = IdentityConfig::default();
        let mut graph = MemoryGraph::new();
        let mut blocked = 0;
        for i in 0..1000 {
            let raw = [
                Identifier::new("user_id", format!("u{i}")),
                id("email: Test@Test.com"),
            ];
            let mut usable = Vec::new();
            for identifier in &raw {
                match normalize(identifier, &config) {
                    Normalized::Ok(n) => usable.push(n),
                    Normalized::Blocked { .. } => blocked += 1,
                    Normalized::Invalid { reason } => panic!("{reason}"),
                }
            }
            graph.ingest(&usable, &config).unwrap();
        }
        assert_eq!(blocked, 1000);
        assert_eq!(graph.profiles().len(), 1000);
    }

    #[test]
    fn without_limits_every_shared_identifier_links() {
        let mut graph = MemoryGraph::new();
        let config = IdentityConfig::unlimited();
        for i in 0..100 {
            let record = [
                Identifier::new("user_id", format!("u{i}")),
                id("device_id:kiosk-1"),
            ];
            graph.ingest(&record, &config).unwrap();
        }
        assert_eq!(graph.profiles(), vec![1]);
        assert_eq!(graph.identifiers(1).len(), 101);
    }
}
