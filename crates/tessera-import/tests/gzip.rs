//! Gzip-compressed inputs import exactly like the same text uncompressed, whatever the file
//! is called; a damaged stream stops the import with the file named, keeping what committed.

use std::io::Write;
use std::path::Path;

use flate2::write::GzEncoder;
use tessera_import::{import_file, Format, ImportOptions, ImportReport, MappingFile};
use tessera_store::Store;

fn gzip(text: &[u8]) -> Vec<u8> {
    let mut encoder = GzEncoder::new(Vec::new(), flate2::Compression::fast());
    encoder.write_all(text).unwrap();
    encoder.finish().unwrap()
}

fn import(dir: &Path, name: &str, bytes: &[u8], format: &Format) -> (ImportReport, String) {
    let data = dir.join(format!("data-{name}"));
    let mut store = Store::init(&data).unwrap();
    let file = dir.join(name);
    std::fs::write(&file, bytes).unwrap();
    let options = ImportOptions {
        batch_size: 50,
        now: 1_000,
        ..Default::default()
    };
    let report = import_file(&mut store, &file, format, &options, &mut |_| {}).unwrap();
    let rejects = report
        .rejects_path
        .as_ref()
        .map(|path| std::fs::read_to_string(path).unwrap())
        .unwrap_or_default();
    (report, rejects)
}

fn events(count: usize) -> String {
    (0..count)
        .map(|i| {
            if i == 123 {
                return r#"{"type":"track","userId":"u1""#.to_string();
            }
            format!(
                r#"{{"type":"track","event":"Product Viewed","userId":"u{}","properties":{{"price":{}.5}},"timestamp":"2026-10-02T00:00:00Z","messageId":"m{i}"}}"#,
                i % 37,
                i % 90
            )
        })
        .collect::<Vec<_>>()
        .join("\n")
}

#[test]
fn gzip_json_lines_in_several_members_import_like_the_plain_file() {
    let dir = tempfile::tempdir().unwrap();
    let text = events(500);
    let (half, rest) = text.split_at(text.len() / 2);
    // Two gzip members one after the other, as `cat a.gz b.gz` makes.
    let mut compressed = gzip(half.as_bytes());
    compressed.extend(gzip(rest.as_bytes()));
    let format = Format::SegmentJsonl;
    let (plain, plain_rejects) = import(dir.path(), "events.jsonl", text.as_bytes(), &format);
    let (zipped, zipped_rejects) = import(dir.path(), "events.jsonl.gz", &compressed, &format);
    let counts = |r: &ImportReport| {
        let p = &r.progress;
        (p.lines, p.stored, p.duplicates, p.rejected)
    };
    assert_eq!(counts(&plain), (500, 499, 0, 1));
    assert_eq!(counts(&zipped), counts(&plain));
    assert_eq!(
        zipped_rejects,
        plain_rejects.replace("events.jsonl", "events.jsonl.gz")
    );
    // Progress is measured in bytes of the file, compressed or not.
    assert_eq!(zipped.progress.bytes_read, compressed.len() as u64);
    assert_eq!(zipped.progress.total_bytes, compressed.len() as u64);
    assert_eq!(plain.progress.bytes_read, text.len() as u64);
}

#[test]
fn gzip_csv_is_recognised_by_its_bytes_not_its_name() {
    let dir = tempfile::tempdir().unwrap();
    let csv = (0..200)
        .map(|i| format!("c{i},{}\n", i % 70))
        .fold("id,age\n".to_string(), |text, row| text + &row);
    let mapping = MappingFile::parse(
        "kind = \"profiles\"\n[identifiers]\nuser_id = \"id\"\n\
         [traits]\nage = { column = \"age\", type = \"number\" }\n",
    )
    .unwrap();
    let format = Format::Csv(mapping);
    // Named .csv, compressed all the same.
    let (report, _) = import(dir.path(), "crm.csv", &gzip(csv.as_bytes()), &format);
    assert_eq!((report.progress.stored, report.progress.rejected), (200, 0));
}

#[test]
fn a_damaged_gzip_stream_stops_the_import_naming_the_file_and_keeps_what_committed() {
    let dir = tempfile::tempdir().unwrap();
    // Long enough that the damage is met after the first batches are stored.
    let mut compressed = gzip(events(20_000).as_bytes());
    let middle = compressed.len() / 2;
    compressed.truncate(middle);
    let file = dir.path().join("events.jsonl.gz");
    std::fs::write(&file, &compressed).unwrap();
    let mut store = Store::init(&dir.path().join("data")).unwrap();
    let options = ImportOptions {
        batch_size: 50,
        now: 1_000,
        ..Default::default()
    };
    let err = import_file(
        &mut store,
        &file,
        &Format::SegmentJsonl,
        &options,
        &mut |_| {},
    )
    .unwrap_err()
    .to_string();
    assert!(err.contains("events.jsonl.gz"), "{err}");
    let stored = store.stats().unwrap().events;
    assert!(
        stored >= 50,
        "batches before the damage stay committed: {stored}"
    );
}
