//! The payload codec alone: plain and compressed round trips, when dictionaries are trained,
//! what masking keeps out of them, and damaged payloads.

use proptest::prelude::*;

use super::*;

fn migrated() -> Connection {
    let mut conn = Connection::open_in_memory().unwrap();
    crate::schema::migrate(&mut conn).unwrap();
    conn
}

/// A web-like event: shared keys and vocabulary, a per-event number, and
/// `secret` in its properties when given.
fn event(i: usize, secret: Option<&str>) -> (String, String, Option<String>) {
    let categories = ["electronics", "beauty", "home", "travel", "outdoor"];
    let mut properties = serde_json::json!({
        "category": categories[i % categories.len()],
        "product_id": format!("P{:04}", i % 300),
        "price": (i % 97) as f64 + 0.99,
        "device": if i.is_multiple_of(3) { "mobile" } else { "desktop" },
    });
    if let Some(secret) = secret {
        properties["email"] = secret.into();
    }
    let context = serde_json::json!({
        "device": {"type": if i.is_multiple_of(3) { "mobile" } else { "desktop" }},
        "timezone": "America/Chicago",
        "page": {"path": format!("/p/{}", i % 300), "referrer": "https://www.google.com/"},
    });
    let segment = serde_json::json!({"channel": "Organic Search", "device": context["device"]});
    (
        properties.to_string(),
        context.to_string(),
        (!i.is_multiple_of(5)).then(|| segment.to_string()),
    )
}

fn parts<'a>(texts: &'a (String, String, Option<String>)) -> PayloadParts<'a> {
    PayloadParts {
        properties: &texts.0,
        context: &texts.1,
        segment_context: texts.2.as_deref(),
    }
}

proptest! {
    #[test]
    fn plain_payloads_round_trip(
        properties in ".*",
        context in ".*",
        segment in proptest::option::of(".+"),
    ) {
        let parts = PayloadParts {
            properties: &properties,
            context: &context,
            segment_context: segment.as_deref(),
        };
        let mut plain = Vec::new();
        parts.write_plain(&mut plain);
        prop_assert_eq!(PayloadParts::read_plain(&plain).unwrap(), parts);
    }
}

#[test]
fn lengths_round_trip_at_every_width_and_cut_input_is_an_error() {
    for n in [0usize, 1, 127, 128, 16_383, 16_384, 1 << 40, usize::MAX] {
        let mut out = Vec::new();
        put_len(&mut out, n);
        assert_eq!(take_len(&mut out.as_slice()).unwrap(), n);
        assert!(take_len(&mut &out[..out.len() - 1]).is_err());
    }
}

#[test]
fn payloads_are_plain_until_a_dictionary_is_trained_then_compressed_and_decoded_exactly() {
    let conn = migrated();
    let mut encoder = PayloadEncoder::load(&conn).unwrap();
    let mut decoder = PayloadDecoder::new();
    let (mut plain_bytes, mut stored_bytes, mut packed_rows) = (0, 0, 0);
    for i in 0..40_000 {
        let texts = event(i, None);
        let payload = encoder
            .encode(&conn, i as u64 % 500, parts(&texts))
            .unwrap()
            .to_vec();
        if payload[0] == PACKED {
            packed_rows += 1;
            stored_bytes += payload.len();
            plain_bytes += texts.0.len() + texts.1.len() + texts.2.as_ref().map_or(0, String::len);
        } else {
            assert_eq!(packed_rows, 0, "a row after the first dictionary is plain");
        }
        assert_eq!(decoder.decode(&conn, &payload).unwrap(), parts(&texts));
    }
    let dicts: i64 = conn
        .query_row("SELECT count(*) FROM payload_dicts", [], |r| r.get(0))
        .unwrap();
    assert_eq!(dicts, 1, "the same kind of data needs one dictionary");
    assert!(packed_rows > 30_000, "{packed_rows}");
    assert!(
        stored_bytes * 4 < plain_bytes,
        "{stored_bytes} bytes stored for {plain_bytes}"
    );

    // A new encoder (a restarted writer) carries on with the stored dictionary.
    let mut again = PayloadEncoder::load(&conn).unwrap();
    let texts = event(7, None);
    let payload = again.encode(&conn, 7, parts(&texts)).unwrap().to_vec();
    assert_eq!(payload[0], PACKED);
    assert_eq!(
        PayloadDecoder::new().decode(&conn, &payload).unwrap(),
        parts(&texts)
    );
}

