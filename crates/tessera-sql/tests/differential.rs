//! The acceptance test of the SQL compiler: on random datasets, the members Tessera's
//! reference interpreter computes equal the rows the compiled SQL returns in a real DuckDB
//! and a real PostgreSQL, for the corpus of segments (every condition type) and for random
//! segments. The data reaches the databases through the exporter's CSV writer and the
//! crate's own `CREATE TABLE` statements, so those are tested too.

#[path = "support/corpus.rs"]
mod corpus;
#[path = "support/data.rs"]
mod data;
#[path = "support/engines.rs"]
mod engines;
#[path = "support/random_segments.rs"]
mod random_segments;

use std::collections::BTreeSet;

use engines::Engine;
use tessera_lang::{check, has_errors, parse, Expr, GeoTarget, ValueTest};
use tessera_sql::compile;
use tessera_sql::warehouse::Format;

/// Parses and checks a corpus segment; the corpus must be free of errors.
fn corpus_segment(text: &str) -> Expr {
    let parsed = parse(text);
    assert!(
        !has_errors(&parsed.diagnostics),
        "{text}: {:?}",
        parsed.diagnostics
    );
    let found = check(&parsed.expr, &data::catalog());
    assert!(!has_errors(&found), "{text}: {found:?}");
    parsed.expr
}

/// Runs every segment on one dataset in `engines` (loaded from files in `format`) and reports
/// every disagreement with the interpreter.
fn agree_in(seed: u64, segments: &[Expr], format: Format, engines: &[Engine]) {
    let dataset = data::dataset(seed);
    let dir = tempfile::tempdir().expect("a temporary directory");
    dataset.write(dir.path(), format);
    let expected: Vec<Vec<i64>> = segments.iter().map(|s| dataset.members(s)).collect();
    let mut failures = Vec::new();
    for &engine in engines {
        let queries: Vec<String> = segments
            .iter()
            .map(|s| {
                compile(s, data::at(), engine.dialect())
                    .unwrap_or_else(|e| panic!("{s}: {e}"))
                    .to_string()
            })
            .collect();
        let results = engines::run(engine, dir.path(), format, &queries);
        for ((segment, query), (want, got)) in segments
            .iter()
            .zip(&queries)
            .zip(expected.iter().zip(results))
        {
            if got.as_ref() != Ok(want) {
                failures.push(format!(
                    "{engine:?} ({format:?}), dataset seed {seed} ({} profiles): {segment}\n  tessera: {want:?}\n  sql:     {got:?}\n  query:   {query}",
                    dataset.profiles.len()
                ));
            }
        }
    }
    assert!(
        failures.is_empty(),
        "{} disagreement(s):\n{}",
        failures.len(),
        failures.join("\n")
    );
}

fn agree(seed: u64, segments: &[Expr]) {
    agree_in(seed, segments, Format::Csv, &Engine::ALL);
}

/// The datasets the corpus is compared on.
const CORPUS_SEEDS: [u64; 4] = [1, 2, 3, 5];
/// The seeds of the random datasets and segments, and how many segments each.
const RANDOM_SEEDS: std::ops::RangeInclusive<u64> = 11..=16;
const RANDOM_SEGMENTS: usize = 80;

#[test]
fn corpus_segments_select_the_same_members_in_duckdb_and_postgres() {
    let segments: Vec<Expr> = corpus::CORPUS.iter().map(|t| corpus_segment(t)).collect();
    for seed in CORPUS_SEEDS {
        agree(seed, &segments);
    }
}

#[test]
fn random_segments_select_the_same_members_in_duckdb_and_postgres() {
    for seed in RANDOM_SEEDS {
        let segments = random_segments::segments(seed, RANDOM_SEGMENTS);
        for s in &segments {
            let found = check(s, &data::catalog());
            assert!(!has_errors(&found), "{s}: {found:?}");
            assert_geo_tests_guarded(s);
        }
        agree(seed, &segments);
    }
}

/// The random segments' geo, sequence and value conditions must mostly tell profiles apart on
/// their datasets, or the comparison above would mostly see them fail for everyone.
#[test]
fn random_geo_sequence_and_value_conditions_split_the_generated_profiles() {
    let (mut sequences, mut geo, mut values) = ((0, 0), (0, 0), (0, 0));
    for seed in RANDOM_SEEDS {
        let dataset = data::dataset(seed);
        let total = dataset.profiles.len();
        for segment in random_segments::segments(seed, RANDOM_SEGMENTS) {
            segment.walk(&mut |e| {
                let tally = match e {
                    Expr::Sequence(_) => &mut sequences,
                    Expr::Trait(c) if matches!(c.test, ValueTest::Within { .. }) => &mut geo,
                    Expr::Value(_) => &mut values,
                    _ => return,
                };
                let n = dataset.members(e).len();
                tally.0 += usize::from(0 < n && n < total);
                tally.1 += 1;
            });
        }
    }
    assert!(
        sequences.1 >= 100 && sequences.0 * 3 >= sequences.1,
        "{sequences:?}"
    );
    assert!(geo.1 >= 40 && geo.0 * 3 >= geo.1 * 2, "{geo:?}");
    assert!(values.1 >= 100 && values.0 * 2 >= values.1, "{values:?}");
}

