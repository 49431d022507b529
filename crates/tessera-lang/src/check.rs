//! The checker: a parsed segment against the catalog of known traits and events.
//!
//! Unknown traits and type mismatches are errors: traits are declared with a type, so such a
//! condition is a typo or a misunderstanding. Unknown events and properties are only
//! warnings, because events may simply not have arrived yet. Warnings about comparisons that
//! always or never hold come from the parser, which knows where they were written.

use std::collections::{BTreeMap, BTreeSet};

use serde::{Deserialize, Serialize};
use tessera_model::local_time::WEEKDAYS;
use tessera_model::{parse_timestamp, LocalField, TraitType};

use crate::ast::*;
use crate::diagnostic::Diagnostic;
use crate::display::quote;

/// What a segment may refer to: typed traits, and events with their known property names.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Catalog {
    pub traits: BTreeMap<String, TraitType>,
    /// Event name → the property names seen on events of that name.
    pub events: BTreeMap<String, BTreeSet<String>>,
    /// Place name → its tags.
    #[serde(default)]
    pub places: BTreeMap<String, Vec<String>>,
    /// Names of stored segments (for `in segment "…"`).
    #[serde(default)]
    pub segments: BTreeSet<String>,
}

impl Catalog {
    pub fn with_trait(mut self, name: &str, ty: TraitType) -> Catalog {
        self.traits.insert(name.to_string(), ty);
        self
    }

    pub fn with_place(mut self, name: &str, tags: &[&str]) -> Catalog {
        self.places.insert(
            name.to_string(),
            tags.iter().map(|t| t.to_string()).collect(),
        );
        self
    }

    pub fn with_segment(mut self, name: &str) -> Catalog {
        self.segments.insert(name.to_string());
        self
    }

    pub fn with_event(mut self, name: &str, properties: &[&str]) -> Catalog {
        self.events.insert(
            name.to_string(),
            properties.iter().map(|p| p.to_string()).collect(),
        );
        self
    }
}

/// Checks names and types of a segment against `catalog`. `Missing` nodes are skipped: the
/// parser has already reported them.
pub fn check(expr: &Expr, catalog: &Catalog) -> Vec<Diagnostic> {
    let mut out = Vec::new();
    expr.walk(&mut |e| match e {
        Expr::And(items) | Expr::Or(items) if items.len() < 2 => {
            let op = if matches!(e, Expr::And(_)) {
                "and"
            } else {
                "or"
            };
            out.push(
                Diagnostic::error(
                    Span::default(),
                    format!("`{op}` with {} condition(s)", items.len()),
                )
                .with_hint("`and` and `or` join two or more conditions"),
            );
        }
        Expr::Trait(cond) => {
            out.extend(check_trait(cond, catalog));
            if let ValueTest::Within { distance, of } = &cond.test {
                out.extend(check_geo(cond.span, distance, of, catalog));
            }
        }
        Expr::InSegment(reference) if !catalog.segments.contains(&reference.name) => {
            let hint = match suggest(&reference.name, catalog.segments.iter()) {
                Some(best) => format!("did you mean `{best}`?"),
                None if catalog.segments.is_empty() => "no segments are stored yet".into(),
                None => format!("stored segments: {}", list(catalog.segments.iter())),
            };
            out.push(
                Diagnostic::error(
                    reference.span,
                    format!("unknown segment `{}`", reference.name),
                )
                .with_hint(hint),
            );
        }
        Expr::Sequence(cond) => {
            check_query(&cond.first, None, catalog, &mut out);
            check_query(&cond.second, None, catalog, &mut out);
            if cond.within.amount == 0 {
                out.push(
                    Diagnostic::warning(cond.second.span, format!("`within {}` leaves no time for a following event", cond.within))
                        .with_hint("the second event must come strictly later and at most `within` after the first"),
                );
            }
        }
        Expr::Value(cond) => {
            check_query(&cond.query, Some(&cond.property), catalog, &mut out);
            if let Some((message, hint)) = check_value_test(cond) {
                out.push(Diagnostic::error(cond.query.span, message).with_hint(hint));
            }
        }
        _ => {
            if let Some(query) = e.event_query() {
                let aggregated = match e {
                    Expr::Aggregate(cond) => Some(cond.property.as_str()),
                    _ => None,
                };
                check_query(query, aggregated, catalog, &mut out);
            }
        }
    });
    out
}

