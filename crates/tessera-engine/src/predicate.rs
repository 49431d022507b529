//! Value tests compiled for the index's columns: per dictionary entry, per typed column and per
//! list element.
//!
//! The index never tests row by row against a `ValueTest`: it tests each distinct value of a
//! dictionary once, or turns the test into a range over a numeric column. The rules are those
//! of the interpreter (see its module docs); the differential test holds the two together.

use std::cmp::Ordering;
use std::ops::Bound;

use serde_json::Value;
use tessera_lang::{CmpOp, Literal, ValueTest};
use tessera_model::{parse_timestamp, Millis};

/// A present, single value of a column.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Scalar<'a> {
    Str(&'a str),
    Num(f64),
    Bool(bool),
}

impl Scalar<'_> {
    /// How the value orders against a literal; `None` across kinds (no coercion), except that a
    /// string is read as a date when compared with a timestamp literal.
    fn order(self, literal: &Literal) -> Option<Ordering> {
        match (self, literal) {
            (Scalar::Str(s), Literal::String(l)) => Some(s.as_bytes().cmp(l.as_bytes())),
            (Scalar::Str(s), Literal::Timestamp { timestamp }) => {
                parse_timestamp(s).map(|ms| ms.cmp(timestamp))
            }
            (Scalar::Num(n), Literal::Number(l)) => n.partial_cmp(l),
            (Scalar::Bool(b), Literal::Bool(l)) => Some(b.cmp(l)),
            _ => None,
        }
    }

    fn equals(self, literal: &Literal) -> bool {
        self.order(literal) == Some(Ordering::Equal)
    }
}

/// Whether a present single value passes a test.
pub(crate) fn scalar_matches(test: &ValueTest, value: Scalar<'_>) -> bool {
    match test {
        ValueTest::Exists => true,
        ValueTest::IsNull => false,
        ValueTest::Compare { op, value: literal } => {
            value.order(literal).is_some_and(|o| op.holds(o))
        }
        ValueTest::Between { low, high } => {
            matches!(value.order(low), Some(Ordering::Equal | Ordering::Greater))
                && matches!(value.order(high), Some(Ordering::Equal | Ordering::Less))
        }
        ValueTest::In { values } => values.iter().any(|literal| value.equals(literal)),
        ValueTest::Contains { value: literal } => match (value, literal) {
            (Scalar::Str(s), Literal::String(part)) => s.contains(part.as_str()),
            _ => false,
        },
        ValueTest::StartsWith { value: literal } => match (value, literal) {
            (Scalar::Str(s), Literal::String(prefix)) => s.starts_with(prefix.as_str()),
            _ => false,
        },
        // Only geo columns answer `within`.
        ValueTest::Within { .. } => false,
    }
}

/// The literals a list element is compared with for equality (`in`, `contains`), or `None`
/// when the test never holds for a present list other than through `exists`.
pub(crate) fn element_literals(test: &ValueTest) -> Option<&[Literal]> {
    match test {
        ValueTest::In { values } => Some(values),
        ValueTest::Contains { value } => Some(std::slice::from_ref(value)),
        _ => None,
    }
}

/// Whether a list element equals one of `literals`.
pub(crate) fn element_matches(literals: &[Literal], element: Scalar<'_>) -> bool {
    literals.iter().any(|literal| element.equals(literal))
}

fn json_scalar(value: &Value) -> Option<Scalar<'_>> {
    match value {
        Value::String(s) => Some(Scalar::Str(s)),
        Value::Number(n) => n.as_f64().map(Scalar::Num),
        Value::Bool(b) => Some(Scalar::Bool(*b)),
        _ => None,
    }
}

/// Whether a present (non-null) JSON property value passes a test. Arrays behave as lists;
/// objects only exist.
pub(crate) fn json_matches(test: &ValueTest, value: &Value) -> bool {
    match value {
        Value::Array(items) => match element_literals(test) {
            Some(literals) => items
                .iter()
                .filter_map(json_scalar)
                .any(|item| element_matches(literals, item)),
            None => matches!(test, ValueTest::Exists),
        },
        _ => match json_scalar(value) {
            Some(scalar) => scalar_matches(test, scalar),
            None => matches!(test, ValueTest::Exists),
        },
    }
}

/// A value test turned into a test on a numeric column (numbers as f64, timestamps as i64),
/// for present values only: missing values are handled by the caller's presence bitmap.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum RangePred<T> {
    Never,
    Always,
    Within(Bound<T>, Bound<T>),
    NotEqual(T),
    AnyOf(Vec<T>),
}