/// Every `within` measures from a target and a distance the generated points are kept clear
/// of (by more than a millionth), so that the last bits of a warehouse's `sin` and `cos`
/// cannot decide a comparison: a disagreement is then a difference of meaning.
fn assert_geo_tests_guarded(segment: &Expr) {
    segment.walk(&mut |e| {
        if let Expr::Trait(cond) = e {
            if let ValueTest::Within { distance, of } = &cond.test {
                let GeoTarget::Point { lat, lon } = *of else {
                    panic!("{e}: only points reach the compiler");
                };
                assert!(
                    data::geo_test_is_guarded(lat, lon, distance.metres()),
                    "{e}: add the point to GEO_TARGETS and the distance to GEO_DISTANCES in data.rs"
                );
            }
        }
    });
}

#[test]
fn corpus_geo_tests_measure_from_guarded_targets() {
    for text in corpus::CORPUS {
        assert_geo_tests_guarded(&corpus_segment(text));
    }
}

/// The Parquet export carries the same data: DuckDB reads it (PostgreSQL has no Parquet
/// reader) and the corpus gives the interpreter's members.
#[test]
fn parquet_export_gives_the_same_members_in_duckdb() {
    let segments: Vec<Expr> = corpus::CORPUS.iter().map(|t| corpus_segment(t)).collect();
    agree_in(4, &segments, Format::Parquet, &[Engine::DuckDb]);
}

/// The corpus is only a good test if its segments tell profiles apart on this data.
#[test]
fn corpus_segments_split_the_generated_profiles() {
    let dataset = data::dataset(1);
    let total = dataset.profiles.len();
    let trivial: Vec<&str> = corpus::CORPUS
        .iter()
        .filter(|t| {
            let n = dataset.members(&corpus_segment(t)).len();
            n == 0 || n == total
        })
        .copied()
        .collect();
    // A few are all-or-nothing by design (an empty range, `contains ""` on every string).
    assert!(
        trivial.len() <= corpus::CORPUS.len() / 8,
        "too many segments select everyone or no one: {trivial:#?}"
    );
}

/// Geo, sequence and value conditions are new to the compiler, so each of them must tell
/// profiles apart on its own, on at least one of the datasets the corpus is compared on (so
/// that the comparison sees it both hold and not hold), except the one that cannot hold by
/// design.
#[test]
fn corpus_geo_sequence_and_value_segments_each_split_the_generated_profiles() {
    /// Nothing is 60,000,000,000 days old, so nothing has waited that long for a follow-up.
    const NEVER: &[&str] = &["did(Email Opened not followed by Login within 60000000000d)"];
    let datasets: Vec<data::Dataset> = CORPUS_SEEDS.iter().map(|&s| data::dataset(s)).collect();
    let mut trivial = Vec::new();
    for text in corpus::CORPUS {
        let segment = corpus_segment(text);
        let mut new_kind = false;
        segment.walk(&mut |e| {
            new_kind |= matches!(e, Expr::Sequence(_) | Expr::Value(_))
                || matches!(e, Expr::Trait(c) if matches!(c.test, ValueTest::Within { .. }));
        });
        if !new_kind {
            continue;
        }
        let counts: Vec<(usize, usize)> = datasets
            .iter()
            .map(|d| (d.members(&segment).len(), d.profiles.len()))
            .collect();
        let ok = if NEVER.contains(text) {
            counts.iter().all(|&(n, _)| n == 0)
        } else {
            counts.iter().any(|&(n, total)| 0 < n && n < total)
        };
        if !ok {
            trivial.push(format!("{text}: (members, profiles) {counts:?}"));
        }
    }
    assert!(trivial.is_empty(), "{trivial:#?}");
}

/// Ties at one instant must decide value conditions on the generated data, or the comparison
/// would not see whether the SQL breaks them by `seq`: on the corpus's datasets, storing every
/// profile's events in the reverse order changes the members of some `first`, some `last` and
/// some `most_frequent` segment.
#[test]
fn store_order_decides_some_corpus_value_conditions() {
    let mut decided = BTreeSet::new();
    for seed in CORPUS_SEEDS {
        let dataset = data::dataset(seed);
        let mut reversed = data::dataset(seed);
        for (_, profile) in &mut reversed.profiles {
            profile.events.reverse();
        }
        for text in corpus::CORPUS {
            let segment = corpus_segment(text);
            if let Expr::Value(cond) = &segment {
                if dataset.members(&segment) != reversed.members(&segment) {
                    decided.insert(cond.func.as_str());
                }
            }
        }
    }
    assert_eq!(
        decided.into_iter().collect::<Vec<_>>(),
        ["first", "last", "most_frequent"]
    );
}
