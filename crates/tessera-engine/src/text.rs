//! A local printer for condition text, used by explanations.
//!
//! `tessera-lang` is getting a canonical `Display` for its tree; until it lands, explanations
//! print conditions with this small printer. Everything goes through [`condition`], so switching
//! to `expr.to_string()` is a one-line change.

use std::fmt::Write;

use tessera_lang::{
    AgoRelation, EventQuery, Expr, Literal, NumCmp, PropFilter, Recency, TraitCond, ValueTest,
    Window,
};
use tessera_model::format_millis;

/// The text of a condition, as close to the segment language's canonical form as we know it.
pub fn condition(expr: &Expr) -> String {
    let mut out = String::new();
    write_expr(&mut out, expr);
    out
}

fn write_expr(out: &mut String, expr: &Expr) {
    match expr {
        Expr::And(items) => write_joined(out, items, " and "),
        Expr::Or(items) => write_joined(out, items, " or "),
        Expr::Not(inner) => {
            out.push_str("not ");
            write_operand(out, inner);
        }
        Expr::Trait(cond) => write_test(out, cond),
        Expr::Did(query) => {
            out.push_str("did(");
            write_query(out, query);
            out.push(')');
        }
        Expr::Count(cond) => {
            out.push_str("count(");
            write_query(out, &cond.query);
            out.push_str(") ");
            write_num_cmp(out, &cond.cmp);
        }
        Expr::Aggregate(cond) => {
            let _ = write!(
                out,
                "{}({}.{}",
                cond.func.as_str(),
                cond.query.event,
                cond.property
            );
            write_query_tail(out, &cond.query);
            out.push_str(") ");
            write_num_cmp(out, &cond.cmp);
        }
        Expr::Recency(cond) => {
            out.push_str(match cond.which {
                Recency::First => "first(",
                Recency::Last => "last(",
            });
            write_query(out, &cond.query);
            let relation = match cond.relation {
                AgoRelation::MoreThan => "more",
                AgoRelation::LessThan => "less",
            };
            let _ = write!(out, ") {relation} than {} ago", cond.ago);
        }
        Expr::Missing(_) => out.push_str("<missing>"),
    }
}

fn write_joined(out: &mut String, items: &[Expr], separator: &str) {
    for (i, item) in items.iter().enumerate() {
        if i > 0 {
            out.push_str(separator);
        }
        write_operand(out, item);
    }
}

/// Compound operands are parenthesised so that the text never depends on precedence rules.
fn write_operand(out: &mut String, expr: &Expr) {
    if matches!(expr, Expr::And(_) | Expr::Or(_)) {
        out.push('(');
        write_expr(out, expr);
        out.push(')');
    } else {
        write_expr(out, expr);
    }
}

fn write_test(out: &mut String, cond: &TraitCond) {
    out.push_str(&cond.name);
    match &cond.test {
        ValueTest::Compare { op, value } => {
            let _ = write!(out, " {op} ");
            write_literal(out, value);
        }
        ValueTest::Between { low, high } => {
            out.push_str(" between ");
            write_literal(out, low);
            out.push_str(" and ");
            write_literal(out, high);
        }
        ValueTest::In { values } => {
            out.push_str(" in (");
            for (i, value) in values.iter().enumerate() {
                if i > 0 {
                    out.push_str(", ");
                }
                write_literal(out, value);
            }
            out.push(')');
        }
        ValueTest::Contains { value } => {
            out.push_str(" contains ");
            write_literal(out, value);
        }
        ValueTest::StartsWith { value } => {
            out.push_str(" starts with ");
            write_literal(out, value);
        }
        ValueTest::Exists => out.push_str(" exists"),
        ValueTest::IsNull => out.push_str(" is null"),
    }
}

pub(crate) fn write_literal(out: &mut String, literal: &Literal) {
    let _ = match literal {
        Literal::Bool(b) => write!(out, "{b}"),
        Literal::Number(n) => write!(out, "{n}"),
        Literal::String(s) => write!(out, "{s:?}"),
        Literal::Timestamp { timestamp } => write!(out, "{}", format_millis(*timestamp)),
    };
}

fn write_query(out: &mut String, query: &EventQuery) {
    out.push_str(&query.event);
    write_query_tail(out, query);
}

