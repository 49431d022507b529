//! The dictionary of a property column: each distinct JSON value stored once, named by a u32
//! code, strings packed into one text buffer.

use std::hash::BuildHasher;

use hashbrown::hash_table::{Entry, HashTable};
use hashbrown::DefaultHashBuilder;
use serde_json::Value;
use tessera_lang::ValueTest;

use super::dict::code_for;
use crate::predicate::{json_matches, scalar_matches, Scalar};

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
///
/// Strings, nearly all of the values, live end to end in one buffer (`text`) with a 12-byte
/// slot each, not as a 32-byte `Value` and an allocation of their own: columns of identifiers
/// (`cart_id`, `order_id`) have about one value per row. Allocating each one while the load
/// also allocated and freed every event's parsed properties left the allocator's small pages
/// partly used for good; one growing buffer does not.
#[derive(Default)]
pub(crate) struct JsonDict {
    slots: Vec<Slot>,
    text: String,
    /// Values that are not strings (numbers, booleans, arrays, `{}`), and strings once `text`
    /// would pass 4 GiB.
    others: Vec<Value>,
    table: HashTable<u32>,
    hasher: DefaultHashBuilder,
    /// The code every object shares, once one was interned.
    object: Option<u32>,
    /// Whether any value is an array: then `in` cannot be answered by key lookups alone,
    /// because an array matches when one of its elements does.
    has_arrays: bool,
}

/// Where the value of a code is.
#[derive(Clone, Copy)]
enum Slot {
    Text { start: u32, len: u32 },
    Other(u32),
}

/// A value of the dictionary, borrowed.
#[derive(Clone, Copy, Debug, PartialEq)]
pub(crate) enum DictValue<'a> {
    Text(&'a str),
    Json(&'a Value),
}

impl<'a> DictValue<'a> {
    pub(crate) fn to_json(self) -> Value {
        match self {
            DictValue::Text(s) => Value::String(s.to_owned()),
            DictValue::Json(v) => v.clone(),
        }
    }

    pub(crate) fn as_f64(self) -> Option<f64> {
        match self {
            DictValue::Text(_) => None,
            DictValue::Json(v) => v.as_f64(),
        }
    }

    pub(crate) fn as_str(self) -> Option<&'a str> {
        match self {
            DictValue::Text(s) => Some(s),
            DictValue::Json(v) => v.as_str(),
        }
    }

    pub(crate) fn is_object(self) -> bool {
        matches!(self, DictValue::Json(Value::Object(_)))
    }

    /// A string, number or boolean.
    pub(crate) fn is_scalar(self) -> bool {
        match self {
            DictValue::Text(_) => true,
            DictValue::Json(v) => matches!(v, Value::String(_) | Value::Number(_) | Value::Bool(_)),
        }
    }

    /// Whether the value passes `test`, as [`json_matches`] decides for its JSON form.
    pub(crate) fn matches(self, test: &ValueTest) -> bool {
        match self {
            DictValue::Text(s) => scalar_matches(test, Scalar::Str(s)),
            DictValue::Json(v) => json_matches(test, v),
        }
    }
}

impl JsonDict {
    /// Interns a non-null value.
    pub(crate) fn intern(&mut self, value: &Value) -> u32 {
        match value {
            Value::String(s) => self.intern_value(DictValue::Text(s)),
            other => self.intern_value(DictValue::Json(other)),
        }
    }

    /// Interns a non-null value, borrowed: a string read from JSON text needs no `Value`.
    pub(crate) fn intern_value(&mut self, value: DictValue<'_>) -> u32 {
        if value.is_object() {
            if let Some(code) = self.object {
                return code;
            }
            let code = self.push(DictValue::Json(&Value::Object(serde_json::Map::new())));
            self.object = Some(code);
            return code;
        }
        let hash = hash_dict_value(&self.hasher, value);
        let JsonDict {
            slots,
            text,
            others,
            table,
            hasher,
            ..
        } = self;
        let entry = table.entry(
            hash,
            |&code| slot_is(text, others, slots[code as usize], value),
            |&code| hash_slot(hasher, text, others, slots[code as usize]),
        );
        match entry {
            Entry::Occupied(found) => *found.get(),
            Entry::Vacant(slot) => {
                let code = code_for(self.slots.len());
                slot.insert(code);
                let pushed = self.push(value);
                debug_assert_eq!(pushed, code);
                code
            }
        }
    }

    /// Stores a new value (not in the table) and returns its code.
    fn push(&mut self, value: DictValue<'_>) -> u32 {
        let code = code_for(self.slots.len());
        self.has_arrays |= matches!(value, DictValue::Json(Value::Array(_)));
        let text = match value {
            DictValue::Text(s) => Some(s),
            DictValue::Json(Value::String(s)) => Some(s.as_str()),
            DictValue::Json(_) => None,
        };
        let slot = match text {
            Some(s)
                if u32::try_from(self.text.len() + s.len()).is_ok()
                    && u32::try_from(s.len()).is_ok() =>
            {
                let start = self.text.len() as u32;
                self.text.push_str(s);
                Slot::Text {
                    start,
                    len: s.len() as u32,
                }
            }
            _ => {
                self.others.push(value.to_json());
                Slot::Other((self.others.len() - 1) as u32)
            }
        };
        self.slots.push(slot);
        code
    }

