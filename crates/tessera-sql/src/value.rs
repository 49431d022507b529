//! Value tests (`=`, `between`, `in`, `contains`, …) on a trait row, a JSON property value or
//! a value condition's value (read into one column per kind), with the interpreter's rules
//! (`tessera_engine::interpreter`):
//!
//! - a value only compares with a literal of its own kind (strings by bytes, numbers as
//!   doubles, booleans with `false < true`, timestamps as epoch milliseconds); any other
//!   pairing is false, `!=` included;
//! - a list (a `string_list` trait, a JSON array) answers only `in` and `contains`, through
//!   its elements;
//! - a string compared with a timestamp literal is read as a date by Tessera's own parser,
//!   which no SQL dialect reproduces: such a test is refused rather than approximated.
//!
//! `exists` and `is null` are the callers' business: they are about whether there is a value
//! at all, which a trait row or a JSON path answers differently.

use sqlparser::ast::{BinaryOperator, Expr};
use tessera_lang::{CmpOp, Literal, ValueTest};

use crate::build::{and, binary, boolean, case_when, cast, col, in_list, known, number, or};
use crate::dialect::{Flavor, JsonKind};

/// Why a test cannot be written in SQL (becomes a `SqlError::Unsupported`).
pub(crate) type Refusal = String;

/// The kinds of scalar literal.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Kind {
    String,
    Number,
    Bool,
    Timestamp,
}

pub(crate) fn kind_of(literal: &Literal) -> Kind {
    match literal {
        Literal::String(_) => Kind::String,
        Literal::Number(_) => Kind::Number,
        Literal::Bool(_) => Kind::Bool,
        Literal::Timestamp { .. } => Kind::Timestamp,
    }
}

pub(crate) fn cmp_operator(op: CmpOp) -> BinaryOperator {
    match op {
        CmpOp::Eq => BinaryOperator::Eq,
        CmpOp::Ne => BinaryOperator::NotEq,
        CmpOp::Lt => BinaryOperator::Lt,
        CmpOp::Le => BinaryOperator::LtEq,
        CmpOp::Gt => BinaryOperator::Gt,
        CmpOp::Ge => BinaryOperator::GtEq,
    }
}

/// What a test looks at: a row of `traits` (alias `t`), a JSON value, or a value already read
/// into one column per kind.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Subject<'a> {
    TraitRow,
    Json(&'a Expr),
    Columns(&'a KindColumns),
}

/// A value held in one column per kind, each `NULL` unless the value is of that kind (as the
/// value conditions compute them). A kind without a column is one the value never has.
#[derive(Debug, Clone, Default)]
pub(crate) struct KindColumns {
    pub string: Option<Expr>,
    pub number: Option<Expr>,
    pub boolean: Option<Expr>,
}

/// A value read in one kind: `guard` (when present) holds only for values of that kind, and
/// `value` is the value in SQL's type for the kind (or `NULL` when it is of another kind).
struct Typed {
    guard: Option<Expr>,
    value: Expr,
}

impl Typed {
    /// `comparison` on the value, for values of the kind; `None` (a subject that never has
    /// the kind) is false.
    fn test(typed: Option<Typed>, comparison: impl FnOnce(Expr) -> Expr) -> Expr {
        let Some(typed) = typed else {
            return boolean(false);
        };
        let compared = comparison(typed.value);
        match typed.guard {
            Some(guard) => and(vec![guard, compared]),
            None => compared,
        }
    }
}

/// Value tests compiled for one dialect.
pub(crate) struct ValueTests<'a> {
    pub flavor: &'a dyn Flavor,
}

