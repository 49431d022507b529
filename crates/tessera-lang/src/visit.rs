//! Traversal of syntax trees, so that passes do not each hand-write the recursion.
//!
//! `walk` visits (pre-order), `transform` rewrites (post-order, by value), and the collectors
//! answer "which traits / events / properties does this segment depend on".

use std::collections::{BTreeMap, BTreeSet};

use crate::ast::*;

impl Expr {
    /// The direct sub-conditions: operands of `and`/`or`, the inside of `not`, none for leaves.
    pub fn children(&self) -> &[Expr] {
        match self {
            Expr::And(items) | Expr::Or(items) => items,
            Expr::Not(inner) => std::slice::from_ref(inner),
            _ => &[],
        }
    }

    /// Calls `f` on this node and then on every descendant, parents before children.
    pub fn walk<'a>(&'a self, f: &mut impl FnMut(&'a Expr)) {
        f(self);
        for child in self.children() {
            child.walk(f);
        }
    }

    /// Rebuilds the tree bottom-up: children are transformed first, then `f` gets the node
    /// with its new children. Useful for normalising passes.
    pub fn transform(self, f: &mut impl FnMut(Expr) -> Expr) -> Expr {
        let rebuilt = match self {
            Expr::And(items) => Expr::And(items.into_iter().map(|e| e.transform(f)).collect()),
            Expr::Or(items) => Expr::Or(items.into_iter().map(|e| e.transform(f)).collect()),
            Expr::Not(inner) => Expr::Not(Box::new(inner.transform(f))),
            leaf => leaf,
        };
        f(rebuilt)
    }

    /// The event query of an event condition (`did`, `count`, aggregate, recency, value).
    pub fn event_query(&self) -> Option<&EventQuery> {
        match self {
            Expr::Did(query) => Some(query),
            Expr::Count(cond) => Some(&cond.query),
            Expr::Aggregate(cond) => Some(&cond.query),
            Expr::Recency(cond) => Some(&cond.query),
            Expr::Value(cond) => Some(&cond.query),
            _ => None,
        }
    }

    /// The event queries of this node itself: one for an event condition, two for a
    /// sequence, none otherwise.
    pub fn own_event_queries(&self) -> Vec<&EventQuery> {
        match self {
            Expr::Sequence(cond) => vec![&cond.first, &cond.second],
            _ => self.event_query().into_iter().collect(),
        }
    }

    /// Every event query in the tree, in source order.
    pub fn event_queries(&self) -> Vec<&EventQuery> {
        let mut out = Vec::new();
        self.walk(&mut |e| out.extend(e.own_event_queries()));
        out
    }

    /// Every trait condition in the tree, in source order.
    pub fn trait_conds(&self) -> Vec<&TraitCond> {
        let mut out = Vec::new();
        self.walk(&mut |e| {
            if let Expr::Trait(cond) = e {
                out.push(cond);
            }
        });
        out
    }

    /// The names of the traits the segment reads.
    pub fn trait_names(&self) -> BTreeSet<&str> {
        self.trait_conds()
            .into_iter()
            .map(|c| c.name.as_str())
            .collect()
    }

    /// The names of the events the segment reads.
    pub fn event_names(&self) -> BTreeSet<&str> {
        self.event_queries()
            .into_iter()
            .map(|q| q.event.as_str())
            .collect()
    }

    /// For each event the segment reads, the properties it filters on or aggregates.
    pub fn event_properties(&self) -> BTreeMap<&str, BTreeSet<&str>> {
        let mut out: BTreeMap<&str, BTreeSet<&str>> = BTreeMap::new();
        self.walk(&mut |e| {
            for query in e.own_event_queries() {
                let props = out.entry(query.event.as_str()).or_default();
                props.extend(query.property_names());
                if let Expr::Aggregate(cond) = e {
                    props.insert(cond.property.as_str());
                }
                if let Expr::Value(cond) = e {
                    props.insert(cond.property.as_str());
                }
                if let Expr::Sequence(cond) = e {
                    props.extend(cond.same.iter().map(String::as_str));
                }
            }
        });
        out
    }

