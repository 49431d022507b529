//! `tessera export warehouse` and `tessera sql` end to end: the store's data exported as of an
//! instant and loaded into a real PostgreSQL (with `psql`, using the `CREATE TABLE` statements
//! `tessera sql --create-tables` prints), where the compiled queries return exactly the members
//! `tessera segment members` computes, for ad-hoc conditions and for a stored segment that
//! refers to another one.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

const AT: &str = "2026-10-05T00:00:00Z";

fn tessera(data: &Path, args: &[&str]) -> Output {
    let out = Command::new(env!("CARGO_BIN_EXE_tessera"))
        .arg("--data")
        .arg(data)
        .args(args)
        .output()
        .expect("running tessera");
    assert!(
        out.status.success(),
        "tessera {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    out
}

fn stdout(out: &Output) -> String {
    String::from_utf8(out.stdout.clone()).expect("UTF-8 output")
}

/// A store with typed traits from CSV and events with varied properties from JSON Lines.
fn setup(dir: &Path) -> PathBuf {
    let data = dir.join("data");
    tessera(&data, &["init"]);
    let crm = dir.join("crm.csv");
    std::fs::write(
        &crm,
        "id,email,age,city_tier,income,vip,updated\n\
         c1,ana@example.com,30,urban,90000,true,2026-01-01\n\
         c2,bo@example.com,41,rural,50000,false,2026-01-01\n\
         c3,cy@example.com,28,urban,120000,true,2026-01-01\n\
         c4,di@example.com,,it's,,false,2026-01-01\n",
    )
    .expect("writing crm.csv");
    let crm = crm.to_str().expect("a UTF-8 path");
    tessera(
        &data,
        &[
            "import",
            crm,
            "--id",
            "user_id=id",
            "--id",
            "email=email",
            "--trait",
            "age:number=age",
            "--trait",
            "city_tier=city_tier",
            "--trait",
            "income:number=income",
            "--trait",
            "vip:bool=vip",
            "--timestamp",
            "updated",
        ],
    );
    let events = [
        (
            "c1",
            "Product Viewed",
            "2026-10-01",
            r#"{"product_id":"X","price":10}"#,
        ),
        (
            "c1",
            "Product Viewed",
            "2026-10-02",
            r#"{"product_id":"X","price":12.5}"#,
        ),
        (
            "c1",
            "Product Viewed",
            "2026-10-03",
            r#"{"product_id":"X"}"#,
        ),
        (
            "c1",
            "Product Viewed",
            "2026-10-09",
            r#"{"product_id":"X"}"#,
        ),
        (
            "c2",
            "Product Viewed",
            "2026-10-04",
            r#"{"product_id":7,"tags":["sale",2]}"#,
        ),
        (
            "c3",
            "Order Completed",
            "2026-10-04",
            r#"{"revenue":42.5,"shipping":{"cost":4}}"#,
        ),
        (
            "c3",
            "Order Completed",
            "2026-09-01",
            r#"{"revenue":"12","coupon":null}"#,
        ),
        (
            "c4",
            "Order Completed",
            "2026-10-03",
            r#"{"revenue":3,"shipping.cost":9}"#,
        ),
    ];
    let lines: Vec<String> = events
        .iter()
        .enumerate()
        .map(|(i, (user, event, day, props))| {
            format!(
                r#"{{"type":"track","event":"{event}","userId":"{user}","messageId":"m{i}","timestamp":"{day}T10:00:00Z","properties":{props}}}"#
            )
        })
        .collect();
    let events_file = dir.join("events.jsonl");
    std::fs::write(&events_file, lines.join("\n")).expect("writing events.jsonl");
    tessera(
        &data,
        &["import", events_file.to_str().expect("a UTF-8 path")],
    );
    data
}

/// The profile ids `tessera segment members` lists, ascending.
fn members(data: &Path, args: &[&str]) -> Vec<i64> {
    let mut all = vec!["segment", "members", "--at", AT];
    all.extend_from_slice(args);
    let mut ids: Vec<i64> = stdout(&tessera(data, &all))
        .lines()
        .skip(1)
        .map(|line| line.split(',').next().unwrap_or("").parse().expect("an id"))
        .collect();
    ids.sort_unstable();
    ids
}

fn postgres_dsn() -> String {
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../.ci/postgres.sh");
    let out = Command::new("bash")
        .arg(&script)
        .output()
        .expect("running .ci/postgres.sh");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    stdout(&out).trim().to_string()
}

/// Runs a psql script and returns its output lines (rows, one per line, unaligned).
fn psql(script: &str, file: &Path) -> Vec<String> {
    std::fs::write(file, script).expect("writing the psql script");
    let out = Command::new("psql")
        .arg(postgres_dsn())
        .args(["-X", "-q", "-A", "-t", "-v", "ON_ERROR_STOP=1", "-f"])
        .arg(file)
        .output()
        .expect("psql is installed with PostgreSQL");
    assert!(
        out.status.success(),
        "psql: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    stdout(&out)
        .lines()
        .filter(|l| !l.is_empty())
        .map(str::to_string)
        .collect()
}

/// Creates `schema` and loads the export into it (tables from `tessera sql --create-tables`).
fn load_script(data: &Path, export: &Path, schema: &str) -> String {
    let mut script = format!("CREATE SCHEMA {schema};\nSET search_path TO {schema};\n");
    script.push_str(&stdout(&tessera(
        data,
        &["sql", "--dialect", "postgres", "--create-tables"],
    )));
    for table in [
        "profiles",
        "traits",
        "trait_items",
        "identifiers",
        "events",
        "places",
    ] {
        script.push_str(&format!(
            "\\copy {table} FROM '{}' WITH (FORMAT csv, HEADER true)\n",
            export.join(format!("{table}.csv")).display()
        ));
    }
    script
}

fn schema_name(tag: &str) -> String {
    format!("wh_{}_{tag}", std::process::id())
}

/// Loads the export into a fresh schema, runs `query` there and drops the schema.
fn run_in_postgres(data: &Path, export: &Path, query: &str) -> Vec<i64> {
    let schema = schema_name("query");
    let mut script = load_script(data, export, &schema);
    script.push_str(query);
    script.push_str(&format!("\nDROP SCHEMA {schema} CASCADE;\n"));
    psql(&script, &export.join("load-and-query.sql"))
        .iter()
        .map(|l| l.parse().expect("an id"))
        .collect()
}

#[test]
fn compiled_segments_find_the_same_members_in_postgres_as_tessera() {
    let dir = tempfile::tempdir().expect("a temporary directory");
    let data = setup(dir.path());
    let export = dir.path().join("export");
    let counts = stdout(&tessera(
        &data,
        &[
            "export",
            "warehouse",
            "--format",
            "csv",
            "--at",
            AT,
            export.to_str().unwrap(),
        ],
    ));
    assert!(
        counts.contains("events") && counts.contains("8"),
        "{counts}"
    );

    // Each with the members Tessera finds, so that none is trivially empty or everyone.
    let conditions: [(&str, &[i64]); 10] = [
        (
            r#"count(Product Viewed where product_id = "X" in last 7d) >= 3 and age < 35"#,
            &[1],
        ),
        (
            r#"did(Order Completed where revenue > 5) or city_tier = "rural""#,
            &[2, 3],
        ),
        ("not sum(Order Completed.revenue) > 5", &[1, 2, 4]),
        ("min(Order Completed.shipping.cost) < 5", &[3]),
        ("last(Product Viewed) less than 3d ago", &[1, 2]),
        (
            "income between 60000 and 150000 and not did(Order Completed)",
            &[1],
        ),
        (
            r#"did(Product Viewed where tags contains "sale") or city_tier = "it's""#,
            &[2, 4],
        ),
        ("not age > 29", &[3, 4]),
        ("vip = true", &[1, 3]),
        // Built-in RFM traits: exported as of the same instant.
        ("rfm.m >= 3 or rfm.segment = \"New Customers\"", &[3]),
    ];
    for (condition, expected) in conditions {
        let want = members(&data, &["--where", condition]);
        assert_eq!(want, expected, "{condition}");
        let query = stdout(&tessera(
            &data,
            &[
                "sql",
                "--dialect",
                "postgres",
                "--at",
                AT,
                "--where",
                condition,
            ],
        ));
        let got = run_in_postgres(&data, &export, &query);
        assert_eq!(got, want, "{condition}\n{query}");
    }

    // A stored segment that refers to another one is expanded before it is compiled.
    let segments = dir.path().join("segments");
    std::fs::create_dir(&segments).expect("a directory");
    std::fs::write(
        segments.join("urban.toml"),
        "name = \"urban\"\ncondition = 'city_tier = \"urban\"'\n",
    )
    .expect("writing urban.toml");
    std::fs::write(
        segments.join("urban_viewers.toml"),
        "name = \"urban_viewers\"\ncondition = 'in segment \"urban\" and did(Product Viewed)'\n",
    )
    .expect("writing urban_viewers.toml");
    tessera(
        &data,
        &["segment", "apply", segments.to_str().unwrap(), "--at", AT],
    );
    let want = members(&data, &["urban_viewers"]);
    assert_eq!(want, [1], "ana is urban and viewed products");
    let query = stdout(&tessera(
        &data,
        &["sql", "--dialect", "postgres", "--at", AT, "urban_viewers"],
    ));
    assert_eq!(run_in_postgres(&data, &export, &query), want, "{query}");
}

/// `tessera warehouse run` stores what the warehouse answers: a segment applied long ago has
/// its members replaced by the warehouse's members as of the export's instant.
#[test]
fn warehouse_run_stores_the_members_postgres_returns() {
    let dir = tempfile::tempdir().expect("a temporary directory");
    let data = setup(dir.path());
    let segments = dir.path().join("segments");
    std::fs::create_dir(&segments).expect("a directory");
    std::fs::write(
        segments.join("buyers.toml"),
        "name = \"buyers\"\ncondition = 'did(Order Completed where revenue exists)'\n",
    )
    .expect("writing buyers.toml");
    // On 2026-09-02 only cy had ordered.
    let segments = segments.to_str().unwrap();
    tessera(&data, &["segment", "apply", segments, "--at", "2026-09-02"]);
    let export = dir.path().join("export");
    tessera(
        &data,
        &["export", "warehouse", "--at", AT, export.to_str().unwrap()],
    );
    let schema = schema_name("run");
    psql(
        &load_script(&data, &export, &schema),
        &export.join("load.sql"),
    );
    let out = tessera(
        &data,
        &[
            "warehouse",
            "run",
            "--dsn",
            &postgres_dsn(),
            "--schema",
            &schema,
            "--at",
            AT,
            "buyers",
        ],
    );
    psql(
        &format!("DROP SCHEMA {schema} CASCADE;\n"),
        &export.join("drop.sql"),
    );
    let table = stdout(&out);
    assert!(
        table.contains("buyers") && table.contains("+1") && table.contains("-0"),
        "{table}"
    );
    assert_eq!(members(&data, &["buyers"]), [3, 4]);
    let di = stdout(&tessera(
        &data,
        &["profile", "show", "user_id:c4", "--json"],
    ));
    let di: serde_json::Value = serde_json::from_str(&di).expect("JSON");
    assert_eq!(di["segments"], serde_json::json!(["buyers"]), "{di}");
    let bo = stdout(&tessera(
        &data,
        &["profile", "show", "user_id:c2", "--json"],
    ));
    let bo: serde_json::Value = serde_json::from_str(&bo).expect("JSON");
    assert_eq!(bo["segments"], serde_json::json!([]), "{bo}");
}

#[test]
fn parquet_export_writes_one_file_per_table() {
    let dir = tempfile::tempdir().expect("a temporary directory");
    let data = setup(dir.path());
    let export = dir.path().join("parquet");
    tessera(
        &data,
        &[
            "export",
            "warehouse",
            "--format",
            "parquet",
            export.to_str().unwrap(),
        ],
    );
    for table in [
        "profiles",
        "traits",
        "trait_items",
        "identifiers",
        "events",
        "places",
    ] {
        let bytes = std::fs::read(export.join(format!("{table}.parquet"))).expect(table);
        // A Parquet file starts and ends with the magic bytes `PAR1`.
        assert!(
            bytes.starts_with(b"PAR1") && bytes.ends_with(b"PAR1"),
            "{table}"
        );
    }
}
