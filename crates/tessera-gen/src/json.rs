//! Hand-rolled JSON output for the event files.
//!
//! Events are written field by field into a reused buffer instead of building `serde_json`
//! values: a 100k-customer run writes millions of lines, and this keeps it at a few seconds.
//! Tests parse every line back with `serde_json`.

use std::fmt::Write;

/// Appends `"text"` with JSON escaping.
pub fn string(buf: &mut String, text: &str) {
    buf.push('"');
    for c in text.chars() {
        match c {
            '"' => buf.push_str("\\\""),
            '\\' => buf.push_str("\\\\"),
            '\n' => buf.push_str("\\n"),
            '\r' => buf.push_str("\\r"),
            '\t' => buf.push_str("\\t"),
            c if u32::from(c) < 0x20 => {
                let _ = write!(buf, "\\u{:04x}", u32::from(c));
            }
            c => buf.push(c),
        }
    }
    buf.push('"');
}

/// Appends `"key":"value",` — the building block of property objects, whose trailing comma
/// [`close`] removes.
pub fn field_str(buf: &mut String, key: &str, value: &str) {
    string(buf, key);
    buf.push(':');
    string(buf, value);
    buf.push(',');
}

/// Appends `"key":<number>,` with two decimals (money).
pub fn field_money(buf: &mut String, key: &str, value: f64) {
    string(buf, key);
    let _ = write!(buf, ":{value:.2},");
}

/// Appends `"key":<integer>,`.
pub fn field_int(buf: &mut String, key: &str, value: i64) {
    string(buf, key);
    let _ = write!(buf, ":{value},");
}

/// Appends `"key":true|false,`.
pub fn field_bool(buf: &mut String, key: &str, value: bool) {
    string(buf, key);
    buf.push_str(if value { ":true," } else { ":false," });
}

/// Appends a customer number zero-padded to seven digits, as in `C0000001` and `e-0000001-3`.
pub fn number(buf: &mut String, number: u64) {
    let _ = write!(buf, "{number:07}");
}

/// Opens an object.
pub fn open(buf: &mut String) {
    buf.push('{');
}

/// Closes an object opened with [`open`], dropping the trailing comma of its last field.
pub fn close(buf: &mut String) {
    if buf.ends_with(',') {
        buf.pop();
    }
    buf.push('}');
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn builds_parseable_objects() {
        let mut buf = String::new();
        open(&mut buf);
        field_str(&mut buf, "name", "a \"quoted\"\\ line\n\u{1}");
        field_money(&mut buf, "price", 59.99);
        field_int(&mut buf, "n", -3);
        field_bool(&mut buf, "ok", true);
        string(&mut buf, "empty");
        buf.push(':');
        open(&mut buf);
        close(&mut buf);
        close(&mut buf);
        let value: serde_json::Value = serde_json::from_str(&buf).unwrap();
        assert_eq!(value["name"], "a \"quoted\"\\ line\n\u{1}");
        assert_eq!(value["price"], 59.99);
        assert_eq!(value["n"], -3);
        assert_eq!(value["ok"], true);
        assert!(value["empty"].as_object().unwrap().is_empty());
    }
}
