//! Every dialect's SQL for every corpus segment (and many random ones) reads back with
//! sqlparser's parser for that dialect (Hive's for Spark SQL) and prints back to the same
//! text, so the printed SQL is what the syntax tree says; the `CREATE TABLE` statements too.
//! Conditions SQL cannot express exactly are refused with errors that name them.

#[path = "support/corpus.rs"]
mod corpus;
#[path = "support/data.rs"]
mod data;
#[path = "support/random_segments.rs"]
mod random_segments;

use sqlparser::parser::Parser;
use tessera_lang::{parse, Expr};
use tessera_sql::warehouse::create_tables;
use tessera_sql::{compile, sqlparser, Dialect, SqlError};

fn reads_back(dialect: Dialect, sql: &str) -> Result<(), String> {
    let statements = Parser::parse_sql(&*dialect.parser_dialect(), sql)
        .map_err(|e| format!("{dialect}: does not parse: {e}\n{sql}"))?;
    if statements.len() != 1 {
        return Err(format!(
            "{dialect}: {} statements in\n{sql}",
            statements.len()
        ));
    }
    let printed = statements[0].to_string();
    if printed != sql {
        return Err(format!(
            "{dialect}: prints back differently:\n{sql}\n{printed}"
        ));
    }
    Ok(())
}

fn all_read_back(segments: &[Expr]) {
    let mut failures = Vec::new();
    for segment in segments {
        for dialect in Dialect::ALL {
            match compile(segment, data::at(), dialect) {
                Ok(query) => {
                    if let Err(e) = reads_back(dialect, &query.to_string()) {
                        failures.push(format!("{segment}\n{e}"));
                    }
                }
                Err(e) => failures.push(format!("{segment}: {e}")),
            }
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));
}

#[test]
fn corpus_sql_reads_back_in_every_dialect() {
    let segments: Vec<Expr> = corpus::CORPUS.iter().map(|t| parse(t).expr).collect();
    all_read_back(&segments);
}

#[test]
fn random_segment_sql_reads_back_in_every_dialect() {
    all_read_back(&random_segments::segments(99, 200));
}

#[test]
fn create_table_statements_read_back_in_every_dialect() {
    for dialect in Dialect::ALL {
        for statement in create_tables(dialect) {
            reads_back(dialect, &statement.to_string()).unwrap();
        }
    }
}

fn refusal(text: &str, dialect: Dialect) -> String {
    let parsed = parse(text);
    match compile(&parsed.expr, data::at(), dialect) {
        Ok(query) => panic!("{text} compiled to {query}"),
        Err(e) => e.to_string(),
    }
}

