//! Profiles sorted into the classes of a [`Cuts`](super::cuts::Cuts) (of a trait's value, of
//! an event count), kept as cumulative rows of bits: row `k` holds the profiles of classes
//! `0..=k`.
//!
//! A comparison passes adjacent classes (one stretch for `>`, `<=` or `between`, two for
//! `!=`), so the profiles it selects are one difference of two rows per stretch, whatever
//! the number of classes. Kept as a Roaring bitmap per class, the same selection was a union
//! of up to all the classes, a pass over each of their members: `income > 25000` … `> 115000`
//! cost 0.1–1 ms each that way on 1M profiles, and building the bitmaps (one list per class,
//! then each list made a bitmap) 12 ms per trait.
//!
//! The rows cost one bit per profile and class while they live (22 classes of 1.2M profiles:
//! 3.3 MB), which is why they live only for one batch of conditions.

use roaring::RoaringBitmap;

use crate::index::bitmaps::from_words;

/// Profiles per class, as cumulative rows of bits.
pub(super) struct ClassRows {
    /// `at_most[k]`: profiles of classes `0..=k`, bit `o % 64` of word `o / 64` for
    /// ordinal `o`.
    at_most: Vec<Vec<u64>>,
}

impl ClassRows {
    /// Rows for `classes` classes of ordinals below `universe`, filled by `insert`.
    pub(super) fn builder(classes: usize, universe: usize) -> ClassRowsBuilder {
        ClassRowsBuilder {
            rows: vec![vec![0u64; universe.div_ceil(64)]; classes],
        }
    }

    /// The profiles of the classes `classes`, which must be ascending.
    pub(super) fn union(&self, classes: impl IntoIterator<Item = usize>) -> RoaringBitmap {
        let stretches = stretches(classes);
        match stretches.as_slice() {
            [] => RoaringBitmap::new(),
            // Every class up to `last`: a row as it is.
            [(0, last)] => from_words(&self.at_most[*last]),
            _ => {
                let mut words = vec![0u64; self.at_most.first().map_or(0, Vec::len)];
                for &(first, last) in &stretches {
                    let upto = &self.at_most[last];
                    match first.checked_sub(1) {
                        None => words.iter_mut().zip(upto).for_each(|(w, &u)| *w |= u),
                        Some(before) => words
                            .iter_mut()
                            .zip(upto.iter().zip(&self.at_most[before]))
                            .for_each(|(w, (&u, &b))| *w |= u & !b),
                    }
                }
                from_words(&words)
            }
        }
    }
}

/// Rows of classes being filled: row `k` holds class `k` alone until
/// [`ClassRowsBuilder::finish`].
pub(super) struct ClassRowsBuilder {
    rows: Vec<Vec<u64>>,
}

impl ClassRowsBuilder {
    /// Puts `ord` in `class`; an ordinal belongs to one class.
    #[inline]
    pub(super) fn insert(&mut self, ord: u32, class: usize) {
        let ord = ord as usize;
        self.rows[class][ord / 64] |= 1 << (ord % 64);
    }

    /// Puts every ordinal of `ords` in `class`.
    pub(super) fn insert_all(&mut self, ords: &[u32], class: usize) {
        let row = &mut self.rows[class];
        for &ord in ords {
            let ord = ord as usize;
            row[ord / 64] |= 1 << (ord % 64);
        }
    }

    pub(super) fn finish(mut self) -> ClassRows {
        for k in 1..self.rows.len() {
            let (done, rest) = self.rows.split_at_mut(k);
            rest[0]
                .iter_mut()
                .zip(&done[k - 1])
                .for_each(|(row, &below)| *row |= below);
        }
        ClassRows { at_most: self.rows }
    }
}

/// Ascending classes as maximal stretches of adjacent ones, `(first, last)` inclusive.
fn stretches(classes: impl IntoIterator<Item = usize>) -> Vec<(usize, usize)> {
    let mut stretches: Vec<(usize, usize)> = Vec::new();
    for class in classes {
        match stretches.last_mut() {
            Some((_, last)) if *last + 1 == class => *last = class,
            _ => {
                debug_assert!(stretches.last().is_none_or(|&(_, last)| last < class));
                stretches.push((class, class));
            }
        }
    }
    stretches
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    proptest! {
        /// Any set of classes selects exactly the ordinals put in them, against a plain
        /// filter of the (ordinal, class) pairs.
        #[test]
        fn a_union_holds_the_members_of_its_classes(
            classes in 1usize..12,
            members in prop::collection::btree_map(0u32..150_000, 0usize..12, 0..3000),
            chosen in prop::collection::btree_set(0usize..12, 0..12),
        ) {
            let mut builder = ClassRows::builder(classes, 150_000);
            for (&ord, &class) in &members {
                builder.insert(ord, class % classes);
            }
            let rows = builder.finish();
            let chosen: Vec<usize> = chosen.into_iter().filter(|&c| c < classes).collect();
            let want: RoaringBitmap = members
                .iter()
                .filter(|(_, &class)| chosen.contains(&(class % classes)))
                .map(|(&ord, _)| ord)
                .collect();
            prop_assert_eq!(rows.union(chosen.iter().copied()), want);
        }
    }

    #[test]
    fn adjacent_classes_are_one_stretch() {
        assert_eq!(stretches([]), []);
        assert_eq!(stretches([3]), [(3, 3)]);
        assert_eq!(stretches([0, 1, 2, 5, 6, 9]), [(0, 2), (5, 6), (9, 9)]);
    }

    #[test]
    fn lists_fill_their_class() {
        let mut builder = ClassRows::builder(3, 1000);
        builder.insert_all(&[1, 64, 999], 2);
        builder.insert_all(&[0, 63], 0);
        let rows = builder.finish();
        assert_eq!(rows.union([2]).iter().collect::<Vec<_>>(), [1, 64, 999]);
        assert_eq!(rows.union([0, 1]).iter().collect::<Vec<_>>(), [0, 63]);
        assert_eq!(rows.union([0, 2]).len(), 5);
        assert!(rows.union([1]).is_empty());
    }
}
