//! Property tests of `resolve` driving a `MemoryGraph`: against brute-force connected
//! components when nothing is limited, and the per-kind limits when they are.

use std::collections::{BTreeMap, BTreeSet};

use proptest::prelude::*;
use tessera_identity::{resolve, IdentityConfig, MemoryGraph, Resolution};
use tessera_model::Identifier;

const KINDS: [&str; 7] = [
    "user_id",
    "loyalty_id",
    "email",
    "phone",
    "device_id",
    "anonymous_id",
    "crm_id",
];

/// Few values per kind, so that records share identifiers often.
fn identifier() -> impl Strategy<Value = Identifier> {
    (0..KINDS.len(), 0u8..5).prop_map(|(k, v)| Identifier::new(KINDS[k], format!("v{v}")))
}

fn records() -> impl Strategy<Value = Vec<Vec<Identifier>>> {
    prop::collection::vec(prop::collection::vec(identifier(), 1..5), 1..40)
}

/// Connected components of identifiers linked by appearing on one record, by merging any two
/// overlapping sets until none overlap: quadratic, and obviously right.
fn brute_force_components(records: &[Vec<Identifier>]) -> BTreeSet<BTreeSet<Identifier>> {
    let mut sets: Vec<BTreeSet<Identifier>> = records
        .iter()
        .map(|r| r.iter().cloned().collect())
        .collect();
    'restart: loop {
        for i in 0..sets.len() {
            for j in i + 1..sets.len() {
                if !sets[i].is_disjoint(&sets[j]) {
                    let merged = sets.swap_remove(j);
                    sets[i].extend(merged);
                    continue 'restart;
                }
            }
        }
        return sets.into_iter().collect();
    }
}

fn partition(graph: &MemoryGraph) -> BTreeSet<BTreeSet<Identifier>> {
    graph
        .profiles()
        .into_iter()
        .map(|p| graph.identifiers(p).iter().cloned().collect())
        .collect()
}

fn small_limits() -> IdentityConfig {
    let limits = [
        ("user_id", 1),
        ("loyalty_id", 1),
        ("email", 2),
        ("phone", 2),
        ("device_id", 2),
        ("anonymous_id", 3),
    ];
    IdentityConfig {
        limits: limits
            .into_iter()
            .map(|(k, n)| (k.to_string(), n))
            .collect(),
        // `crm_id` gets this one, which only the graph's `kinds` lets `resolve` see.
        default_limit: 2,
        ..IdentityConfig::default()
    }
}

/// Sending a record again after it was applied asks for nothing new.
fn assert_idempotent(
    graph: &mut MemoryGraph,
    record: &[Identifier],
    landed: u64,
    config: &IdentityConfig,
) -> Result<(), TestCaseError> {
    let Ok(again) = resolve(graph, record, config);
    prop_assert_eq!(again.target, Some(landed));
    prop_assert!(again.attach.is_empty(), "{:?}", again);
    prop_assert!(again.merges.is_empty(), "{:?}", again);
    Ok(())
}

proptest! {
    #[test]
    fn unlimited_resolution_is_connected_components(records in records()) {
        let config = IdentityConfig::unlimited();
        let mut graph = MemoryGraph::new();
        let mut landed = Vec::new();
        for record in &records {
            let (profile, resolution) = graph.ingest(record, &config).unwrap();
            prop_assert!(resolution.conflicts.is_empty(), "{:?}", resolution);
            assert_idempotent(&mut graph, record, profile, &config)?;
            landed.push(profile);
        }
        prop_assert_eq!(partition(&graph), brute_force_components(&records));
        for (record, profile) in records.iter().zip(landed) {
            let canonical = graph.canonical(profile);
            for id in record {
                prop_assert_eq!(graph.owner_of(id), canonical);
            }
        }
    }

    #[test]
    fn limits_hold_on_every_profile_after_every_record(records in records()) {
        let config = small_limits();
        let mut graph = MemoryGraph::new();
        for record in &records {
            let before = graph.clone();
            let (profile, resolution) = graph.ingest(record, &config).unwrap();
            check_refusals_are_reported(&before, &graph, record, profile, &resolution)?;
            assert_idempotent(&mut graph, record, profile, &config)?;
            for p in graph.profiles() {
                let mut counts: BTreeMap<&str, usize> = BTreeMap::new();
                for id in graph.identifiers(p) {
                    *counts.entry(id.kind.as_str()).or_default() += 1;
                }
                for (kind, count) in counts {
                    let limit = config.limit(&kind.into());
                    prop_assert!(count <= limit, "profile {} has {} {} (limit {})", p, count, kind, limit);
                }
            }
        }
    }
}

/// Every identifier of the record ends up on the profile it landed on, or a conflict names it;
/// profiles merged away are gone and nothing else changed owner.
fn check_refusals_are_reported(
    before: &MemoryGraph,
    after: &MemoryGraph,
    record: &[Identifier],
    landed: u64,
    resolution: &Resolution,
) -> Result<(), TestCaseError> {
    for id in record {
        let reported = resolution.conflicts.iter().any(|c| &c.id == id);
        prop_assert!(
            after.owner_of(id) == Some(landed) || reported,
            "{} neither landed on {} nor was reported: {:?}",
            id,
            landed,
            resolution
        );
    }
    let merged: BTreeSet<u64> = resolution.merges.iter().map(|m| m.from).collect();
    for p in before.profiles() {
        let expected = if merged.contains(&p) || Some(p) == resolution.target {
            landed
        } else {
            p
        };
        prop_assert_eq!(after.canonical(p), Some(expected));
    }
    Ok(())
}