/// The tests a value condition's result supports: `unique_count` is a number, `distinct` a
/// list, and `first`/`last`/`most_frequent` a scalar of whatever type the events carry (so any
/// comparison is accepted; a literal of another type simply never matches, as in `where`).
fn check_value_test(cond: &ValueCond) -> Option<(String, String)> {
    let func = cond.func.as_str();
    let hint = match cond.func {
        ValueFunc::UniqueCount => format!("`{func}(...)` is a number: compare it with numbers, e.g. `{func}(Product Viewed.product_id in last 30d) >= 5`"),
        ValueFunc::Distinct => format!("`{func}(...)` is a list of values: use `contains`, `in`, `exists` or `is null`, e.g. `{func}(Product Viewed.category) contains \"shoes\"`"),
        _ => format!("`{func}(...)` is one property value: compare it as in `where`, e.g. `{func}(Order Completed.coupon) = \"SPRING\"`"),
    };
    let refused = |word: &str| {
        Some((
            format!("`{word}` cannot be used on `{func}(...)`"),
            hint.clone(),
        ))
    };
    match (&cond.func, &cond.test) {
        (_, ValueTest::In { values }) if values.is_empty() => Some((
            "an `in` list with no values".into(),
            "list at least one value".into(),
        )),
        (_, ValueTest::Within { .. }) => refused("within"),
        (ValueFunc::UniqueCount, ValueTest::Exists | ValueTest::IsNull) => None,
        (
            ValueFunc::UniqueCount,
            test @ (ValueTest::Compare { .. } | ValueTest::Between { .. } | ValueTest::In { .. }),
        ) => {
            let literals: Vec<&Literal> = match test {
                ValueTest::Compare { value, .. } => vec![value],
                ValueTest::Between { low, high } => vec![low, high],
                ValueTest::In { values } => values.iter().collect(),
                _ => vec![],
            };
            let wrong = literals
                .into_iter()
                .find(|l| !matches!(l, Literal::Number(_)))?;
            Some((
                format!(
                    "`{func}(...)` is a number but `{wrong}` is {}",
                    describe(wrong)
                ),
                hint,
            ))
        }
        (ValueFunc::UniqueCount, test) => refused(test_word(test)),
        (
            ValueFunc::Distinct,
            ValueTest::Contains { .. }
            | ValueTest::In { .. }
            | ValueTest::Exists
            | ValueTest::IsNull,
        ) => None,
        (ValueFunc::Distinct, test) => refused(test_word(test)),
        _ => None,
    }
}

fn test_word(test: &ValueTest) -> &'static str {
    match test {
        ValueTest::Compare { op, .. } => op.as_str(),
        ValueTest::Between { .. } => "between",
        ValueTest::In { .. } => "in",
        ValueTest::Contains { .. } => "contains",
        ValueTest::StartsWith { .. } => "starts_with",
        ValueTest::Exists => "exists",
        ValueTest::IsNull => "is null",
        ValueTest::Within { .. } => "within",
    }
}

