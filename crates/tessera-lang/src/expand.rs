//! Expansion: references to other segments and to stored places replaced by what they mean,
//! so that every evaluator (interpreter, index, real time, SQL) sees only self-contained trees.
//!
//! - `in segment "vip"` becomes vip's condition (evaluated at the same instant), recursively;
//!   a cycle (`a` uses `b` uses `a`) is an error naming the chain.
//! - `within D of place "x"` becomes `within D of point(lat, lon)` with the place's
//!   coordinates; `within D of any place tagged "t"` becomes an `or` over the places with the
//!   tag (the nearest one decides). A tag no place has is an error: the condition could never
//!   hold, which is almost certainly a mistake.
//!
//! - A test of a computed trait (`lifetime_spend > 500`, defined as
//!   `sum(Order Completed.revenue)`) becomes the event condition it means
//!   (`sum(Order Completed.revenue) > 500`), so it is exact in batch, real time and SQL.
//!
//! Expanding a tree that has nothing to expand returns an equal tree.

use tessera_model::TraitType;

use crate::ast::{
    AggFunc, AggregateCond, CountCond, EventQuery, Expr, GeoTarget, Literal, NumCmp, TraitCond,
    ValueCond, ValueFunc, ValueTest,
};

/// Where expansion looks up segments and places (the store, in practice).
pub trait Definitions {
    /// The stored condition of a segment, parsed.
    fn segment(&self, name: &str) -> Option<Expr>;
    /// A place's coordinates (latitude, longitude).
    fn place(&self, name: &str) -> Option<(f64, f64)>;
    /// The coordinates of every place with the tag.
    fn tagged(&self, tag: &str) -> Vec<(f64, f64)>;
    /// A computed trait's definition.
    fn computed(&self, _name: &str) -> Option<Computed> {
        None
    }
}

/// A computed trait: a value computed from a profile's events, named so that segments can
/// test it like a trait (`lifetime_spend > 500`, `favourite_category = "shoes"`).
#[derive(Debug, Clone, PartialEq)]
pub enum Computed {
    /// `count(Order Completed in last 90d)`: 0 without events.
    Count(EventQuery),
    /// `sum(Order Completed.revenue)`: a sum of nothing is 0; an average, minimum or maximum
    /// of nothing has no value (the trait is missing).
    Aggregate {
        func: AggFunc,
        query: EventQuery,
        property: String,
    },
    /// `most_frequent(Product Viewed.category in last 90d)`, `first`, `last`, `unique_count`,
    /// `distinct`: see [`ValueCond`]. `ty` is what the checker holds the trait to: a number for
    /// `unique_count`, a list for `distinct`, and for the others a string unless the definition
    /// ends in `as number` or `as bool`.
    Value {
        func: ValueFunc,
        query: EventQuery,
        property: String,
        ty: TraitType,
    },
}

impl Computed {
    /// The type segments see the trait as.
    pub fn trait_type(&self) -> TraitType {
        match self {
            Computed::Count(_) | Computed::Aggregate { .. } => TraitType::Number,
            Computed::Value { ty, .. } => *ty,
        }
    }

