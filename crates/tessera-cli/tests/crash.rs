//! Fault injection: a `tessera import` killed with SIGKILL at arbitrary moments loses nothing it
//! reported as stored and leaves no half-written batch; re-running completes the file exactly.

use std::io::{BufRead, BufReader, Write};
use std::path::Path;
use std::process::{Command, Stdio};

const LINES: u64 = 60_000;
const BATCH: u64 = 500;

fn write_events(path: &Path) {
    let mut out = std::io::BufWriter::new(std::fs::File::create(path).unwrap());
    for i in 0..LINES {
        writeln!(
            out,
            r#"{{"type":"track","event":"Product Viewed","userId":"u{}","messageId":"m{i}","timestamp":"2026-10-01T00:00:00Z","properties":{{"n":{i}}}}}"#,
            i % 5_000
        )
        .unwrap();
    }
}

fn tessera(data: &Path) -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_tessera"));
    cmd.arg("--data").arg(data);
    cmd
}

/// Message numbers stored, ascending.
fn stored_messages(data: &Path) -> Vec<u64> {
    let conn = rusqlite::Connection::open(data.join("tessera.db")).unwrap();
    let mut stmt = conn.prepare("SELECT message_id FROM events").unwrap();
    let mut ids: Vec<u64> = stmt
        .query_map([], |r| r.get::<_, String>(0))
        .unwrap()
        .map(|id| id.unwrap()[1..].parse().unwrap())
        .collect();
    ids.sort_unstable();
    ids
}

/// The file is read in order and each batch is one transaction, so after any kill the store
/// holds exactly a prefix of the file made of whole batches. Returns its length.
fn whole_batch_prefix(data: &Path) -> u64 {
    let stored = stored_messages(data);
    let count = stored.len() as u64;
    assert!(
        count.is_multiple_of(BATCH) || count == LINES,
        "{count} events is not a whole number of batches"
    );
    assert!(
        stored.iter().enumerate().all(|(i, id)| *id == i as u64),
        "stored events are not a prefix"
    );
    count
}

#[test]
fn killed_imports_keep_every_reported_batch_and_only_whole_batches() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let file = dir.path().join("events.jsonl");
    write_events(&file);
    let status = tessera(&data).arg("init").status().unwrap();
    assert!(status.success());

    // Kill at several different points: early, mid-way, later.
    for kill_after in [2_000u64, 15_000, 40_000] {
        let mut child = tessera(&data)
            .args([
                "import",
                "--log-commits",
                "--batch-size",
                &BATCH.to_string(),
            ])
            .arg(&file)
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let stdout = BufReader::new(child.stdout.take().unwrap());
        let mut reported = 0u64;
        for line in stdout.lines() {
            let line = line.unwrap();
            if let Some(n) = line.strip_prefix("committed through line ") {
                reported = n.parse().unwrap();
                if reported >= kill_after {
                    break;
                }
            }
        }
        child.kill().unwrap(); // SIGKILL on Unix
        child.wait().unwrap();

        let count = whole_batch_prefix(&data);
        eprintln!("killed after line {reported} was reported: {count} events stored");
        assert!(
            count < LINES,
            "the import finished before the kill: the test proved nothing"
        );
        assert!(
            count >= reported,
            "reported {reported} lines committed but only {count} are stored"
        );
    }

    // Kills at moments unrelated to commits, so some land in the middle of a transaction.
    for delay_ms in [30u64, 90, 200, 450] {
        let mut child = tessera(&data)
            .args(["import", "--batch-size", &BATCH.to_string()])
            .arg(&file)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        std::thread::sleep(std::time::Duration::from_millis(delay_ms));
        child.kill().unwrap();
        child.wait().unwrap();
        let count = whole_batch_prefix(&data);
        eprintln!("killed after {delay_ms} ms: {count} events stored");
    }

    // Running the import again completes the file without duplicating anything.
    let output = tessera(&data).arg("import").arg(&file).output().unwrap();
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let stored = stored_messages(&data);
    assert_eq!(stored.len() as u64, LINES);
    assert!(stored.iter().enumerate().all(|(i, id)| *id == i as u64));
}
