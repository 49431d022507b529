//! Dictionaries: each distinct string or JSON value of a column stored once, named by a u32 code.

use std::hash::BuildHasher;

use hashbrown::hash_table::{Entry, HashTable};
use hashbrown::DefaultHashBuilder;
use serde_json::Value;

/// Distinct strings, each stored once (the hash table holds codes, not copies).
#[derive(Default)]
pub(crate) struct StrDict {
    values: Vec<Box<str>>,
    table: HashTable<u32>,
    hasher: DefaultHashBuilder,
}

impl StrDict {
    pub(crate) fn intern(&mut self, s: &str) -> u32 {
        let StrDict {
            values,
            table,
            hasher,
        } = self;
        let hash = hasher.hash_one(s);
        let entry = table.entry(
            hash,
            |&code| &*values[code as usize] == s,
            |&code| hasher.hash_one(&*values[code as usize]),
        );
        match entry {
            Entry::Occupied(found) => *found.get(),
            Entry::Vacant(slot) => {
                let code = code_for(values.len());
                slot.insert(code);
                values.push(s.into());
                code
            }
        }
    }

    pub(crate) fn get(&self, s: &str) -> Option<u32> {
        let hash = self.hasher.hash_one(s);
        self.table
            .find(hash, |&code| &*self.values[code as usize] == s)
            .copied()
    }

    pub(crate) fn value(&self, code: u32) -> &str {
        &self.values[code as usize]
    }

    pub(crate) fn len(&self) -> usize {
        self.values.len()
    }

    pub(crate) fn iter(&self) -> impl Iterator<Item = &str> {
        self.values.iter().map(|s| &**s)
    }

    /// Gives back the slack that interning left: the dictionary is final.
    pub(crate) fn shrink(&mut self) {
        let StrDict {
            values,
            table,
            hasher,
        } = self;
        values.shrink_to_fit();
        table.shrink_to_fit(|&code| hasher.hash_one(&*values[code as usize]));
    }
}

/// Distinct JSON values of a property column. Values that no test can tell apart share a code:
/// numbers are keyed by their f64 value (so `1`, `1.0` and `-0`/`0` pairs are one entry), and
/// every object is one entry, kept as `{}`.
///
/// Objects: a condition tests an object only for presence (`exists`, `is null`); `=`, `in`,
/// `contains`… never hold for one, and `with same` never pairs two. What is inside an object
/// lives in the columns of its dotted paths (`context.timezone`), which is also how
/// [`super::events::EventTable::properties`] rebuilds it. Keeping objects whole made every web
/// event print and compare its `context` (and `context.device`, `context.campaign`) to find
/// its code, a large part of loading the store.
#[derive(Default)]
pub(crate) struct JsonDict {
    values: Vec<Value>,
    table: HashTable<u32>,
    hasher: DefaultHashBuilder,
    /// The code every object shares, once one was interned.
    object: Option<u32>,
    /// Whether any value is an array: then `in` cannot be answered by key lookups alone,
    /// because an array matches when one of its elements does.
    has_arrays: bool,
}

impl JsonDict {
    /// Interns a non-null value.
    pub(crate) fn intern(&mut self, value: &Value) -> u32 {
        if value.is_object() {
            return *self.object.get_or_insert_with(|| {
                let code = code_for(self.values.len());
                self.values.push(Value::Object(serde_json::Map::new()));
                code
            });
        }
        let JsonDict {
            values,
            table,
            hasher,
            has_arrays,
            ..
        } = self;
        let hash = hash_value(hasher, value);
        let entry = table.entry(
            hash,
            |&code| same(&values[code as usize], value),
            |&code| hash_value(hasher, &values[code as usize]),
        );
        match entry {
            Entry::Occupied(found) => *found.get(),
            Entry::Vacant(slot) => {
                let code = code_for(values.len());
                slot.insert(code);
                *has_arrays |= value.is_array();
                values.push(value.clone());
                code
            }
        }
    }

