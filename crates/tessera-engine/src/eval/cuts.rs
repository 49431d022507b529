//! Numbers cut into classes by the literals of the comparisons asked of them, so that several
//! comparisons of the same numbers (`income > 25000` … `> 115000`, `count(…) >= 1` …
//! `>= 10`) are answered from one pass that sorts each profile into its class.
//!
//! The literals, sorted (`p₀ < p₁ < … < pₘ₋₁`), cut the numbers into classes none of the
//! comparisons can tell apart: below `p₀`, exactly `p₀`, between `p₀` and `p₁`, …, above
//! `pₘ₋₁`, and NaN (which passes no comparison). A comparison then passes whole classes,
//! decided on one number of each.

use std::ops::Bound;

use crate::predicate::RangePred;

/// The cuts of one set of comparisons.
#[derive(Debug, Clone, PartialEq, Default)]
pub(super) struct Cuts {
    /// Ascending and distinct; never NaN.
    points: Vec<f64>,
}

impl Cuts {
    pub(super) fn new<'p>(preds: impl IntoIterator<Item = &'p RangePred<f64>>) -> Cuts {
        let mut points: Vec<f64> = preds.into_iter().flat_map(literals).collect();
        // A NaN literal is passed by nothing, whatever the class: it cuts nothing.
        points.retain(|p| !p.is_nan());
        points.sort_by(f64::total_cmp);
        // `-0` and `0` compare equal: one cut.
        points.dedup();
        Cuts { points }
    }

    /// How many classes there are: `2m + 1` between and at the points, and NaN.
    pub(super) fn classes(&self) -> usize {
        2 * self.points.len() + 2
    }

    /// The class of `x`: how many points are below it plus how many are at or below it,
    /// which is `2i` strictly between `pᵢ₋₁` and `pᵢ` and `2i + 1` at `pᵢ`; NaN last.
    #[inline]
    pub(super) fn class_of(&self, x: f64) -> usize {
        if x.is_nan() {
            return self.classes() - 1;
        }
        // The points are distinct: those at or below `x` are those below it, and one more
        // when the next is `x` itself.
        let below = if self.points.len() <= 64 {
            // Branch-free, which the compiler turns into vector compares.
            self.points.iter().map(|&p| usize::from(p < x)).sum()
        } else {
            self.points.partition_point(|&p| p < x)
        };
        2 * below + usize::from(self.points.get(below) == Some(&x))
    }

    /// The largest point, if any.
    pub(super) fn largest(&self) -> Option<f64> {
        self.points.last().copied()
    }

    /// Whether `pred` is decided class by class: every literal it compares with is a cut.
    pub(super) fn decide(&self, pred: &RangePred<f64>) -> bool {
        literals(pred).all(|p| p.is_nan() || self.points.contains(&p))
    }

    /// The classes whose numbers pass `pred`, which the cuts [decide](Cuts::decide).
    pub(super) fn passing<'a>(
        &'a self,
        pred: &'a RangePred<f64>,
    ) -> impl Iterator<Item = usize> + 'a {
        debug_assert!(self.decide(pred));
        (0..self.classes()).filter(|&class| pred.matches(self.representative(class)))
    }

    /// A number of `class`: every number of a class passes the same comparisons, the
    /// comparisons' literals being its bounds.
    fn representative(&self, class: usize) -> f64 {
        if class == self.classes() - 1 {
            return f64::NAN;
        }
        let i = class / 2;
        if class % 2 == 1 {
            return self.points[i];
        }
        match i.checked_sub(1) {
            None => f64::NEG_INFINITY,
            // The least number above `pᵢ₋₁`: in the class unless the class is empty (`pᵢ₋₁`
            // and `pᵢ` adjacent floats), and then whatever it decides selects nobody.
            Some(below) => self.points[below].next_up(),
        }
    }
}

/// [`Cuts::class_of`] for a column of numbers, remembering the class of each number met in
/// a direct-mapped table of 16K entries (256 KB, within L2).
///
/// Traits repeat their values: on 1M customers `age` has 63 distinct values and `income`
/// 1,396. A remembered class costs a hash and a load where computing it compares the number
/// with every cut (7 ms for 1M numbers and 15 cuts, 1.7 ms remembered, in a throwaway
/// program on this machine). A column of mostly distinct numbers (`rfm.monetary`: 190k of
/// 592k) would only pay for the table, so it is dropped when most of the first numbers miss.
pub(super) struct ClassMemo<'c> {
    cuts: &'c Cuts,
    /// `(bits of a number, its class)`; `None` once dropped.
    slots: Option<Vec<(u64, u32)>>,
    seen: usize,
    misses: usize,
}

impl<'c> ClassMemo<'c> {
    const BITS: u32 = 14;
    /// Numbers looked up before deciding whether the table pays.
    const TRIAL: usize = 1 << 15;

