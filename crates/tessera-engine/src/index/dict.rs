//! Dictionaries of strings: each distinct string of a column stored once, named by a u32 code
//! (JSON property values: [`super::json_dict`]).

use std::hash::BuildHasher;

use hashbrown::hash_table::{Entry, HashTable};
use hashbrown::DefaultHashBuilder;

/// Distinct strings, each stored once, end to end in one text buffer (the hash table holds
/// codes, not copies): a string costs its bytes and an 8-byte offset, not a box and an
/// allocation of its own (see [`super::json_dict::JsonDict`] for why that matters).
pub(crate) struct StrDict {
    text: String,
    /// Where each value starts in `text`, and one more entry: the end of the last.
    starts: Vec<usize>,
    table: HashTable<u32>,
    hasher: DefaultHashBuilder,
}

impl Default for StrDict {
    fn default() -> Self {
        StrDict {
            text: String::new(),
            starts: vec![0],
            table: HashTable::new(),
            hasher: DefaultHashBuilder::default(),
        }
    }
}

/// Value `code` of a dictionary's text and offsets.
fn nth<'a>(text: &'a str, starts: &[usize], code: u32) -> &'a str {
    let code = code as usize;
    &text[starts[code]..starts[code + 1]]
}

impl StrDict {
    pub(crate) fn intern(&mut self, s: &str) -> u32 {
        let StrDict {
            text,
            starts,
            table,
            hasher,
        } = self;
        let hash = hasher.hash_one(s);
        let entry = table.entry(
            hash,
            |&code| nth(text, starts, code) == s,
            |&code| hasher.hash_one(nth(text, starts, code)),
        );
        match entry {
            Entry::Occupied(found) => *found.get(),
            Entry::Vacant(slot) => {
                let code = code_for(starts.len() - 1);
                slot.insert(code);
                text.push_str(s);
                starts.push(text.len());
                code
            }
        }
    }

    pub(crate) fn get(&self, s: &str) -> Option<u32> {
        let hash = self.hasher.hash_one(s);
        self.table
            .find(hash, |&code| self.value(code) == s)
            .copied()
    }

    pub(crate) fn value(&self, code: u32) -> &str {
        nth(&self.text, &self.starts, code)
    }

    pub(crate) fn len(&self) -> usize {
        self.starts.len() - 1
    }

    pub(crate) fn iter(&self) -> impl Iterator<Item = &str> {
        (0..self.len() as u32).map(|code| self.value(code))
    }

    /// Gives back the slack that interning left: the dictionary is final.
    pub(crate) fn shrink(&mut self) {
        let StrDict {
            text,
            starts,
            table,
            hasher,
        } = self;
        text.shrink_to_fit();
        starts.shrink_to_fit();
        table.shrink_to_fit(|&code| hasher.hash_one(nth(text, starts, code)));
    }

    /// Heap bytes: text, offsets and the hash table (a 4-byte code and a control byte per
    /// bucket).
    pub(crate) fn heap_bytes(&self) -> u64 {
        (self.text.capacity()
            + self.starts.capacity() * std::mem::size_of::<usize>()
            + self.table.capacity() * 5) as u64
    }
}

pub(super) fn code_for(len: usize) -> u32 {
    // u32::MAX is reserved for "missing" in code columns.
    u32::try_from(len)
        .ok()
        .filter(|&c| c != u32::MAX)
        .expect("a dictionary holds fewer than 2^32 - 1 values")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn strings_are_interned_once() {
        let mut dict = StrDict::default();
        assert_eq!(dict.intern("a"), 0);
        assert_eq!(dict.intern("b"), 1);
        assert_eq!(dict.intern("a"), 0);
        assert_eq!(dict.get("b"), Some(1));
        assert_eq!(dict.get("c"), None);
        assert_eq!(dict.iter().collect::<Vec<_>>(), ["a", "b"]);
        assert_eq!(dict.intern(""), 2);
        assert_eq!(dict.intern("ab"), 3);
        dict.shrink();
        assert_eq!(dict.iter().collect::<Vec<_>>(), ["a", "b", "", "ab"]);
        assert_eq!(
            (dict.get(""), dict.get("ab"), dict.len()),
            (Some(2), Some(3), 4)
        );
    }
}
