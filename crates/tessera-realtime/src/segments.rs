//! The segment list and its dependency index: which segments an event or a trait can affect.

use std::borrow::Cow;
use std::collections::HashMap;

use tessera_lang::Expr;
use tessera_model::local_time::TIMEZONE_TRAIT;
use tessera_model::{LocalField, LAST_LOCATION};

/// The segments, fixed for the life of a [`crate::Realtime`], and what each one reads.
///
/// A segment depends on an event name when one of its queries (`did`, `count`, aggregate,
/// recency) names it, and on a trait when it tests it; property filters inside queries read
/// event properties, not traits. An event of a name no segment reads changes no membership,
/// which is what lets the real-time path skip it. The exception is local time
/// (`local_hour`, `local_weekday`) and `last_location`: the zone or the point may come from
/// the context of an event of any name, so such a segment reads every event (local time also
/// reads the trait `timezone`).
#[derive(Debug)]
pub(crate) struct Segments {
    names: Vec<String>,
    exprs: Vec<Expr>,
    by_event: HashMap<String, Vec<usize>>,
    by_trait: HashMap<String, Vec<usize>>,
    /// Segments that read events of every name (local time), in increasing order.
    every_event: Vec<usize>,
}

impl Segments {
    pub(crate) fn new(segments: Vec<(String, Expr)>) -> Segments {
        let mut by_event: HashMap<String, Vec<usize>> = HashMap::new();
        let mut by_trait: HashMap<String, Vec<usize>> = HashMap::new();
        let mut every_event = Vec::new();
        let (names, exprs): (Vec<String>, Vec<Expr>) = segments.into_iter().unzip();
        for (index, expr) in exprs.iter().enumerate() {
            // The collectors return sets, so each index is pushed once per name, in order.
            for event in expr.event_names() {
                by_event.entry(event.to_string()).or_default().push(index);
            }
            let traits = expr.trait_names();
            let local = traits.iter().any(|n| LocalField::from_name(n).is_some());
            let from_context = local || traits.contains(LAST_LOCATION);
            for name in traits {
                by_trait.entry(name.to_string()).or_default().push(index);
            }
            if from_context {
                every_event.push(index);
            }
            if local {
                let zone = by_trait.entry(TIMEZONE_TRAIT.to_string()).or_default();
                if zone.last() != Some(&index) {
                    zone.push(index);
                }
            }
        }
        Segments {
            names,
            exprs,
            by_event,
            by_trait,
            every_event,
        }
    }

    pub(crate) fn len(&self) -> usize {
        self.exprs.len()
    }

    pub(crate) fn names(&self) -> &[String] {
        &self.names
    }

    pub(crate) fn expr(&self, segment: usize) -> &Expr {
        &self.exprs[segment]
    }

    /// The segments reading events of this name, in increasing order.
    pub(crate) fn reading_event(&self, name: &str) -> Cow<'_, [usize]> {
        let named = self.by_event.get(name).map_or(&[][..], Vec::as_slice);
        if self.every_event.is_empty() {
            return Cow::Borrowed(named);
        }
        let mut all: Vec<usize> = named.iter().chain(&self.every_event).copied().collect();
        all.sort_unstable();
        all.dedup();
        Cow::Owned(all)
    }

    /// The segments testing any of these traits, in increasing order, each once.
    pub(crate) fn testing_traits<'a>(
        &self,
        names: impl IntoIterator<Item = &'a str>,
    ) -> Vec<usize> {
        let mut out: Vec<usize> = names
            .into_iter()
            .filter_map(|name| self.by_trait.get(name))
            .flatten()
            .copied()
            .collect();
        out.sort_unstable();
        out.dedup();
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_index_maps_names_to_the_segments_reading_them() {
        let parse = |text: &str| tessera_lang::parse(text).expr;
        let segments = Segments::new(vec![
            ("a".into(), parse("did(View) and age > 3")),
            (
                "b".into(),
                parse("count(Buy where age = 1) >= 2 or not did(View in last 7d)"),
            ),
            ("c".into(), parse("city = \"x\" or age < 9")),
        ]);
        assert_eq!(*segments.reading_event("View"), [0, 1]);
        assert_eq!(*segments.reading_event("Buy"), [1]);
        assert_eq!(*segments.reading_event("age"), [] as [usize; 0]);
        // `where age = 1` tests an event property, not the trait.
        assert_eq!(segments.testing_traits(["age"]), [0, 2]);
        assert_eq!(segments.testing_traits(["city", "age", "zip"]), [0, 2]);
        assert_eq!(segments.testing_traits([]), [] as [usize; 0]);
    }

    #[test]
    fn local_time_reads_every_event_and_the_timezone_trait() {
        let parse = |text: &str| tessera_lang::parse(text).expr;
        let segments = Segments::new(vec![
            ("a".into(), parse("did(View)")),
            ("b".into(), parse("local_hour between 11 and 14")),
            ("c".into(), parse("did(Buy) and local_weekday = \"Monday\"")),
        ]);
        assert_eq!(*segments.reading_event("View"), [0, 1, 2]);
        assert_eq!(*segments.reading_event("Ping"), [1, 2]);
        assert_eq!(segments.testing_traits(["timezone"]), [1, 2]);
    }
}