    /// Reads a definition such as `sum(Order Completed.revenue in last 90d)`.
    pub fn parse(text: &str) -> Result<Computed, String> {
        let (text, declared) = match text.trim_end().rsplit_once(" as ") {
            Some((definition, ty)) if !ty.contains(')') => {
                let ty = match ty.trim() {
                    "string" => TraitType::String,
                    "number" => TraitType::Number,
                    "bool" => TraitType::Bool,
                    other => {
                        return Err(format!(
                            "`as {other}`: a computed value is declared `as string`, `as number` or `as bool`"
                        ))
                    }
                };
                (definition, Some(ty))
            }
            _ => (text, None),
        };
        // The definition is the left side of an event condition: read one and take it apart.
        let parsed = crate::parse(&format!("{text} >= 0"));
        if let Some(error) = parsed.diagnostics.iter().find(|d| d.is_error()) {
            return Err(format!(
                "`{text}`: {}{}",
                error.message,
                error
                    .hint
                    .as_ref()
                    .map(|h| format!(" ({h})"))
                    .unwrap_or_default()
            ));
        }
        match parsed.expr {
            Expr::Count(cond) => Ok(Computed::Count(cond.query)),
            Expr::Aggregate(cond) => Ok(Computed::Aggregate {
                func: cond.func,
                query: cond.query,
                property: cond.property,
            }),
            Expr::Value(cond) => {
                let ty = match (cond.func, declared) {
                    (ValueFunc::UniqueCount, None | Some(TraitType::Number)) => TraitType::Number,
                    (ValueFunc::Distinct, None) => TraitType::StringList,
                    (ValueFunc::UniqueCount | ValueFunc::Distinct, Some(_)) => {
                        return Err(format!(
                            "`{text}`: only first, last and most_frequent take a declared type (`as number`)"
                        ))
                    }
                    (_, declared) => declared.unwrap_or(TraitType::String),
                };
                Ok(Computed::Value {
                    func: cond.func,
                    query: cond.query,
                    property: cond.property,
                    ty,
                })
            }
            _ => Err(format!(
                "`{text}` is not a count, aggregate or value of events; write e.g. `sum(Order Completed.revenue)`, `count(Order Completed in last 90d)` or `most_frequent(Product Viewed.category in last 90d)`"
            )),
        }
    }

    /// The event condition that `name test` means, for the numeric tests a computed trait
    /// answers.
    fn condition(&self, name: &str, test: &ValueTest) -> Result<Expr, ExpandError> {
        let number = |l: &Literal| match l {
            Literal::Number(n) => Ok(*n),
            other => Err(ExpandError(format!(
                "computed trait `{name}` is a number, but `{other}` is not"
            ))),
        };
        let cmp = |test: &ValueTest| -> Result<NumCmp, ExpandError> {
            Ok(match test {
            ValueTest::Compare { op, value } => NumCmp::Compare {
                op: *op,
                value: number(value)?,
            },
            ValueTest::Between { low, high } => NumCmp::Between {
                low: number(low)?,
                high: number(high)?,
            },
            other => {
                return Err(ExpandError(format!(
                    "computed trait `{name}` answers comparisons (=, !=, <, <=, >, >=, between), not `{other}`"
                )))
            }
            })
        };
        Ok(match self {
            Computed::Count(query) => Expr::Count(CountCond {
                query: query.clone(),
                cmp: cmp(test)?,
            }),
            Computed::Aggregate {
                func,
                query,
                property,
            } => Expr::Aggregate(AggregateCond {
                func: *func,
                query: query.clone(),
                property: property.clone(),
                cmp: cmp(test)?,
            }),
            // Any test: the value is tested as the definition's events give it.
            Computed::Value {
                func,
                query,
                property,
                ..
            } => Expr::Value(ValueCond {
                func: *func,
                query: query.clone(),
                property: property.clone(),
                test: test.clone(),
            }),
        })
    }
}

/// Why a tree cannot be expanded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExpandError(pub String);

impl std::fmt::Display for ExpandError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for ExpandError {}

/// How deep segment references may nest (a guard against runaway definitions).
const MAX_DEPTH: usize = 32;

/// The tree with every segment reference and place target expanded.
pub fn expand(expr: &Expr, definitions: &dyn Definitions) -> Result<Expr, ExpandError> {
    expand_within(expr, definitions, &mut Vec::new())
}

