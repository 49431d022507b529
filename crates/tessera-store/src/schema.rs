//! Versioned schema migrations, applied in order inside one transaction each.
//!
//! `PRAGMA user_version` holds the number of migrations applied. A migration is never edited
//! once released: a change to the schema is a new entry at the end of [`MIGRATIONS`].

use rusqlite::Connection;

use crate::Result;

/// Each entry upgrades the schema from version `index` to `index + 1`.
pub(crate) const MIGRATIONS: &[&str] = &[
    // 1: the initial schema.
    r#"
    -- A profile row is one source record cluster. `canonical` points at the root of its merge
    -- group (kept fully compressed: always the root itself, never a chain).
    CREATE TABLE profiles (
        id          INTEGER PRIMARY KEY,
        canonical   INTEGER NOT NULL,
        created_at  INTEGER NOT NULL
    );
    CREATE INDEX profiles_canonical ON profiles(canonical);

    -- Normalised identifiers; each value of a kind belongs to exactly one profile row.
    CREATE TABLE identifiers (
        kind        TEXT NOT NULL,
        value       TEXT NOT NULL,
        profile_id  INTEGER NOT NULL REFERENCES profiles(id),
        first_seen  INTEGER NOT NULL,
        PRIMARY KEY (kind, value)
    ) WITHOUT ROWID;
    CREATE INDEX identifiers_profile ON identifiers(profile_id);

    -- The declared type of every trait, fixed by the first value or by a CSV mapping.
    CREATE TABLE trait_schema (
        name        TEXT PRIMARY KEY,
        type        TEXT NOT NULL
    ) WITHOUT ROWID;

    -- Append-only trait observations: "as of" views and merge rules are computed from them.
    CREATE TABLE trait_values (
        seq         INTEGER PRIMARY KEY,
        profile_id  INTEGER NOT NULL REFERENCES profiles(id),
        name        TEXT NOT NULL,
        ts          INTEGER NOT NULL,
        value       TEXT NOT NULL
    );
    CREATE INDEX trait_values_profile ON trait_values(profile_id, name, ts);

    CREATE TABLE consents (
        seq         INTEGER PRIMARY KEY,
        profile_id  INTEGER NOT NULL REFERENCES profiles(id),
        purpose     TEXT NOT NULL,
        granted     INTEGER NOT NULL,
        ts          INTEGER NOT NULL
    );
    CREATE INDEX consents_profile ON consents(profile_id, purpose, ts);

    -- Every message, behavioural or not. `message_id` makes ingestion idempotent.
    CREATE TABLE events (
        seq         INTEGER PRIMARY KEY,
        message_id  TEXT NOT NULL UNIQUE,
        profile_id  INTEGER NOT NULL REFERENCES profiles(id),
        kind        TEXT NOT NULL,
        name        TEXT NOT NULL,
        ts          INTEGER NOT NULL,
        received_at INTEGER NOT NULL,
        properties  TEXT NOT NULL,
        context     TEXT NOT NULL
    );
    CREATE INDEX events_profile ON events(profile_id, ts);

    -- Event names and property keys seen, for the segment checker's catalog.
    CREATE TABLE event_catalog (
        name        TEXT NOT NULL,
        property    TEXT NOT NULL,
        PRIMARY KEY (name, property)
    ) WITHOUT ROWID;

    -- Why profiles were merged, and which links were refused.
    CREATE TABLE merges (
        seq         INTEGER PRIMARY KEY,
        ts          INTEGER NOT NULL,
        into_id     INTEGER NOT NULL,
        from_id     INTEGER NOT NULL,
        via_kind    TEXT NOT NULL,
        via_value   TEXT NOT NULL,
        reason      TEXT NOT NULL,
        message_id  TEXT NOT NULL
    );
    CREATE INDEX merges_into ON merges(into_id);
    CREATE TABLE identity_conflicts (
        seq         INTEGER PRIMARY KEY,
        ts          INTEGER NOT NULL,
        profile_id  INTEGER,
        kind        TEXT NOT NULL,
        value       TEXT NOT NULL,
        reason      TEXT NOT NULL,
        message_id  TEXT NOT NULL
    );

    CREATE TABLE segments (
        name        TEXT PRIMARY KEY,
        description TEXT NOT NULL,
        condition   TEXT NOT NULL,
        min_size    INTEGER NOT NULL,
        updated_at  INTEGER NOT NULL
    ) WITHOUT ROWID;
    CREATE TABLE memberships (
        segment     TEXT NOT NULL REFERENCES segments(name) ON DELETE CASCADE,
        profile_id  INTEGER NOT NULL,
        PRIMARY KEY (segment, profile_id)
    ) WITHOUT ROWID;
    CREATE INDEX memberships_profile ON memberships(profile_id);

    -- Erasures are recorded with counts only: the erased data itself is gone.
    CREATE TABLE erasures (
        seq         INTEGER PRIMARY KEY,
        ts          INTEGER NOT NULL,
        profiles    INTEGER NOT NULL,
        identifiers INTEGER NOT NULL,
        events      INTEGER NOT NULL,
        traits      INTEGER NOT NULL,
        memberships INTEGER NOT NULL
    );
    -- SHA-256 of erased message ids, so that replaying an old file does not bring back
    -- events of an erased person. A hash reveals nothing about the person.
    CREATE TABLE erased_messages (
        hash        BLOB PRIMARY KEY
    ) WITHOUT ROWID;

    CREATE TABLE imports (
        seq         INTEGER PRIMARY KEY,
        source      TEXT NOT NULL,
        started_at  INTEGER NOT NULL,
        finished_at INTEGER,
        stored      INTEGER NOT NULL DEFAULT 0,
        duplicates  INTEGER NOT NULL DEFAULT 0,
        rejected    INTEGER NOT NULL DEFAULT 0
    );

    CREATE TABLE places (
        name        TEXT PRIMARY KEY,
        lat         REAL NOT NULL,
        lon         REAL NOT NULL,
        tags        TEXT NOT NULL
    ) WITHOUT ROWID;
    "#,
    // 2: API keys, stored as SHA-256 hashes; the plaintext is shown once at creation.
    r#"
    CREATE TABLE api_keys (
        id          INTEGER PRIMARY KEY,
        name        TEXT NOT NULL,
        scope       TEXT NOT NULL,
        hash        BLOB NOT NULL UNIQUE,
        prefix      TEXT NOT NULL,
        created_at  INTEGER NOT NULL,
        revoked_at  INTEGER
    );
    "#,
    // 3: counters that must never go backwards, such as profile ids: an erased person's id
    // is never given to someone else.
    r#"
    CREATE TABLE counters (
        name        TEXT PRIMARY KEY,
        value       INTEGER NOT NULL
    ) WITHOUT ROWID;
    INSERT INTO counters (name, value) SELECT 'next_profile_id', coalesce(max(id), 0) + 1 FROM profiles;
    "#,
    // 4: membership history: every enter and exit with its instant, so that "who was in S at
    // T" and "when did P enter S" are answered from the store.
    r#"
    CREATE TABLE membership_changes (
        seq         INTEGER PRIMARY KEY,
        segment     TEXT NOT NULL,
        profile_id  INTEGER NOT NULL,
        entered     INTEGER NOT NULL,
        at          INTEGER NOT NULL
    );
    CREATE INDEX membership_changes_segment ON membership_changes(segment, profile_id, at);
    CREATE INDEX membership_changes_profile ON membership_changes(profile_id, at);
    "#,
    // 5: webhooks per segment and their outbox: a delivery row is written in the same
    // transaction as the membership change it announces, so none is lost on a crash.
    r#"
    CREATE TABLE webhooks (
        id          INTEGER PRIMARY KEY,
        segment     TEXT NOT NULL,
        url         TEXT NOT NULL,
        secret      TEXT NOT NULL,
        on_enter    INTEGER NOT NULL,
        on_exit     INTEGER NOT NULL,
        created_at  INTEGER NOT NULL
    );
    CREATE INDEX webhooks_segment ON webhooks(segment);
    CREATE TABLE webhook_outbox (
        id              INTEGER PRIMARY KEY,
        webhook_id      INTEGER NOT NULL,
        payload         TEXT NOT NULL,
        created_at      INTEGER NOT NULL,
        attempts        INTEGER NOT NULL DEFAULT 0,
        next_attempt_at INTEGER NOT NULL,
        last_error      TEXT,
        delivered_at    INTEGER,
        dead            INTEGER NOT NULL DEFAULT 0
    );
    CREATE INDEX webhook_outbox_due ON webhook_outbox(next_attempt_at) WHERE delivered_at IS NULL AND dead = 0;
    "#,
    // 6: the part of each event's context that segments read (`tessera_model::segment_context`),
    // kept beside the raw context so that loading events does not parse every context again.
    // Rows stored before are filled in by `backfill_segment_context` in the same transaction.
    r#"
    ALTER TABLE events ADD COLUMN segment_context TEXT;
    "#,
    // 7: `events` becomes an append-only log: no index is updated in the commit of an event.
    // Events by profile and message ids are indexed in `tessera-index.db` in deferred,
    // sorted merges (see `index/`), which needs `seq` never to be given twice (AUTOINCREMENT
    // even after the newest events are erased) and an id that ties that file to this store.
    r#"
    CREATE TABLE events_log (
        seq             INTEGER PRIMARY KEY AUTOINCREMENT,
        message_id      TEXT NOT NULL,
        profile_id      INTEGER NOT NULL REFERENCES profiles(id),
        kind            TEXT NOT NULL,
        name            TEXT NOT NULL,
        ts              INTEGER NOT NULL,
        received_at     INTEGER NOT NULL,
        properties      TEXT NOT NULL,
        context         TEXT NOT NULL,
        segment_context TEXT
    );
    INSERT INTO events_log (seq, message_id, profile_id, kind, name, ts, received_at, properties, context, segment_context)
        SELECT seq, message_id, profile_id, kind, name, ts, received_at, properties, context, segment_context
        FROM events ORDER BY seq;
    DROP TABLE events;
    ALTER TABLE events_log RENAME TO events;
    INSERT INTO counters (name, value) VALUES ('store_id', abs(random()));
    "#,
    // 8: the event's `context.location` joined the part of the context segments read (for
    // `last_location`); events stored before with a location get theirs in the same
    // transaction (`backfill_segment_context`).
    r#"
    SELECT 1;
    "#,
    // 9: event payloads (properties, context, segment context) as one value, compressed with
    // dictionaries trained on the store's own events (`payload.rs`). Rows stored before keep
    // their three text columns; a row with a payload has `''`, `''` and NULL there.
    r#"
    ALTER TABLE events ADD COLUMN payload BLOB;
    CREATE TABLE payload_dicts (
        id          INTEGER PRIMARY KEY,
        created_at  INTEGER NOT NULL,
        samples     INTEGER NOT NULL,
        ratio       REAL NOT NULL,
        dict        BLOB NOT NULL
    );
    "#,
];