/// A distance must be usable and a place or tag must exist.
fn check_geo(
    span: Span,
    distance: &GeoDistance,
    of: &GeoTarget,
    catalog: &Catalog,
) -> Option<Diagnostic> {
    if !distance.amount.is_finite() || distance.amount < 0.0 {
        return Some(Diagnostic::error(
            span,
            format!("the distance `{distance}` is not usable"),
        ));
    }
    let (what, name, known): (&str, &String, Vec<&String>) = match of {
        GeoTarget::Place(name) => ("place", name, catalog.places.keys().collect()),
        GeoTarget::Tagged(tag) => {
            let tags: BTreeSet<&String> = catalog.places.values().flatten().collect();
            ("place tag", tag, tags.into_iter().collect())
        }
        GeoTarget::Point { lat, lon } => {
            if tessera_model::GeoPoint::new(*lat, *lon).is_none() {
                return Some(
                    Diagnostic::error(span, format!("point({lat}, {lon}) is not on Earth"))
                        .with_hint("latitude is -90…90 and comes first; longitude is -180…180"),
                );
            }
            return None;
        }
    };
    if known.contains(&name) {
        return None;
    }
    let hint = match suggest(name, known.iter().copied()) {
        Some(best) => format!("did you mean `{best}`?"),
        None if known.is_empty() => {
            "no places are stored yet: add them with `tessera place add` or `tessera place import`"
                .into()
        }
        None => format!("known: {}", list(known.iter().copied())),
    };
    Some(Diagnostic::error(span, format!("unknown {what} `{name}`")).with_hint(hint))
}

fn check_trait(cond: &TraitCond, catalog: &Catalog) -> Option<Diagnostic> {
    let Some(&ty) = catalog.traits.get(&cond.name) else {
        let hint = match suggest(&cond.name, catalog.traits.keys()) {
            Some(best) => format!("did you mean `{best}`?"),
            None if catalog.traits.is_empty() => "no traits are known yet".into(),
            None => format!("known traits: {}", list(catalog.traits.keys())),
        };
        return Some(
            Diagnostic::error(cond.span, format!("unknown trait `{}`", cond.name)).with_hint(hint),
        );
    };
    check_test(&cond.name, ty, &cond.test)
        .or_else(|| check_local_time(&cond.name, &cond.test))
        .map(|(message, hint)| {
            let d = Diagnostic::error(cond.span, message);
            match hint {
                Some(hint) => d.with_hint(hint),
                None => d,
            }
        })
}

/// `local_hour = 25` or `local_weekday = "monday"` can never hold: say so.
fn check_local_time(name: &str, test: &ValueTest) -> Option<(String, Option<String>)> {
    let field = LocalField::from_name(name)?;
    let literals: Vec<&Literal> = match test {
        ValueTest::Compare {
            op: CmpOp::Eq,
            value,
        } => vec![value],
        ValueTest::In { values } => values.iter().collect(),
        _ => return None,
    };
    literals
        .into_iter()
        .find_map(|literal| match (field, literal) {
            (LocalField::Hour, Literal::Number(h))
                if !(0.0..=23.0).contains(h) || h.fract() != 0.0 =>
            {
                Some((
                    format!("`local_hour` is a whole hour from 0 to 23, never {h}"),
                    None,
                ))
            }
            (LocalField::Weekday, Literal::String(day)) if !WEEKDAYS.contains(&day.as_str()) => {
                let hint = WEEKDAYS
                    .iter()
                    .find(|w| w.eq_ignore_ascii_case(day))
                    .map_or_else(
                        || format!("weekdays are {}", WEEKDAYS.join(", ")),
                        |w| format!("did you mean \"{w}\"?"),
                    );
                Some((format!("\"{day}\" is not a weekday"), Some(hint)))
            }
            _ => None,
        })
}