fn expand_within(
    expr: &Expr,
    definitions: &dyn Definitions,
    stack: &mut Vec<String>,
) -> Result<Expr, ExpandError> {
    Ok(match expr {
        Expr::And(items) => Expr::And(expand_all(items, definitions, stack)?),
        Expr::Or(items) => Expr::Or(expand_all(items, definitions, stack)?),
        Expr::Not(inner) => Expr::Not(Box::new(expand_within(inner, definitions, stack)?)),
        Expr::InSegment(reference) => {
            let name = &reference.name;
            if stack.contains(name) || stack.len() >= MAX_DEPTH {
                let mut chain = stack.clone();
                chain.push(name.clone());
                return Err(ExpandError(format!(
                    "segment references form a cycle: {}",
                    chain
                        .iter()
                        .map(|n| format!("`{n}`"))
                        .collect::<Vec<_>>()
                        .join(" → ")
                )));
            }
            let inner = definitions
                .segment(name)
                .ok_or_else(|| ExpandError(format!("unknown segment `{name}`")))?;
            stack.push(name.clone());
            let expanded = expand_within(&inner, definitions, stack);
            stack.pop();
            expanded?
        }
        Expr::Trait(cond) if definitions.computed(&cond.name).is_some() => definitions
            .computed(&cond.name)
            .expect("checked above")
            .condition(&cond.name, &cond.test)?,
        Expr::Trait(cond) => match &cond.test {
            ValueTest::Within { distance, of } => {
                let points: Vec<(f64, f64)> = match of {
                    GeoTarget::Point { .. } => return Ok(expr.clone()),
                    GeoTarget::Place(name) => vec![definitions
                        .place(name)
                        .ok_or_else(|| ExpandError(format!("unknown place `{name}`")))?],
                    GeoTarget::Tagged(tag) => definitions.tagged(tag),
                };
                let mut tests: Vec<Expr> = points
                    .into_iter()
                    .map(|(lat, lon)| {
                        Expr::Trait(TraitCond {
                            name: cond.name.clone(),
                            test: ValueTest::Within {
                                distance: *distance,
                                of: GeoTarget::Point { lat, lon },
                            },
                            span: cond.span,
                        })
                    })
                    .collect();
                match tests.len() {
                    0 => {
                        return Err(ExpandError(format!(
                            "no place has the tag `{}`, so `{}` could never hold",
                            match of {
                                GeoTarget::Tagged(tag) => tag.as_str(),
                                _ => "",
                            },
                            expr
                        )))
                    }
                    1 => tests.pop().expect("one test"),
                    _ => Expr::Or(tests),
                }
            }
            _ => expr.clone(),
        },
        other => other.clone(),
    })
}

fn expand_all(
    items: &[Expr],
    definitions: &dyn Definitions,
    stack: &mut Vec<String>,
) -> Result<Vec<Expr>, ExpandError> {
    items
        .iter()
        .map(|item| expand_within(item, definitions, stack))
        .collect()
}

#[cfg(test)]
mod tests {
    use std::collections::HashMap;

    use super::*;
    use crate::parse;

    #[derive(Default)]
    struct Defs {
        segments: HashMap<&'static str, &'static str>,
        places: Vec<(&'static str, f64, f64, &'static str)>,
        computed: HashMap<&'static str, &'static str>,
    }

    impl Definitions for Defs {
        fn segment(&self, name: &str) -> Option<Expr> {
            self.segments.get(name).map(|text| parse(text).expr)
        }
        fn place(&self, name: &str) -> Option<(f64, f64)> {
            self.places.iter().find(|p| p.0 == name).map(|p| (p.1, p.2))
        }
        fn tagged(&self, tag: &str) -> Vec<(f64, f64)> {
            self.places
                .iter()
                .filter(|p| p.3.split('|').any(|t| t == tag))
                .map(|p| (p.1, p.2))
                .collect()
        }
        fn computed(&self, name: &str) -> Option<Computed> {
            self.computed.get(name).map(|t| Computed::parse(t).unwrap())
        }
    }

    #[test]
    fn computed_traits_become_the_event_conditions_they_name() {
        let defs = Defs {
            computed: HashMap::from([
                ("spend", "sum(Order Completed.revenue in last 90d)"),
                ("orders", "count(Order Completed)"),
            ]),
            ..Defs::default()
        };
        assert_eq!(
            expanded("spend > 500 and orders between 2 and 5", &defs).unwrap(),
            "sum(Order Completed.revenue in last 90d) > 500 and count(Order Completed) between 2 and 5"
        );
        assert!(expanded("spend = \"x\"", &defs)
            .unwrap_err()
            .contains("is a number"));
        assert!(expanded("spend exists", &defs)
            .unwrap_err()
            .contains("answers comparisons"));
        assert!(Computed::parse("age").unwrap_err().contains("not a count"));
        assert!(Computed::parse("did(Order Completed)").is_err());
        assert!(Computed::parse("sum(Order Completed)").is_err());
    }