/// Fills `events.segment_context` for the rows with a context matching `filter` (SQL over
/// `context`), stored before the summary had its current parts.
fn backfill_segment_context(tx: &rusqlite::Transaction<'_>, filter: &str) -> Result<()> {
    let mut read = tx.prepare(&format!("SELECT seq, context FROM events WHERE {filter}"))?;
    let mut write = tx.prepare("UPDATE events SET segment_context = ?1 WHERE seq = ?2")?;
    let mut rows = read.query([])?;
    while let Some(row) = rows.next()? {
        let seq: i64 = row.get(0)?;
        let context: serde_json::Map<String, serde_json::Value> =
            serde_json::from_str(row.get_ref(1)?.as_str()?)
                .map_err(|e| crate::Error::Internal(format!("event context: {e}")))?;
        if let Some(summary) = tessera_model::segment_context(&context) {
            write.execute(rusqlite::params![
                serde_json::Value::Object(summary).to_string(),
                seq
            ])?;
        }
    }
    Ok(())
}

/// Brings the database up to the newest schema version.
pub(crate) fn migrate(conn: &mut Connection) -> Result<u32> {
    let current: u32 = conn.query_row("PRAGMA user_version", [], |row| row.get(0))?;
    let latest = MIGRATIONS.len() as u32;
    if current > latest {
        return Err(crate::Error::SchemaTooNew {
            found: current,
            supported: latest,
        });
    }
    for (index, sql) in MIGRATIONS.iter().enumerate().skip(current as usize) {
        let tx = conn.transaction()?;
        tx.execute_batch(sql)?;
        match index {
            5 => backfill_segment_context(&tx, "context != '{}'")?,
            // Contexts are stored as serde_json prints them, keys unescaped: `instr` finds them.
            7 => backfill_segment_context(&tx, "instr(context, '\"location\"') > 0")?,
            _ => {}
        }
        tx.pragma_update(None, "user_version", index as u32 + 1)?;
        tx.commit()?;
    }
    Ok(latest)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn events_stored_before_version_8_get_their_location_into_the_segment_context() {
        let mut conn = Connection::open_in_memory().unwrap();
        for sql in &MIGRATIONS[..7] {
            conn.execute_batch(sql).unwrap();
        }
        conn.pragma_update(None, "user_version", 7).unwrap();
        conn.execute(
            "INSERT INTO profiles (id, canonical, created_at) VALUES (1, 1, 0)",
            [],
        )
        .unwrap();
        let insert = "INSERT INTO events (message_id, profile_id, kind, name, ts, received_at, properties, context, segment_context)
             VALUES (?1, 1, 'track', 'Page Viewed', 0, 0, '{}', ?2, ?3)";
        let located =
            r#"{"location":{"latitude":41.88,"longitude":-87.63},"timezone":"America/Chicago"}"#;
        let stale = r#"{"channel":"Direct","timezone":"America/Chicago"}"#;
        conn.execute(insert, rusqlite::params!["m1", located, stale])
            .unwrap();
        conn.execute(
            insert,
            rusqlite::params![
                "m2",
                r#"{"timezone":"UTC"}"#,
                r#"{"channel":"Direct","timezone":"UTC"}"#
            ],
        )
        .unwrap();
        migrate(&mut conn).unwrap();
        let summaries: Vec<String> = conn
            .prepare("SELECT segment_context FROM events ORDER BY seq")
            .unwrap()
            .query_map([], |r| r.get(0))
            .unwrap()
            .collect::<rusqlite::Result<_>>()
            .unwrap();
        assert_eq!(
            summaries,
            [
                r#"{"channel":"Direct","location":{"latitude":41.88,"longitude":-87.63},"timezone":"America/Chicago"}"#,
                r#"{"channel":"Direct","timezone":"UTC"}"#,
            ]
        );
    }

    #[test]
    fn an_older_database_is_brought_up_to_date_and_a_newer_one_refused() {
        let mut conn = Connection::open_in_memory().unwrap();
        conn.execute_batch(MIGRATIONS[0]).unwrap();
        conn.pragma_update(None, "user_version", 1).unwrap();
        assert_eq!(migrate(&mut conn).unwrap(), MIGRATIONS.len() as u32);
        let keys: i64 = conn
            .query_row("SELECT count(*) FROM api_keys", [], |r| r.get(0))
            .unwrap();
        assert_eq!(keys, 0);
        // Migrating again is a no-op.
        assert_eq!(migrate(&mut conn).unwrap(), MIGRATIONS.len() as u32);
        conn.pragma_update(None, "user_version", 99).unwrap();
        let err = migrate(&mut conn).unwrap_err().to_string();
        assert!(err.contains("schema version 99"), "{err}");
    }

    #[test]
    fn events_stored_before_version_6_get_their_segment_context() {
        let mut conn = Connection::open_in_memory().unwrap();
        for sql in &MIGRATIONS[..5] {
            conn.execute_batch(sql).unwrap();
        }
        conn.pragma_update(None, "user_version", 5).unwrap();
        conn.execute_batch(
            r#"INSERT INTO profiles (id, canonical, created_at) VALUES (1, 1, 0);
               INSERT INTO events (message_id, profile_id, kind, name, ts, received_at, properties, context)
               VALUES ('a', 1, 'track', 'X', 1, 1, '{}', '{"campaign":{"source":"google","medium":"cpc"}}'),
                      ('b', 1, 'track', 'X', 2, 2, '{}', '{}');"#,
        )
        .unwrap();
        migrate(&mut conn).unwrap();
        let summaries: Vec<Option<String>> = conn
            .prepare("SELECT segment_context FROM events ORDER BY seq")
            .unwrap()
            .query_map([], |r| r.get(0))
            .unwrap()
            .collect::<rusqlite::Result<_>>()
            .unwrap();
        assert_eq!(
            summaries,
            vec![
                Some(
                    r#"{"campaign":{"medium":"cpc","source":"google"},"channel":"Paid Search"}"#
                        .to_string()
                ),
                None
            ]
        );
    }
}