/// A type error in `name test` as (message, hint).
fn check_test(name: &str, ty: TraitType, test: &ValueTest) -> Option<(String, Option<String>)> {
    let op = match test {
        ValueTest::Compare { op, .. } => op.as_str(),
        ValueTest::Between { .. } => "between",
        ValueTest::In { .. } => "in",
        ValueTest::Contains { .. } => "contains",
        ValueTest::StartsWith { .. } => "starts_with",
        ValueTest::Exists | ValueTest::IsNull => return None,
        ValueTest::Within { .. } if ty == TraitType::Geo => return None,
        ValueTest::Within { .. } => "within",
    };
    let allowed = match (ty, test) {
        (TraitType::Geo, _) | (_, ValueTest::Within { .. }) => false,
        (
            TraitType::Number | TraitType::Timestamp,
            ValueTest::Compare { .. } | ValueTest::Between { .. },
        ) => true,
        (
            _,
            ValueTest::Compare {
                op: CmpOp::Eq | CmpOp::Ne,
                ..
            },
        ) => ty != TraitType::StringList,
        (_, ValueTest::In { .. }) => true,
        (TraitType::String | TraitType::StringList, ValueTest::Contains { .. }) => true,
        (TraitType::String, ValueTest::StartsWith { .. }) => true,
        _ => false,
    };
    if !allowed {
        let message = format!("`{op}` cannot be used on `{name}`, a {ty} trait");
        return Some((message, Some(supported(ty).into())));
    }
    let literals: Vec<&Literal> = match test {
        ValueTest::Compare { value, .. }
        | ValueTest::Contains { value }
        | ValueTest::StartsWith { value } => vec![value],
        ValueTest::Between { low, high } => vec![low, high],
        ValueTest::In { values } if values.is_empty() => {
            return Some((
                "an `in` list with no values".into(),
                Some("list at least one value".into()),
            ));
        }
        ValueTest::In { values } => values.iter().collect(),
        ValueTest::Exists | ValueTest::IsNull | ValueTest::Within { .. } => vec![],
    };
    let wanted = if ty == TraitType::StringList {
        TraitType::String
    } else {
        ty
    };
    let wrong = literals.into_iter().find(|l| literal_type(l) != wanted)?;
    let message = if ty == TraitType::StringList {
        format!(
            "`{name}` is a list of strings but `{wrong}` is {}",
            describe(wrong)
        )
    } else {
        format!(
            "`{name}` is a {ty} trait but `{wrong}` is {}",
            describe(wrong)
        )
    };
    Some((message, literal_hint(ty, wrong)))
}

fn supported(ty: TraitType) -> &'static str {
    match ty {
        TraitType::String => "string traits support `=`, `!=`, `in`, `contains`, `starts_with`, `exists` and `is null`",
        TraitType::Number | TraitType::Timestamp => {
            "number and timestamp traits support `=`, `!=`, `<`, `<=`, `>`, `>=`, `between`, `in`, `exists` and `is null`"
        }
        TraitType::Bool => "bool traits support `=`, `!=`, `in`, `exists` and `is null`",
        TraitType::Geo => "geo traits support `within` (a distance to places or points), `exists` and `is null`",
        TraitType::StringList => {
            "list traits support `contains` (an element) and `in` (any element in the list), `exists` and `is null`"
        }
    }
}

fn literal_type(literal: &Literal) -> TraitType {
    match literal {
        Literal::Bool(_) => TraitType::Bool,
        Literal::Number(_) => TraitType::Number,
        Literal::String(_) => TraitType::String,
        Literal::Timestamp { .. } => TraitType::Timestamp,
    }
}

fn describe(literal: &Literal) -> &'static str {
    match literal {
        Literal::Bool(_) => "a boolean",
        Literal::Number(_) => "a number",
        Literal::String(_) => "a string",
        Literal::Timestamp { .. } => "a timestamp",
    }
}

/// How to write `literal` so that it fits a trait of type `ty`, when there is an obvious way.
fn literal_hint(ty: TraitType, literal: &Literal) -> Option<String> {
    let text = match literal {
        Literal::String(s) => s.trim(),
        _ => "",
    };
    match (ty, literal) {
        (TraitType::String | TraitType::StringList, _) => Some(format!(
            "quote it to compare as text: `{}`",
            quote(&literal.to_string())
        )),
        (TraitType::Number, Literal::String(_))
            if text.parse::<f64>().is_ok_and(f64::is_finite) =>
        {
            Some(format!("remove the quotes: `{text}`"))
        }
        (TraitType::Number, _) => Some("write a number such as `42` or `-1.5`".into()),
        (TraitType::Timestamp, Literal::String(_)) if parse_timestamp(text).is_some() => {
            Some(format!("write the date without quotes: `{text}`"))
        }
        (TraitType::Timestamp, _) => Some(
            "write a date such as `2026-10-01` or a date-time such as `2026-10-01T12:00:00Z`"
                .into(),
        ),
        (TraitType::Bool, Literal::String(_)) if matches!(text, "true" | "false") => {
            Some(format!("write `{text}` without quotes"))
        }
        (TraitType::Bool, _) => Some("write `true` or `false`".into()),
        (TraitType::Geo, _) => None,
    }
}