fn write_query_tail(out: &mut String, query: &EventQuery) {
    if let Some(filter) = &query.filter {
        out.push_str(" where ");
        write_filter(out, filter, false);
    }
    match &query.window {
        None => {}
        Some(Window::Last(d)) => {
            let _ = write!(out, " in last {d}");
        }
        Some(Window::Range { from, to }) => {
            let _ = write!(
                out,
                " from {} to {}",
                format_millis(*from),
                format_millis(*to)
            );
        }
    }
}

fn write_filter(out: &mut String, filter: &PropFilter, nested: bool) {
    let compound = matches!(filter, PropFilter::And(_) | PropFilter::Or(_));
    if nested && compound {
        out.push('(');
    }
    match filter {
        PropFilter::And(items) | PropFilter::Or(items) => {
            let separator = if matches!(filter, PropFilter::And(_)) {
                " and "
            } else {
                " or "
            };
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push_str(separator);
                }
                write_filter(out, item, true);
            }
        }
        PropFilter::Not(inner) => {
            out.push_str("not ");
            write_filter(out, inner, true);
        }
        PropFilter::Test(cond) => write_test(out, cond),
        PropFilter::Missing(_) => out.push_str("<missing>"),
    }
    if nested && compound {
        out.push(')');
    }
}

fn write_num_cmp(out: &mut String, cmp: &NumCmp) {
    let _ = match cmp {
        NumCmp::Compare { op, value } => write!(out, "{op} {value}"),
        NumCmp::Between { low, high } => write!(out, "between {low} and {high}"),
    };
}

#[cfg(test)]
mod tests {
    use super::*;
    use tessera_lang::{
        AggFunc, AggregateCond, CmpOp, CountCond, Duration, DurationUnit, RecencyCond, Span,
    };

    fn query(event: &str, filter: Option<PropFilter>, window: Option<Window>) -> EventQuery {
        EventQuery {
            event: event.into(),
            filter,
            window,
            span: Span::default(),
        }
    }

    fn test(name: &str, test: ValueTest) -> TraitCond {
        TraitCond {
            name: name.into(),
            test,
            span: Span::default(),
        }
    }

    #[test]
    fn prints_the_documented_examples() {
        let week = Some(Window::Last(Duration {
            amount: 7,
            unit: DurationUnit::Days,
        }));
        let viewed = Expr::Count(CountCond {
            query: query(
                "Product Viewed",
                Some(PropFilter::Test(test(
                    "product_id",
                    ValueTest::Compare {
                        op: CmpOp::Eq,
                        value: Literal::String("X".into()),
                    },
                ))),
                week,
            ),
            cmp: NumCmp::Compare {
                op: CmpOp::Ge,
                value: 3.0,
            },
        });
        assert_eq!(
            condition(&viewed),
            r#"count(Product Viewed where product_id = "X" in last 7d) >= 3"#
        );
        let spend = Expr::Aggregate(AggregateCond {
            func: AggFunc::Sum,
            query: query(
                "Order Completed",
                None,
                Some(Window::Last(Duration {
                    amount: 90,
                    unit: DurationUnit::Days,
                })),
            ),
            property: "revenue".into(),
            cmp: NumCmp::Compare {
                op: CmpOp::Gt,
                value: 500.0,
            },
        });
        assert_eq!(
            condition(&spend),
            "sum(Order Completed.revenue in last 90d) > 500"
        );
        let lapsed = Expr::Recency(RecencyCond {
            which: Recency::Last,
            query: query("Order Completed", None, None),
            relation: AgoRelation::MoreThan,
            ago: Duration {
                amount: 30,
                unit: DurationUnit::Days,
            },
        });
        assert_eq!(
            condition(&lapsed),
            "last(Order Completed) more than 30d ago"
        );
        let age = Expr::Trait(test(
            "age",
            ValueTest::Between {
                low: Literal::Number(25.0),
                high: Literal::Number(35.0),
            },
        ));
        let both = Expr::And(vec![
            age.clone(),
            Expr::Not(Box::new(Expr::Or(vec![age, lapsed]))),
        ]);
        assert_eq!(
            condition(&both),
            "age between 25 and 35 and not (age between 25 and 35 or \
             last(Order Completed) more than 30d ago)"
        );
    }
}