    #[test]
    fn computed_values_keep_any_test_and_have_a_type() {
        let defs = Defs {
            computed: HashMap::from([
                (
                    "favourite",
                    "most_frequent(Product Viewed.category in last 90d)",
                ),
                ("last_order", "last(Order Completed.revenue) as number"),
                ("products", "unique_count(Product Viewed.product_id)"),
                ("categories", "distinct(Product Viewed.category)"),
            ]),
            ..Defs::default()
        };
        assert_eq!(
            expanded("favourite in (\"shoes\", \"bags\") and not favourite is null", &defs)
                .unwrap(),
            "most_frequent(Product Viewed.category in last 90d) in (\"shoes\", \"bags\") and not most_frequent(Product Viewed.category in last 90d) is null"
        );
        assert_eq!(
            expanded("categories contains \"shoes\" and products >= 3", &defs).unwrap(),
            "distinct(Product Viewed.category) contains \"shoes\" and unique_count(Product Viewed.product_id) >= 3"
        );
        let ty = |name: &str| defs.computed(name).unwrap().trait_type();
        assert_eq!(ty("favourite"), TraitType::String);
        assert_eq!(ty("last_order"), TraitType::Number);
        assert_eq!(ty("products"), TraitType::Number);
        assert_eq!(ty("categories"), TraitType::StringList);
        assert!(Computed::parse("last(Order Completed.revenue) as money")
            .unwrap_err()
            .contains("as number"));
        assert!(Computed::parse("distinct(Product Viewed.category) as number").is_err());
    }

    fn expanded(text: &str, defs: &Defs) -> Result<String, String> {
        expand(&parse(text).expr, defs)
            .map(|e| e.to_string())
            .map_err(|e| e.0)
    }

    #[test]
    fn references_and_places_are_replaced_by_what_they_mean() {
        let defs = Defs {
            segments: HashMap::from([
                ("vip", "income > 100 and in segment \"adult\""),
                ("adult", "age >= 18"),
            ]),
            places: vec![
                ("downtown", 41.5, -87.5, "store|urban"),
                ("mall", 42.0, -88.0, "store"),
            ],
            ..Defs::default()
        };
        assert_eq!(
            expanded("in segment \"vip\" and not in segment \"adult\"", &defs).unwrap(),
            "(income > 100 and age >= 18) and not age >= 18"
        );
        assert_eq!(
            expanded("home within 5 mi of place \"downtown\"", &defs).unwrap(),
            "home within 5 mi of point(41.5, -87.5)"
        );
        assert_eq!(
            expanded("home within 2 km of any place tagged \"store\"", &defs).unwrap(),
            "home within 2 km of point(41.5, -87.5) or home within 2 km of point(42, -88)"
        );
        let plain = "age > 3 and did(Order Completed)";
        assert_eq!(expanded(plain, &defs).unwrap(), plain);
    }

    #[test]
    fn cycles_unknown_names_and_empty_tags_are_errors() {
        let defs = Defs {
            segments: HashMap::from([
                ("a", "age > 1 or in segment \"b\""),
                ("b", "in segment \"a\""),
            ]),
            places: vec![("mall", 42.0, -88.0, "store")],
            ..Defs::default()
        };
        assert_eq!(
            expanded("in segment \"a\"", &defs).unwrap_err(),
            "segment references form a cycle: `a` → `b` → `a`"
        );
        assert_eq!(
            expanded("in segment \"zz\"", &defs).unwrap_err(),
            "unknown segment `zz`"
        );
        assert!(
            expanded("home within 1 km of any place tagged \"outlet\"", &defs)
                .unwrap_err()
                .starts_with("no place has the tag `outlet`")
        );
        assert_eq!(
            expanded("home within 1 km of place \"nowhere\"", &defs).unwrap_err(),
            "unknown place `nowhere`"
        );
    }
}