fn check_query(
    query: &EventQuery,
    aggregated: Option<&str>,
    catalog: &Catalog,
    out: &mut Vec<Diagnostic>,
) {
    if query.event.is_empty() {
        out.push(Diagnostic::error(query.span, "the event name is empty"));
        return;
    }
    for test in query.filter.iter().flat_map(PropFilter::tests) {
        if matches!(test.test, ValueTest::Within { .. }) {
            out.push(
                Diagnostic::error(test.span, "`within` tests geo traits, not event properties")
                    .with_hint(
                        "test a profile's location: `home within 5 mi of place \"downtown\"`",
                    ),
            );
        }
    }
    let Some(known) = catalog.events.get(&query.event) else {
        let hint = match suggest(&query.event, catalog.events.keys()) {
            Some(best) => format!("did you mean `{best}`?"),
            None => "no such event has been seen yet; the condition treats profiles as having none"
                .into(),
        };
        out.push(
            Diagnostic::warning(query.span, format!("unknown event `{}`", query.event))
                .with_hint(hint),
        );
        return;
    };
    // Each unknown property once, underlined where it is first tested (the aggregated
    // property has no span of its own, so it gets the query's).
    let tested = query
        .filter
        .iter()
        .flat_map(PropFilter::tests)
        .map(|c| (c.name.as_str(), c.span));
    let mut seen = BTreeSet::new();
    for (property, span) in tested.chain(aggregated.map(|p| (p, query.span))) {
        if has_property(known, property) || !seen.insert(property) {
            continue;
        }
        let hint = match suggest(property, known.iter()) {
            Some(best) => format!("did you mean `{best}`?"),
            None if known.is_empty() => "no properties are known for this event yet".into(),
            None => format!("known properties: {}", list(known.iter())),
        };
        out.push(
            Diagnostic::warning(
                span,
                format!("`{}` events have no property `{property}`", query.event),
            )
            .with_hint(hint),
        );
    }
}

/// A dotted path also matches when a prefix is a known property (it reads a nested object).
fn has_property(known: &BTreeSet<String>, path: &str) -> bool {
    known.contains(path)
        || path
            .match_indices('.')
            .any(|(i, _)| known.contains(&path[..i]))
}

/// The closest known name, if it is close enough to be the intended one.
fn suggest<'a>(name: &str, candidates: impl Iterator<Item = &'a String>) -> Option<&'a str> {
    let lower = name.to_lowercase();
    let limit = (name.chars().count() / 3).max(1);
    candidates
        .map(|c| {
            (
                strsim::damerau_levenshtein(&lower, &c.to_lowercase()),
                c.as_str(),
            )
        })
        .filter(|&(distance, _)| distance <= limit)
        .min_by_key(|&(distance, _)| distance)
        .map(|(_, c)| c)
}

