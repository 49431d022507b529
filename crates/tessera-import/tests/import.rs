//! Importing files end to end: rejects name file, line, field and reason; replays add nothing.

use std::path::Path;

use tessera_import::{import_file, Format, ImportOptions, ImportReport, MappingFile};
use tessera_store::Store;

fn run(store: &mut Store, path: &Path, format: &Format) -> ImportReport {
    let options = ImportOptions {
        batch_size: 2,
        now: 1_000,
        ..Default::default()
    };
    import_file(store, path, format, &options, &mut |_| {}).unwrap()
}

fn rejects(report: &ImportReport) -> Vec<serde_json::Value> {
    let text = std::fs::read_to_string(report.rejects_path.as_ref().unwrap()).unwrap();
    text.lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
}

#[test]
fn jsonl_bad_lines_are_reported_precisely_and_good_ones_stored_once() {
    let dir = tempfile::tempdir().unwrap();
    let mut store = Store::init(&dir.path().join("data")).unwrap();
    let file = dir.path().join("events.jsonl");
    std::fs::write(
        &file,
        [
            r#"{"type":"identify","userId":"u1","traits":{"email":" Ana@Example.COM ","age":31},"timestamp":"2026-10-01T00:00:00Z","messageId":"i1"}"#,
            r#"{"type":"track","event":"Order Completed","userId":"u1","properties":{"revenue":20},"timestamp":"2026-10-02T00:00:00Z","messageId":"t1"}"#,
            r#"{"type":"track","userId":"u1","timestamp":"2026-10-02T00:00:00Z"}"#,
            r#"{"type":"track","event":"X","userId":"u1","timestamp":"2026-10-02"#,
            "",
            r#"{"type":"identify","userId":"u2","traits":{"email":"not-an-email"},"timestamp":"2026-10-01T00:00:00Z"}"#,
            r#"{"type":"identify","userId":"u3","traits":{"age":"old"},"timestamp":"2026-10-01T00:00:00Z"}"#,
            r#"{"type":"page","anonymousId":"a9","name":"Home","timestamp":"2026-10-03T00:00:00Z"}"#,
        ]
        .join("\n"),
    )
    .unwrap();
    let report = run(&mut store, &file, &Format::SegmentJsonl);
    let p = &report.progress;
    assert_eq!((p.lines, p.stored, p.duplicates, p.rejected), (8, 3, 0, 4));
    let rejects = rejects(&report);
    let summary: Vec<(u64, String)> = rejects
        .iter()
        .map(|r| {
            (
                r["line"].as_u64().unwrap(),
                r["field"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    assert_eq!(
        summary,
        vec![
            (3, "event".into()),
            (4, "".into()),
            (6, "traits.email".into()),
            (7, "traits.age".into())
        ]
    );
    assert!(
        rejects[1]["reason"]
            .as_str()
            .unwrap()
            .starts_with("invalid JSON at column"),
        "{}",
        rejects[1]
    );
    assert_eq!(
        report.first_rejects[0].to_string(),
        format!("{}:3: field `event`: missing; a track message needs the event name, e.g. \"Order Completed\"", file.display())
    );
    // The email was normalised and links the identify to the profile.
    let profile = store
        .find_profile(&tessera_model::Identifier::new("email", "ana@example.com"))
        .unwrap();
    assert!(profile.is_some());

    let again = run(&mut store, &file, &Format::SegmentJsonl);
    assert_eq!(
        (
            again.progress.stored,
            again.progress.duplicates,
            again.progress.rejected
        ),
        (0, 3, 4)
    );
}

#[test]
fn csv_rows_are_mapped_and_bad_cells_rejected_with_their_column() {
    let dir = tempfile::tempdir().unwrap();
    let mut store = Store::init(&dir.path().join("data")).unwrap();
    let file = dir.path().join("crm.csv");
    std::fs::write(
        &file,
        "id,email,age,opt_in,updated\n\
         c1,a@x.com,30,yes,2026-01-01\n\
         c2,b@x.com,abc,no,2026-01-01\n\
         c3,c@x.com,40,maybe,2026-01-01\n\
         c4,d@x.com,50,no\n\
         ,,,,\n\
         c5,e@x.com,,true,2026-01-01\n",
    )
    .unwrap();
    let mapping = MappingFile::parse(
        "kind = \"profiles\"\ntimestamp = \"updated\"\n[identifiers]\nuser_id = \"id\"\nemail = \"email\"\n\
         [traits]\nage = { column = \"age\", type = \"number\" }\n[consent]\nemail = \"opt_in\"\n",
    )
    .unwrap();
    let format = Format::Csv(mapping);
    let report = run(&mut store, &file, &format);
    let p = &report.progress;
    assert_eq!((p.stored, p.rejected), (2, 3));
    let rejects = rejects(&report);
    let summary: Vec<(u64, &str, &str)> = rejects
        .iter()
        .map(|r| {
            (
                r["line"].as_u64().unwrap(),
                r["field"].as_str().unwrap(),
                r["reason"].as_str().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        summary,
        vec![
            (3, "age", "`abc` is not a number"),
            (4, "opt_in", "`maybe` is not a yes/no consent value"),
            (5, "", "row has 4 fields but the header has 5"),
        ]
    );
    assert_eq!(
        run(&mut store, &file, &format).progress.stored,
        0,
        "a replay stores nothing"
    );
}

#[test]
fn a_mapping_that_does_not_fit_the_header_stops_before_any_row() {
    let dir = tempfile::tempdir().unwrap();
    let mut store = Store::init(&dir.path().join("data")).unwrap();
    let file = dir.path().join("crm.csv");
    std::fs::write(&file, "customer_id,mail\nc1,a@x.com\n").unwrap();
    let mapping = MappingFile::parse(
        "kind = \"profiles\"\n[identifiers]\nuser_id = \"customer\"\nemail = \"mail\"\n",
    )
    .unwrap();
    let err = import_file(
        &mut store,
        &file,
        &Format::Csv(mapping),
        &ImportOptions::default(),
        &mut |_| {},
    )
    .unwrap_err()
    .to_string();
    assert!(
        err.contains(
            "identifiers.user_id: no column `customer` in the header; did you mean `customer_id`?"
        ),
        "{err}"
    );
    assert_eq!(store.stats().unwrap().events, 0);
}

#[test]
fn alias_links_the_previous_anonymous_id_to_the_user() {
    let dir = tempfile::tempdir().unwrap();
    let mut store = Store::init(&dir.path().join("data")).unwrap();
    let file = dir.path().join("alias.jsonl");
    std::fs::write(
        &file,
        [
            r#"{"type":"page","anonymousId":"anon-1","name":"Home","timestamp":"2026-10-01T00:00:00Z","messageId":"p1"}"#,
            r#"{"type":"identify","userId":"u1","traits":{"plan":"pro"},"timestamp":"2026-10-01T00:01:00Z","messageId":"i1"}"#,
            r#"{"type":"alias","userId":"u1","previousId":"anon-1","timestamp":"2026-10-01T00:02:00Z","messageId":"a1"}"#,
        ]
        .join("\n"),
    )
    .unwrap();
    let report = run(&mut store, &file, &Format::SegmentJsonl);
    assert_eq!(report.progress.stored, 3);
    let anon = store
        .find_profile(&tessera_model::Identifier::new("anonymous_id", "anon-1"))
        .unwrap();
    let user = store
        .find_profile(&tessera_model::Identifier::new("user_id", "u1"))
        .unwrap();
    assert!(anon.is_some());
    assert_eq!(
        anon, user,
        "alias merged the anonymous visitor into the user"
    );
    assert_eq!(store.stats().unwrap().merges, 1);
}