    pub(crate) fn get(&self, value: &Value) -> Option<u32> {
        if value.is_object() {
            return self.object;
        }
        let hash = hash_value(&self.hasher, value);
        self.table
            .find(hash, |&code| same(&self.values[code as usize], value))
            .copied()
    }

    pub(crate) fn value(&self, code: u32) -> &Value {
        &self.values[code as usize]
    }

    pub(crate) fn values(&self) -> &[Value] {
        &self.values
    }

    pub(crate) fn len(&self) -> usize {
        self.values.len()
    }

    pub(crate) fn has_arrays(&self) -> bool {
        self.has_arrays
    }

    /// Gives back the slack that interning left: the dictionary is final.
    pub(crate) fn shrink(&mut self) {
        let JsonDict {
            values,
            table,
            hasher,
            ..
        } = self;
        values.shrink_to_fit();
        table.shrink_to_fit(|&code| hash_value(hasher, &values[code as usize]));
    }
}

fn code_for(len: usize) -> u32 {
    // u32::MAX is reserved for "missing" in code columns.
    u32::try_from(len)
        .ok()
        .filter(|&c| c != u32::MAX)
        .expect("a dictionary holds fewer than 2^32 - 1 values")
}

/// The f64 key of a number; adding 0.0 folds -0.0 into 0.0, which compares equal to it.
fn number_key(n: &serde_json::Number) -> u64 {
    (n.as_f64().unwrap_or(f64::NAN) + 0.0).to_bits()
}

/// Whether two values are the same for every test and aggregate.
pub(crate) fn same(a: &Value, b: &Value) -> bool {
    match (a, b) {
        (Value::Number(x), Value::Number(y)) => number_key(x) == number_key(y),
        (Value::String(x), Value::String(y)) => x == y,
        (Value::Bool(x), Value::Bool(y)) => x == y,
        (Value::Array(_), Value::Array(_)) | (Value::Object(_), Value::Object(_)) => a == b,
        _ => false,
    }
}

fn hash_value(hasher: &DefaultHashBuilder, value: &Value) -> u64 {
    match value {
        Value::String(s) => hasher.hash_one((0u8, s.as_str())),
        Value::Number(n) => hasher.hash_one((1u8, number_key(n))),
        Value::Bool(b) => hasher.hash_one((2u8, *b)),
        // Arrays (objects never get here) are rare in property columns; their text is a fine
        // hash key (equal values print equally).
        other => hasher.hash_one((3u8, other.to_string())),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn strings_are_interned_once() {
        let mut dict = StrDict::default();
        assert_eq!(dict.intern("a"), 0);
        assert_eq!(dict.intern("b"), 1);
        assert_eq!(dict.intern("a"), 0);
        assert_eq!(dict.get("b"), Some(1));
        assert_eq!(dict.get("c"), None);
        assert_eq!(dict.iter().collect::<Vec<_>>(), ["a", "b"]);
    }

    #[test]
    fn numbers_equal_as_f64_share_a_code() {
        let mut dict = JsonDict::default();
        let one = dict.intern(&json!(1));
        assert_eq!(dict.intern(&json!(1.0)), one);
        assert_eq!(dict.intern(&json!(0.0)), dict.intern(&json!(-0.0)));
        assert_ne!(dict.intern(&json!("1")), one);
        assert_eq!(dict.get(&json!({"k": [1]})), None);
        let object = dict.intern(&json!({"k": [1]}));
        assert_eq!(dict.get(&json!({"k": [1]})), Some(object));
        // Every object is one entry: no test tells objects apart.
        assert_eq!(dict.intern(&json!({"other": "x"})), object);
        assert_eq!(dict.value(object), &json!({}));
        assert!(!dict.has_arrays());
        dict.intern(&json!([1]));
        assert!(dict.has_arrays());
    }
}