    pub(crate) fn get(&self, value: &Value) -> Option<u32> {
        if value.is_object() {
            return self.object;
        }
        let value = match value {
            Value::String(s) => DictValue::Text(s),
            other => DictValue::Json(other),
        };
        let hash = hash_dict_value(&self.hasher, value);
        self.table
            .find(hash, |&code| {
                slot_is(&self.text, &self.others, self.slots[code as usize], value)
            })
            .copied()
    }

    pub(crate) fn value(&self, code: u32) -> DictValue<'_> {
        read(&self.text, &self.others, self.slots[code as usize])
    }

    /// Every value, by code.
    pub(crate) fn iter(&self) -> impl Iterator<Item = DictValue<'_>> {
        self.slots
            .iter()
            .map(|&slot| read(&self.text, &self.others, slot))
    }

    pub(crate) fn len(&self) -> usize {
        self.slots.len()
    }

    pub(crate) fn has_arrays(&self) -> bool {
        self.has_arrays
    }

    /// Gives back the slack that interning left: the dictionary is final.
    pub(crate) fn shrink(&mut self) {
        let JsonDict {
            slots,
            text,
            others,
            table,
            hasher,
            ..
        } = self;
        slots.shrink_to_fit();
        text.shrink_to_fit();
        others.shrink_to_fit();
        table.shrink_to_fit(|&code| hash_slot(hasher, text, others, slots[code as usize]));
    }

    /// Heap bytes: slots, text, other values (with what their text takes as an estimate of
    /// their own allocations) and the hash table (a 4-byte code and a control byte per bucket).
    pub(crate) fn heap_bytes(&self) -> u64 {
        let others: usize = self
            .others
            .iter()
            .map(|v| std::mem::size_of::<Value>() + v.to_string().len())
            .sum();
        (self.slots.capacity() * std::mem::size_of::<Slot>()
            + self.text.capacity()
            + others
            + (self.others.capacity() - self.others.len()) * std::mem::size_of::<Value>()
            + self.table.capacity() * 5) as u64
    }
}

fn read<'a>(text: &'a str, others: &'a [Value], slot: Slot) -> DictValue<'a> {
    match slot {
        Slot::Text { start, len } => {
            DictValue::Text(&text[start as usize..start as usize + len as usize])
        }
        Slot::Other(i) => DictValue::Json(&others[i as usize]),
    }
}

/// Whether the value in `slot` is `value`. A string is kept in `text` unless `text` was full,
/// so either form of a string can be on either side.
fn slot_is(text: &str, others: &[Value], slot: Slot, value: DictValue<'_>) -> bool {
    match (read(text, others, slot), value) {
        (DictValue::Json(stored), DictValue::Json(v)) => same(stored, v),
        (stored, v) => match (stored.as_str(), v.as_str()) {
            (Some(a), Some(b)) => a == b,
            _ => false,
        },
    }
}

fn hash_slot(hasher: &DefaultHashBuilder, text: &str, others: &[Value], slot: Slot) -> u64 {
    hash_dict_value(hasher, read(text, others, slot))
}

fn hash_dict_value(hasher: &DefaultHashBuilder, value: DictValue<'_>) -> u64 {
    match value {
        DictValue::Text(s) => hash_str(hasher, s),
        DictValue::Json(v) => hash_value(hasher, v),
    }
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

fn hash_str(hasher: &DefaultHashBuilder, s: &str) -> u64 {
    hasher.hash_one((0u8, s))
}

/// Equal for values that are [`same`]; a string hashes as its text does in `text`.
fn hash_value(hasher: &DefaultHashBuilder, value: &Value) -> u64 {
    match value {
        Value::String(s) => hash_str(hasher, s),
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
        assert_eq!(dict.value(object), DictValue::Json(&json!({})));
        assert!(!dict.has_arrays());
        dict.intern(&json!([1]));
        assert!(dict.has_arrays());
    }

    /// Strings go to the text buffer and come back whole, found by value whatever else was
    /// interned between them, and survive shrinking (which rehashes).
    #[test]
    fn strings_round_trip_through_the_text_buffer() {
        let mut dict = JsonDict::default();
        let words = ["", "a", "ab", "Ünïcödé", "1", "true", "a"];
        let codes: Vec<u32> = words
            .iter()
            .map(|w| {
                dict.intern(&json!(1.5));
                dict.intern(&json!(w))
            })
            .collect();
        assert_eq!(codes[1], codes[6], "one code per distinct string");
        assert_ne!(dict.get(&json!("1")), dict.get(&json!(1)));
        dict.shrink();
        for (word, &code) in words.iter().zip(&codes) {
            assert_eq!(dict.value(code), DictValue::Text(word));
            assert_eq!(dict.get(&json!(word)), Some(code));
            assert_eq!(dict.value(code).to_json(), json!(word));
        }
        assert_eq!(dict.get(&json!("abc")), None);
        assert_eq!(dict.len(), 7, "six strings and 1.5");
        let texts = dict
            .iter()
            .filter(|v| matches!(v, DictValue::Text(_)))
            .count();
        assert_eq!(texts, 6);
    }
}