    pub(super) fn new(cuts: &'c Cuts) -> ClassMemo<'c> {
        // Every slot starts as a true entry: this NaN's class is the NaN class.
        let nan = (f64::NAN.to_bits(), (cuts.classes() - 1) as u32);
        ClassMemo {
            cuts,
            slots: Some(vec![nan; 1 << Self::BITS]),
            seen: 0,
            misses: 0,
        }
    }

    #[inline]
    pub(super) fn class_of(&mut self, x: f64) -> usize {
        let Some(slots) = &mut self.slots else {
            return self.cuts.class_of(x);
        };
        let bits = x.to_bits();
        // Fibonacci hashing: the top bits of the product mix every bit of the number.
        let slot =
            &mut slots[(bits.wrapping_mul(0x9E37_79B9_7F4A_7C15) >> (64 - Self::BITS)) as usize];
        if slot.0 == bits {
            return slot.1 as usize;
        }
        let class = self.cuts.class_of(x);
        *slot = (bits, class as u32);
        self.misses += 1;
        if self.seen < Self::TRIAL {
            self.seen += 1;
            if self.seen == Self::TRIAL && 2 * self.misses > Self::TRIAL {
                self.slots = None;
            }
        }
        class
    }
}

/// The literals a comparison compares with.
fn literals(pred: &RangePred<f64>) -> impl Iterator<Item = f64> + '_ {
    let (bounds, values): (Vec<f64>, &[f64]) = match pred {
        RangePred::Within(low, high) => (
            [low, high]
                .into_iter()
                .filter_map(|bound| match bound {
                    Bound::Included(p) | Bound::Excluded(p) => Some(*p),
                    Bound::Unbounded => None,
                })
                .collect(),
            &[],
        ),
        RangePred::NotEqual(p) => (vec![*p], &[]),
        RangePred::AnyOf(values) => (Vec::new(), values),
        RangePred::Never | RangePred::Always => (Vec::new(), &[]),
    };
    bounds.into_iter().chain(values.iter().copied())
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    fn pred() -> impl Strategy<Value = RangePred<f64>> {
        let literal = prop::sample::select(vec![
            -2.0,
            -0.0,
            0.0,
            1.0,
            1.0f64.next_up(),
            3.5,
            f64::MAX,
            f64::INFINITY,
            f64::NAN,
        ]);
        let bound = prop_oneof![
            literal.clone().prop_map(Bound::Included),
            literal.clone().prop_map(Bound::Excluded),
            Just(Bound::Unbounded),
        ];
        prop_oneof![
            (bound.clone(), bound).prop_map(|(low, high)| RangePred::Within(low, high)),
            literal.clone().prop_map(RangePred::NotEqual),
            prop::collection::vec(literal, 1..3).prop_map(RangePred::AnyOf),
            Just(RangePred::Always),
            Just(RangePred::Never),
        ]
    }

    proptest! {
        /// A number passes a comparison exactly when its class is among the passing ones.
        #[test]
        fn classes_decide_like_the_comparison(
            preds in prop::collection::vec(pred(), 1..5),
            x in prop_oneof![
                any::<f64>(),
                prop::sample::select(vec![
                    -2.0, -0.0, 0.0, 0.5, 1.0, 1.0f64.next_up(), 2.0, 3.5,
                    f64::MAX, f64::INFINITY, f64::NEG_INFINITY, f64::NAN,
                ]),
            ],
        ) {
            let cuts = Cuts::new(&preds);
            let class = cuts.class_of(x);
            prop_assert!(class < cuts.classes());
            for pred in &preds {
                prop_assert!(cuts.decide(pred));
                let passing: Vec<usize> = cuts.passing(pred).collect();
                prop_assert_eq!(passing.contains(&class), pred.matches(x), "{:?} of {}", pred, x);
            }
        }
    }

    /// The remembered classes are the computed ones, for columns of few distinct numbers
    /// (remembered) and of many (past the trial, not), with NaNs, zeros of both signs and
    /// numbers equal to the cuts.
    #[test]
    fn remembered_classes_are_the_computed_ones() {
        let cuts = Cuts::new(&[
            RangePred::Within(Bound::Excluded(0.0), Bound::Included(30.0)),
            RangePred::NotEqual(45.5),
            RangePred::Within(Bound::Included(1e6), Bound::Unbounded),
        ]);
        for distinct in [7u64, 1_500, 1 << 40] {
            let mut memo = ClassMemo::new(&cuts);
            let mut state = 0x1234_5678_9abc_def0u64;
            for i in 0..100_000u64 {
                state ^= state << 13;
                state ^= state >> 7;
                state ^= state << 17;
                let x = match i % 11 {
                    0 => f64::NAN,
                    1 => -0.0,
                    2 => 45.5,
                    3 => 30.0,
                    _ => (state % distinct) as f64 - 3.0,
                };
                let want = cuts.class_of(x);
                assert_eq!(memo.class_of(x), want, "{x} of {distinct} distinct");
            }
            assert_eq!(memo.slots.is_some(), distinct < 1 << 20, "{distinct}");
        }
    }

    #[test]
    fn comparisons_with_other_literals_are_not_decided() {
        let cuts = Cuts::new(&[RangePred::Within(Bound::Excluded(5.0), Bound::Unbounded)]);
        assert!(cuts.decide(&RangePred::Within(Bound::Included(5.0), Bound::Unbounded)));
        assert!(!cuts.decide(&RangePred::Within(Bound::Included(6.0), Bound::Unbounded)));
        assert_eq!(cuts.classes(), 4);
    }
}