impl ValueTests<'_> {
    /// The literal in the SQL type its kind is compared in.
    fn literal(&self, literal: &Literal) -> Expr {
        match literal {
            Literal::String(s) => self.flavor.string(s),
            Literal::Number(n) => cast(number(*n), self.flavor.double()),
            Literal::Bool(b) => boolean(*b),
            Literal::Timestamp { timestamp } => crate::build::integer(*timestamp),
        }
    }

    /// How `subject` reads as `kind`; `None` when it never is of that kind.
    fn typed(&self, subject: &Subject<'_>, kind: Kind) -> Result<Option<Typed>, Refusal> {
        Ok(Some(match subject {
            Subject::TraitRow => {
                let (name, column) = match kind {
                    Kind::String => ("string", "string_value"),
                    Kind::Number => ("number", "number_value"),
                    Kind::Bool => ("bool", "boolean_value"),
                    Kind::Timestamp => ("timestamp", "timestamp_value"),
                };
                Typed {
                    guard: Some(binary(
                        col("t", "type"),
                        BinaryOperator::Eq,
                        self.flavor.string(name),
                    )),
                    value: col("t", column),
                }
            }
            Subject::Json(v) => {
                let f = self.flavor;
                // The conversion sits behind a CASE: engines may evaluate the operands of AND
                // in any order, and converting a JSON string to a number is an error.
                let (json_kind, read) = match kind {
                    Kind::String => (JsonKind::String, f.json_text(Expr::clone(v))),
                    Kind::Number => (JsonKind::Number, f.json_number(Expr::clone(v))),
                    Kind::Bool => (JsonKind::Bool, f.json_bool(Expr::clone(v))),
                    Kind::Timestamp => return Err(timestamp_refusal()),
                };
                Typed {
                    guard: None,
                    value: case_when(f.json_is(Expr::clone(v), json_kind), read, None),
                }
            }
            Subject::Columns(columns) => {
                let column = match kind {
                    Kind::String => &columns.string,
                    Kind::Number => &columns.number,
                    Kind::Bool => &columns.boolean,
                    // Only a string is read as a date; a value that is never a string never
                    // compares with a timestamp.
                    Kind::Timestamp if columns.string.is_some() => return Err(timestamp_refusal()),
                    Kind::Timestamp => &None,
                };
                let Some(value) = column else {
                    return Ok(None);
                };
                Typed {
                    guard: None,
                    value: value.clone(),
                }
            }
        }))
    }

    /// `value op literal` within the literal's kind.
    fn compare(
        &self,
        subject: &Subject<'_>,
        op: CmpOp,
        literal: &Literal,
    ) -> Result<Expr, Refusal> {
        let typed = self.typed(subject, kind_of(literal))?;
        Ok(Typed::test(typed, |value| {
            self.comparison(value, op, literal)
        }))
    }

    /// `value op literal` for a value already read in the literal's kind.
    fn comparison(&self, value: Expr, op: CmpOp, literal: &Literal) -> Expr {
        let ordering = !matches!(op, CmpOp::Eq | CmpOp::Ne);
        let value = if ordering && kind_of(literal) == Kind::String {
            self.flavor.bytewise(value)
        } else {
            value
        };
        binary(value, cmp_operator(op), self.literal(literal))
    }

    /// Equality with any of `literals`, grouped by kind (one `IN` list per kind).
    pub(crate) fn equals_any(
        &self,
        subject: &Subject<'_>,
        literals: &[Literal],
    ) -> Result<Expr, Refusal> {
        let mut tests = Vec::new();
        for kind in [Kind::String, Kind::Number, Kind::Bool, Kind::Timestamp] {
            let of_kind: Vec<Expr> = literals
                .iter()
                .filter(|l| kind_of(l) == kind)
                .map(|l| self.literal(l))
                .collect();
            if of_kind.is_empty() {
                continue;
            }
            let typed = self.typed(subject, kind)?;
            tests.push(Typed::test(typed, |value| in_list(value, of_kind)));
        }
        Ok(or(tests))
    }

    /// A test on a present scalar value (a list fails it: lists are
    /// tested through their elements, see [`Self::element_literals`]).
    pub(crate) fn scalar_test(
        &self,
        subject: &Subject<'_>,
        test: &ValueTest,
    ) -> Result<Expr, Refusal> {
        match test {
            ValueTest::Exists => Ok(boolean(true)),
            ValueTest::IsNull => Ok(boolean(false)),
            ValueTest::Compare { op, value } => self.compare(subject, *op, value),
            ValueTest::Between { low, high } => {
                if kind_of(low) != kind_of(high) {
                    // The value is of one kind, so it can never compare with both ends.
                    return Ok(boolean(false));
                }
                let typed = self.typed(subject, kind_of(low))?;
                Ok(Typed::test(typed, |value| {
                    and(vec![
                        self.comparison(value.clone(), CmpOp::Ge, low),
                        self.comparison(value, CmpOp::Le, high),
                    ])
                }))
            }
            ValueTest::In { values } => self.equals_any(subject, values),
            ValueTest::Contains { value } => self.substring_test(subject, value, false),
            ValueTest::StartsWith { value } => self.substring_test(subject, value, true),
            // No JSON value is a geo point (the checker rejects `within` in a filter and on a
            // value condition).
            ValueTest::Within { .. } if !matches!(subject, Subject::TraitRow) => Ok(boolean(false)),
            other => Err(format!("the test `{other}` is not supported in SQL yet")),
        }
    }

    /// `contains` / `starts_with` on a string. An empty needle holds for every string, which
    /// is decided here so that no dialect's edge case for empty strings matters.
    fn substring_test(
        &self,
        subject: &Subject<'_>,
        literal: &Literal,
        prefix: bool,
    ) -> Result<Expr, Refusal> {
        let Literal::String(needle) = literal else {
            return Ok(boolean(false));
        };
        let typed = self.typed(subject, Kind::String)?;
        let needle_expr = self.flavor.string(needle);
        Ok(Typed::test(typed, |value| {
            if needle.is_empty() {
                Expr::IsNotNull(Box::new(value))
            } else if prefix {
                self.flavor.starts_with(value, needle_expr)
            } else {
                self.flavor.contains(value, needle_expr)
            }
        }))
    }

    /// The literals a list element must equal for `test` to hold on a list (`in`, `contains`),
    /// or `None` when no list passes `test` (other than through `exists`).
    pub(crate) fn element_literals(test: &ValueTest) -> Option<&[Literal]> {
        match test {
            ValueTest::In { values } => Some(values),
            ValueTest::Contains { value } => Some(std::slice::from_ref(value)),
            _ => None,
        }
    }

    /// A test on a JSON property value: scalars by kind, arrays through their elements, and a
    /// missing value (or JSON `null`) holding only `is null`. Never `NULL`.
    pub(crate) fn json_test(&self, v: Expr, test: &ValueTest) -> Result<Expr, Refusal> {
        let f = self.flavor;
        match test {
            ValueTest::Exists => return Ok(known(f.json_present(v))),
            ValueTest::IsNull => return Ok(crate::build::not(known(f.json_present(v)))),
            _ => {}
        }
        let subject = Subject::Json(&v);
        let scalar = self.scalar_test(&subject, test)?;
        let Some(literals) = Self::element_literals(test) else {
            return Ok(known(scalar));
        };
        if literals
            .iter()
            .any(|l| matches!(l, Literal::Timestamp { .. }))
        {
            return Err(timestamp_refusal());
        }
        const ELEMENT: &str = "el";
        let element = Expr::Identifier(crate::build::ident(ELEMENT));
        let element_test = known(self.equals_any(&Subject::Json(&element), literals)?);
        let array = and(vec![
            f.json_is(v.clone(), JsonKind::Array),
            f.json_any_element(v, ELEMENT, element_test),
        ]);
        Ok(or(vec![known(scalar), known(array)]))
    }
}

fn timestamp_refusal() -> Refusal {
    "an event property compared with a timestamp literal is read as a date by Tessera's own \
     parser, which SQL cannot reproduce exactly; compare with a string or a number instead"
        .to_string()
}