    /// Whether any part of the tree is `Missing` (it came from broken text).
    pub fn has_missing(&self) -> bool {
        let mut found = false;
        self.walk(&mut |e| {
            found |= matches!(e, Expr::Missing(_))
                || e.own_event_queries()
                    .iter()
                    .filter_map(|q| q.filter.as_ref())
                    .any(PropFilter::has_missing);
        });
        found
    }
}

impl PropFilter {
    pub fn children(&self) -> &[PropFilter] {
        match self {
            PropFilter::And(items) | PropFilter::Or(items) => items,
            PropFilter::Not(inner) => std::slice::from_ref(inner),
            _ => &[],
        }
    }

    /// Calls `f` on this node and then on every descendant, parents before children.
    pub fn walk<'a>(&'a self, f: &mut impl FnMut(&'a PropFilter)) {
        f(self);
        for child in self.children() {
            child.walk(f);
        }
    }

    /// Every property test in the filter, in source order.
    pub fn tests(&self) -> Vec<&TraitCond> {
        let mut out = Vec::new();
        self.walk(&mut |f| {
            if let PropFilter::Test(cond) = f {
                out.push(cond);
            }
        });
        out
    }

    pub fn has_missing(&self) -> bool {
        let mut found = false;
        self.walk(&mut |f| found |= matches!(f, PropFilter::Missing(_)));
        found
    }
}

impl EventQuery {
    /// The properties the `where` filter tests (not the aggregated one; see
    /// [`Expr::event_properties`]).
    pub fn property_names(&self) -> BTreeSet<&str> {
        self.filter
            .iter()
            .flat_map(|f| f.tests())
            .map(|c| c.name.as_str())
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use crate::parse;

    #[test]
    fn collectors_find_every_dependency() {
        let parsed = parse(
            r#"(age > 3 or not city = "x") and count(Page Viewed where path = "/" and ref exists) > 1
               and sum(Order Completed.revenue in last 7d) > 5 and age < 90"#,
        );
        assert_eq!(parsed.diagnostics, vec![]);
        let expr = &parsed.expr;
        assert_eq!(
            expr.trait_names().into_iter().collect::<Vec<_>>(),
            vec!["age", "city"]
        );
        assert_eq!(
            expr.event_names().into_iter().collect::<Vec<_>>(),
            vec!["Order Completed", "Page Viewed"]
        );
        let props = expr.event_properties();
        assert_eq!(
            props["Page Viewed"].iter().copied().collect::<Vec<_>>(),
            vec!["path", "ref"]
        );
        assert_eq!(
            props["Order Completed"].iter().copied().collect::<Vec<_>>(),
            vec!["revenue"]
        );
        assert!(!expr.has_missing());
        assert!(parse("did(X where a = ) and b = 1").expr.has_missing());
    }

    #[test]
    fn walk_is_pre_order_and_transform_is_post_order() {
        let expr = parse("not (a = 1 and b = 2)").expr;
        let mut seen = Vec::new();
        expr.walk(&mut |e| seen.push(e.to_string()));
        assert_eq!(
            seen,
            vec!["not (a = 1 and b = 2)", "a = 1 and b = 2", "a = 1", "b = 2"]
        );
        // Push `not` inwards once, De Morgan style, to show a rewrite.
        let rewritten = expr.transform(&mut |e| match e {
            crate::Expr::Not(inner) => match *inner {
                crate::Expr::And(items) => crate::Expr::Or(
                    items
                        .into_iter()
                        .map(|i| crate::Expr::Not(Box::new(i)))
                        .collect(),
                ),
                other => crate::Expr::Not(Box::new(other)),
            },
            other => other,
        });
        assert_eq!(rewritten.to_string(), "not a = 1 or not b = 2");
    }
}