fn list<'a>(names: impl Iterator<Item = &'a String>) -> String {
    const SHOWN: usize = 6;
    let names: Vec<&String> = names.collect();
    let mut out = names
        .iter()
        .take(SHOWN)
        .map(|n| format!("`{n}`"))
        .collect::<Vec<_>>()
        .join(", ");
    if names.len() > SHOWN {
        out.push_str(&format!(" and {} more", names.len() - SHOWN));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::parse;

    fn catalog() -> Catalog {
        Catalog::default()
            .with_trait("age", TraitType::Number)
            .with_trait("income", TraitType::Number)
            .with_trait("city_tier", TraitType::String)
            .with_trait("tags", TraitType::StringList)
            .with_trait("home", TraitType::Geo)
            .with_trait("vip", TraitType::Bool)
            .with_trait("signup", TraitType::Timestamp)
            .with_event("Order Completed", &["revenue", "category", "address"])
    }

    fn messages(text: &str) -> Vec<String> {
        let parsed = parse(text);
        assert_eq!(parsed.diagnostics, vec![], "{text}");
        check(&parsed.expr, &catalog())
            .iter()
            .map(|d| d.to_line("t", text))
            .collect()
    }

    #[test]
    fn unknown_trait_suggests_the_closest_name() {
        assert_eq!(
            messages("incme > 3"),
            vec!["t:1:1: error: unknown trait `incme`\n  hint: did you mean `income`?"]
        );
        assert_eq!(
            messages("zzz exists"),
            vec!["t:1:1: error: unknown trait `zzz`\n  hint: known traits: `age`, `city_tier`, `home`, `income`, `signup`, `tags` and 1 more"]
        );
    }

    #[test]
    fn type_mismatches_say_what_to_write() {
        assert_eq!(
            messages("city_tier = 3"),
            vec!["t:1:1: error: `city_tier` is a string trait but `3` is a number\n  hint: quote it to compare as text: `\"3\"`"]
        );
        assert_eq!(
            messages("age >= \"30\""),
            vec!["t:1:1: error: `age` is a number trait but `\"30\"` is a string\n  hint: remove the quotes: `30`"]
        );
        assert_eq!(
            messages("city_tier > \"a\""),
            vec!["t:1:1: error: `>` cannot be used on `city_tier`, a string trait\n  hint: string traits support `=`, `!=`, `in`, `contains`, `starts_with`, `exists` and `is null`"]
        );
        assert_eq!(messages("home = 1").len(), 1);
        assert_eq!(messages("tags = \"a\"").len(), 1);
        assert_eq!(messages("vip > true").len(), 1);
        assert!(messages("signup > \"2026-01-01\"")[0].contains("without quotes: `2026-01-01`"));
        assert_eq!(
            messages(
                r#"tags contains "a" and tags in ("a", "b") and home exists and signup between 2026-01-01 and 2026-02-01 and vip != false and city_tier starts_with "u""#
            ),
            Vec::<String>::new()
        );
    }

    #[test]
    fn local_time_values_that_never_occur_are_errors() {
        let catalog = catalog()
            .with_trait("local_hour", TraitType::Number)
            .with_trait("local_weekday", TraitType::String);
        let messages = |text: &str| -> Vec<String> {
            check(&parse(text).expr, &catalog)
                .iter()
                .map(|d| d.to_line("t", text))
                .collect()
        };
        assert_eq!(
            messages(r#"local_weekday in ("Saturday", "sunday")"#),
            vec!["t:1:1: error: \"sunday\" is not a weekday\n  hint: did you mean \"Sunday\"?"]
        );
        assert_eq!(
            messages("local_hour = 24"),
            vec!["t:1:1: error: `local_hour` is a whole hour from 0 to 23, never 24"]
        );
        assert_eq!(
            messages(r#"local_hour between 11 and 14 and local_weekday != "Sunday""#),
            Vec::<String>::new()
        );
    }

    #[test]
    fn unknown_events_and_properties_are_warnings() {
        let found = messages(
            r#"did(Order Complted) and count(Order Completed where catgory = "x" and address.city = "y") > 1 and sum(Order Completed.revnue) > 3"#,
        );
        assert_eq!(
            found,
            vec![
                "t:1:5: warning: unknown event `Order Complted`\n  hint: did you mean `Order Completed`?",
                "t:1:53: warning: `Order Completed` events have no property `catgory`\n  hint: did you mean `category`?",
                "t:1:103: warning: `Order Completed` events have no property `revnue`\n  hint: did you mean `revenue`?",
            ]
        );
        assert!(!crate::has_errors(&check(
            &parse("did(Nope)").expr,
            &catalog()
        )));
    }
}