#[test]
fn conditions_sql_cannot_express_exactly_are_refused_by_name() {
    assert_eq!(
        refusal(
            "did(Order Completed where day >= 2026-01-01)",
            Dialect::Postgres
        ),
        "`did(Order Completed where day >= 2026-01-01T00:00:00Z)` cannot be compiled to postgres \
         SQL: an event property compared with a timestamp literal is read as a date by Tessera's \
         own parser, which SQL cannot reproduce exactly; compare with a string or a number instead"
    );
    assert_eq!(
        refusal(r#"did(Login where "say \"hi\"" = 1)"#, Dialect::Spark),
        r#"`did(Login where "say \"hi\"" = 1)` cannot be compiled to spark SQL: the property name `say "hi"` has a `"` or `\`, which Spark's variant paths cannot address"#
    );
    // The same property name is fine where paths are not strings.
    assert!(compile(
        &parse(r#"did(Login where "say \"hi\"" = 1)"#).expr,
        0,
        Dialect::DuckDb
    )
    .is_ok());
}

/// A value read as a date (a string compared with a timestamp literal) is refused as in
/// `where`; a value that is never a string (`unique_count`) simply never equals one.
#[test]
fn value_conditions_compared_with_timestamps_are_refused_in_every_dialect() {
    for dialect in Dialect::ALL {
        for text in [
            "last(Order Completed.day) >= 2026-01-01",
            "not first(Order Completed.day in last 7d) in (2026-01-01, 5)",
            "most_frequent(Order Completed.day) between 2026-01-01 and 2026-02-01",
            "distinct(Order Completed.day) contains 2026-01-01",
        ] {
            let message = refusal(text, dialect);
            assert!(
                message.contains(&format!("cannot be compiled to {dialect} SQL: an event property compared with a timestamp literal")),
                "{message}"
            );
        }
        assert!(compile(
            &parse("unique_count(Order Completed.day) = 2026-01-01").expr,
            0,
            dialect
        )
        .is_ok());
    }
}

#[test]
fn conditions_not_supported_yet_are_refused_in_every_dialect() {
    for dialect in Dialect::ALL {
        let message = refusal(r#"vip = true and in segment "vip""#, dialect);
        assert_eq!(
            message,
            format!("`in segment \"vip\"` cannot be compiled to {dialect} SQL: this kind of condition is not supported in SQL yet")
        );
    }
}

/// Places are resolved into points before compiling (`tessera sql` does it); a tree that
/// still names one, or a point the checker would reject, is refused rather than guessed.
#[test]
fn unexpanded_places_and_points_off_earth_are_refused_in_every_dialect() {
    for dialect in Dialect::ALL {
        assert_eq!(
            refusal(r#"vip = true and home within 5 mi of place "downtown""#, dialect),
            format!(
                "`home within 5 mi of place \"downtown\"` cannot be compiled to {dialect} SQL: \
                 `place \"downtown\"` is resolved with the stored places before compiling \
                 (`tessera_lang::expand`, which `tessera sql` applies); this tree still refers to it"
            )
        );
        assert!(
            refusal(r#"home within 3 km of any place tagged "store""#, dialect).contains(
                "`any place tagged \"store\"` is resolved with the stored places before compiling"
            )
        );
        assert_eq!(
            refusal("not home within 3 km of point(91, 0)", dialect),
            format!(
                "`home within 3 km of point(91, 0)` cannot be compiled to {dialect} SQL: \
                 point(91, 0) is not on Earth: latitude is -90…90 and longitude -180…180"
            )
        );
    }
}

/// A tree expanded from a stored place compiles; `tessera_lang::expand` is what turns one
/// into the other.
#[test]
fn expanded_places_compile_in_every_dialect() {
    struct Places;
    impl tessera_lang::Definitions for Places {
        fn segment(&self, _: &str) -> Option<Expr> {
            None
        }
        fn place(&self, name: &str) -> Option<(f64, f64)> {
            (name == "downtown").then_some((41.8781, -87.6298))
        }
        fn tagged(&self, tag: &str) -> Vec<(f64, f64)> {
            match tag {
                "store" => vec![(41.8781, -87.6298), (40.7128, -74.006)],
                _ => Vec::new(),
            }
        }
    }
    let text =
        r#"home within 5 mi of place "downtown" or home within 3 km of any place tagged "store""#;
    let expanded = tessera_lang::expand(&parse(text).expr, &Places).expect("expands");
    assert_eq!(
        expanded.to_string(),
        "home within 5 mi of point(41.8781, -87.6298) or (home within 3 km of point(41.8781, -87.6298) or home within 3 km of point(40.7128, -74.006))"
    );
    all_read_back(&[expanded]);
}

#[test]
fn trees_with_syntax_errors_are_refused() {
    let parsed = parse("age > and did(Login)");
    assert!(tessera_lang::has_errors(&parsed.diagnostics));
    let err = compile(&parsed.expr, 0, Dialect::DuckDb).unwrap_err();
    assert!(matches!(err, SqlError::Incomplete { .. }), "{err}");
    assert!(
        err.to_string()
            .ends_with("has a syntax error in it: fix the segment before compiling it to SQL"),
        "{err}"
    );
}

#[test]
fn dialect_names_parse_and_print() {
    for dialect in Dialect::ALL {
        assert_eq!(dialect.name().parse::<Dialect>(), Ok(dialect));
    }
    assert_eq!(
        "oracle".parse::<Dialect>(),
        Err("unknown dialect `oracle`: expected one of duckdb, postgres, spark, bigquery, snowflake, clickhouse".to_string())
    );
}
