//! Dictionaries of strings: each distinct string of a column stored once, named by a u32 code
//! (JSON property values: [`super::json_dict`]).

use std::hash::BuildHasher;

use hashbrown::hash_table::{Entry, HashTable};
use hashbrown::DefaultHashBuilder;

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
    }
}