impl<T: PartialOrd + Copy> RangePred<T> {
    /// `literal_value` reads a literal of the column's kind; other literals never match.
    pub(crate) fn compile(test: &ValueTest, literal_value: impl Fn(&Literal) -> Option<T>) -> Self {
        use Bound::{Excluded, Included, Unbounded};
        match test {
            ValueTest::Exists => RangePred::Always,
            ValueTest::IsNull
            | ValueTest::Contains { .. }
            | ValueTest::StartsWith { .. }
            | ValueTest::Within { .. } => RangePred::Never,
            ValueTest::Compare { op, value } => match literal_value(value) {
                None => RangePred::Never,
                Some(v) => match op {
                    CmpOp::Eq => RangePred::Within(Included(v), Included(v)),
                    CmpOp::Ne => RangePred::NotEqual(v),
                    CmpOp::Lt => RangePred::Within(Unbounded, Excluded(v)),
                    CmpOp::Le => RangePred::Within(Unbounded, Included(v)),
                    CmpOp::Gt => RangePred::Within(Excluded(v), Unbounded),
                    CmpOp::Ge => RangePred::Within(Included(v), Unbounded),
                },
            },
            ValueTest::Between { low, high } => match (literal_value(low), literal_value(high)) {
                (Some(low), Some(high)) => RangePred::Within(Included(low), Included(high)),
                _ => RangePred::Never,
            },
            ValueTest::In { values } => {
                let values: Vec<T> = values.iter().filter_map(literal_value).collect();
                if values.is_empty() {
                    RangePred::Never
                } else {
                    RangePred::AnyOf(values)
                }
            }
        }
    }

    /// Comparisons are written so that a NaN number matches nothing but `exists`, as
    /// `partial_cmp` makes it in the interpreter.
    #[inline]
    pub(crate) fn matches(&self, x: T) -> bool {
        match self {
            RangePred::Never => false,
            RangePred::Always => true,
            RangePred::Within(low, high) => {
                let above = match low {
                    Bound::Included(l) => x >= *l,
                    Bound::Excluded(l) => x > *l,
                    Bound::Unbounded => true,
                };
                let below = match high {
                    Bound::Included(h) => x <= *h,
                    Bound::Excluded(h) => x < *h,
                    Bound::Unbounded => true,
                };
                above && below
            }
            // Not `x != v`: that holds for NaN.
            RangePred::NotEqual(v) => {
                matches!(x.partial_cmp(v), Some(Ordering::Less | Ordering::Greater))
            }
            RangePred::AnyOf(values) => values.contains(&x),
        }
    }
}

pub(crate) fn number_literal(literal: &Literal) -> Option<f64> {
    match literal {
        Literal::Number(n) => Some(*n),
        _ => None,
    }
}

pub(crate) fn timestamp_literal(literal: &Literal) -> Option<Millis> {
    match literal {
        Literal::Timestamp { timestamp } => Some(*timestamp),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn cmp(op: CmpOp, value: Literal) -> ValueTest {
        ValueTest::Compare { op, value }
    }

    #[test]
    fn nan_matches_only_exists() {
        for op in [CmpOp::Eq, CmpOp::Ne, CmpOp::Lt, CmpOp::Ge] {
            let pred = RangePred::compile(&cmp(op, Literal::Number(1.0)), number_literal);
            assert!(!pred.matches(f64::NAN), "{op}");
        }
        assert!(RangePred::compile(&ValueTest::Exists, number_literal).matches(f64::NAN));
    }

    #[test]
    fn strings_read_as_dates_only_against_timestamps() {
        let day = tessera_model::parse_timestamp("2026-10-01").unwrap();
        let test = cmp(CmpOp::Eq, Literal::Timestamp { timestamp: day });
        assert!(scalar_matches(&test, Scalar::Str("2026-10-01")));
        assert!(!scalar_matches(&test, Scalar::Str("October")));
        assert!(!scalar_matches(
            &cmp(CmpOp::Ne, Literal::Number(1.0)),
            Scalar::Str("1")
        ));
    }

    #[test]
    fn arrays_answer_contains_and_in_but_not_equality() {
        let tags = json!(["a", 2, null]);
        assert!(json_matches(
            &ValueTest::Contains {
                value: Literal::Number(2.0)
            },
            &tags
        ));
        assert!(json_matches(
            &ValueTest::In {
                values: vec![Literal::String("x".into()), Literal::String("a".into())]
            },
            &tags
        ));
        assert!(!json_matches(
            &cmp(CmpOp::Eq, Literal::String("a".into())),
            &tags
        ));
        assert!(!json_matches(
            &cmp(CmpOp::Ne, Literal::String("a".into())),
            &tags
        ));
        assert!(json_matches(&ValueTest::Exists, &json!({"k": 1})));
        assert!(!json_matches(
            &ValueTest::Contains {
                value: Literal::String("k".into())
            },
            &json!({"k": 1})
        ));
    }
}
