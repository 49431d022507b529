//! Fault injection: `tessera serve` killed with SIGKILL under sustained load loses no
//! acknowledged message and no webhook that became due, and replaying everything after a
//! restart stores each message exactly once.

mod support;

use std::collections::HashSet;
use std::path::Path;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use support::{init_with_key, post, start_server, start_server_on, tessera, webhook_receiver};

const CLIENTS: usize = 4;
const PER_BATCH: usize = 25;

fn batch_body(client: usize, n: usize) -> (String, Vec<String>) {
    let ids: Vec<String> = (0..PER_BATCH)
        .map(|k| format!("c{client}-{n}-{k}"))
        .collect();
    let messages: Vec<String> = ids
        .iter()
        .map(|id| {
            format!(
                r#"{{"type":"track","event":"Product Viewed","userId":"u{client}-{n}","messageId":"{id}","properties":{{"product_id":"P{}"}}}}"#,
                n % 37
            )
        })
        .collect();
    (format!("{{\"batch\":[{}]}}", messages.join(",")), ids)
}

fn stored_ids(data: &Path) -> Vec<String> {
    let conn = rusqlite::Connection::open(data.join("tessera.db")).unwrap();
    let mut stmt = conn.prepare("SELECT message_id FROM events").unwrap();
    stmt.query_map([], |r| r.get(0))
        .unwrap()
        .map(Result::unwrap)
        .collect()
}

#[test]
fn sigkill_under_load_loses_no_acknowledged_message() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let key = init_with_key(&data);
    // Every client's first message for a user makes that user enter `viewers`, which has a
    // webhook: each acknowledged user must reach the receiver, whatever the kill interrupts.
    let segments = dir.path().join("segments");
    std::fs::create_dir(&segments).unwrap();
    std::fs::write(
        segments.join("viewers.toml"),
        "name = \"viewers\"\ncondition = 'did(Product Viewed)'\nmin_size = 1\n",
    )
    .unwrap();
    assert!(tessera(&data)
        .args(["segment", "apply"])
        .arg(&segments)
        .output()
        .unwrap()
        .status
        .success());
    let (hook_url, hooked) = webhook_receiver();
    let added = tessera(&data)
        .args([
            "webhook",
            "add",
            "--segment",
            "viewers",
            "--url",
            &hook_url,
            "--on",
            "enter",
        ])
        .output()
        .unwrap();
    assert!(
        added.status.success(),
        "{}",
        String::from_utf8_lossy(&added.stderr)
    );
    let mut server = start_server(&data);
    let address = server.address.clone();

    let acked = Arc::new(Mutex::new(Vec::<String>::new()));
    let sent = Arc::new(Mutex::new(Vec::<(usize, usize)>::new()));
    let clients: Vec<_> = (0..CLIENTS)
        .map(|client| {
            let (acked, sent, address, key) =
                (acked.clone(), sent.clone(), address.clone(), key.clone());
            std::thread::spawn(move || {
                for n in 0.. {
                    let (body, ids) = batch_body(client, n);
                    sent.lock().unwrap().push((client, n));
                    match post(&address, "/v1/batch", &key, &body) {
                        Ok(200) => acked.lock().unwrap().extend(ids),
                        Ok(status) => panic!("unexpected status {status} under load"),
                        Err(_) => return, // the server is gone
                    }
                }
            })
        })
        .collect();
    // Sequencing only: let the load run, then kill the server mid-stream.
    std::thread::sleep(Duration::from_millis(1_500));
    server.child.kill().unwrap(); // SIGKILL
    server.child.wait().unwrap();
    for client in clients {
        client.join().unwrap();
    }

    let acked = acked.lock().unwrap().clone();
    assert!(
        acked.len() >= 10 * PER_BATCH,
        "only {} messages acknowledged: no real load",
        acked.len()
    );
    let stored = stored_ids(&data);
    let stored_set: HashSet<&String> = stored.iter().collect();
    assert_eq!(stored_set.len(), stored.len(), "a message was stored twice");
    let lost: Vec<&String> = acked.iter().filter(|id| !stored_set.contains(id)).collect();
    assert!(
        lost.is_empty(),
        "{} acknowledged messages were lost, e.g. {:?}",
        lost.len(),
        &lost[..lost.len().min(3)]
    );
    eprintln!(
        "{} acknowledged, {} stored at the kill",
        acked.len(),
        stored.len()
    );

    // After a restart, clients retry everything they sent: each message ends up stored once.
    drop(server);
    let server = start_server_on(&data, &address);
    let sent = sent.lock().unwrap().clone();
    for (client, n) in &sent {
        let (body, _) = batch_body(*client, *n);
        assert_eq!(
            post(&server.address, "/v1/batch", &key, &body).unwrap(),
            200
        );
    }
    let stored = stored_ids(&data);
    assert_eq!(stored.len(), sent.len() * PER_BATCH);
    assert_eq!(stored.iter().collect::<HashSet<_>>().len(), stored.len());

    // Every acknowledged user's enter webhook arrives, at least once (from the outbox written
    // with the change, or from the reconciliation at restart).
    let acked_users: HashSet<String> = acked.iter().map(|id| user_of(id)).collect();
    let deadline = std::time::Instant::now() + Duration::from_secs(60);
    loop {
        let missing = acked_users.difference(&hooked.lock().unwrap()).count();
        if missing == 0 {
            break;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "{missing} acknowledged users never got their webhook"
        );
        std::thread::sleep(Duration::from_millis(100));
    }
}

/// The user of message `c{client}-{n}-{k}` (see `batch_body`): each batch is a new user.
fn user_of(message_id: &str) -> String {
    let mut parts = message_id.trim_start_matches('c').split('-');
    format!("u{}-{}", parts.next().unwrap(), parts.next().unwrap())
}
