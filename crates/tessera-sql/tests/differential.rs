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

use engines::Engine;
use tessera_lang::{check, has_errors, parse, Expr};
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

#[test]
fn corpus_segments_select_the_same_members_in_duckdb_and_postgres() {
    let segments: Vec<Expr> = corpus::CORPUS.iter().map(|t| corpus_segment(t)).collect();
    for seed in [1, 2, 3, 5] {
        agree(seed, &segments);
    }
}

#[test]
fn random_segments_select_the_same_members_in_duckdb_and_postgres() {
    for seed in 11..=16 {
        let segments = random_segments::segments(seed, 80);
        for s in &segments {
            let found = check(s, &data::catalog());
            assert!(!has_errors(&found), "{s}: {found:?}");
        }
        agree(seed, &segments);
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