#[test]
fn a_change_in_the_data_trains_a_new_dictionary_and_old_rows_still_decode() {
    let conn = migrated();
    let mut encoder = PayloadEncoder::load(&conn).unwrap();
    let mut stored = Vec::new();
    for i in 0..15_000 {
        let texts = event(i, None);
        stored.push((
            encoder
                .encode(&conn, i as u64 % 200, parts(&texts))
                .unwrap()
                .to_vec(),
            texts,
        ));
    }
    // Then a different vocabulary altogether (a POS import after web events, say).
    for i in 0..30_000 {
        let properties = format!(
            r#"{{"store_id":"S{:02}","receipt_lines":{},"tender":"{}","cashier":"C{:03}"}}"#,
            i % 40,
            i % 9,
            ["cash", "card", "voucher"][i % 3],
            i % 150
        );
        let texts = (properties, "{}".to_string(), None);
        stored.push((
            encoder
                .encode(&conn, i as u64 % 300, parts(&texts))
                .unwrap()
                .to_vec(),
            texts,
        ));
    }
    let dicts: i64 = conn
        .query_row("SELECT count(*) FROM payload_dicts", [], |r| r.get(0))
        .unwrap();
    assert!(dicts >= 2, "{dicts}");
    let mut decoder = PayloadDecoder::new();
    for (payload, texts) in &stored {
        assert_eq!(decoder.decode(&conn, payload).unwrap(), parts(texts));
    }
    // The new data compresses better with the new dictionary than it would with the first.
    let first: Vec<u8> = conn
        .query_row("SELECT dict FROM payload_dicts WHERE id = 1", [], |r| {
            r.get(0)
        })
        .unwrap();
    let mut with_first = compression_context(&first).unwrap();
    let (mut now, mut before) = (0, 0);
    for (payload, texts) in &stored[stored.len() - 2000..] {
        let mut plain = Vec::new();
        parts(texts).write_plain(&mut plain);
        let mut frame = vec![0; zstd::zstd_safe::compress_bound(plain.len())];
        before += with_first.compress2(&mut frame[..], &plain).unwrap();
        now += payload.len();
    }
    assert!(
        now * 10 < before * 8,
        "{now} bytes against {before} with the first dictionary"
    );
}

#[test]
fn what_fewer_than_ten_profiles_sent_never_enters_a_dictionary() {
    let secret = "jane.roe.1987@example.org";
    let shared = "shared-campaign-2026@example.org";
    let mut window = VecDeque::new();
    for i in 0..20_000 {
        // Profile 1 sends a third of the events, all with its e-mail address; the shared value
        // is sent by 20 profiles.
        let (profile, value) = match i % 3 {
            0 => (1, Some(secret)),
            1 => (100 + (i as u64 % 20), Some(shared)),
            _ => (1000 + i as u64, None),
        };
        let texts = event(i, value);
        let mut plain = Vec::new();
        parts(&texts).write_plain(&mut plain);
        window.push_back(Sample { profile, plain });
    }
    let contains = |dict: &[u8], text: &str| dict.windows(text.len()).any(|w| w == text.as_bytes());
    // Trained on the raw window, the dictionary would keep the address (the test's premise).
    let raw: Vec<&[u8]> = window.iter().map(|s| s.plain.as_slice()).collect();
    let unmasked = zstd::dict::from_samples(&raw, DICT_BYTES).unwrap();
    assert!(contains(&unmasked, secret));
    let masked = zstd::dict::from_samples(&masked_samples(&window), DICT_BYTES).unwrap();
    assert!(!contains(&masked, secret));
    assert!(!contains(&masked, "jane.roe"));
    assert!(contains(&masked, shared));
}

#[test]
fn damaged_payloads_are_errors_not_panics() {
    let conn = migrated();
    let mut decoder = PayloadDecoder::new();
    for bad in [
        &[][..],
        &[9, 1, 2],
        &[PLAIN, 5, b'{', b'}'],
        &[PLAIN, 1, 0xff, 0],
        &[PACKED, 42, 10, 1, 2, 3],
    ] {
        let err = decoder.decode(&conn, bad).unwrap_err().to_string();
        assert!(err.contains("payload"), "{err}");
    }
}

#[test]
fn tiny_payloads_stay_plain_and_do_not_train_a_dictionary() {
    // A CRM import (identifies: `{}` twice) before the web events, as the demo imports them.
    let conn = migrated();
    let mut encoder = PayloadEncoder::load(&conn).unwrap();
    let empty = ("{}".to_string(), "{}".to_string(), None);
    for profile in 0..300_000 {
        let payload = encoder.encode(&conn, profile, parts(&empty)).unwrap();
        assert_eq!(payload[0], PLAIN);
    }
    let count = |conn: &Connection| -> i64 {
        conn.query_row("SELECT count(*) FROM payload_dicts", [], |r| r.get(0))
            .unwrap()
    };
    assert_eq!(count(&conn), 0);
    let (mut stored, mut plain) = (0, 0);
    for i in 0..20_000 {
        let texts = event(i, None);
        let payload = encoder
            .encode(&conn, i as u64 % 500, parts(&texts))
            .unwrap();
        if i >= 10_000 {
            stored += payload.len();
            plain += texts.0.len() + texts.1.len() + texts.2.as_ref().map_or(0, String::len);
        }
    }
    assert_eq!(count(&conn), 1);
    assert!(stored * 4 < plain, "{stored} bytes for {plain}");
}
