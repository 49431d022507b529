//! Fault injection: `tessera serve` killed with SIGKILL under sustained load loses no
//! acknowledged message, and replaying everything after a restart stores each exactly once.

mod support;

use std::collections::HashSet;
use std::path::Path;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use support::{init_with_key, post, start_server, start_server_on};

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
                r#"{{"type":"track","event":"Product Viewed","userId":"u{}","messageId":"{id}","properties":{{"product_id":"P{}"}}}}"#,
                n % 500,
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
}
