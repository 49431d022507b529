//! Tests of the interpreter's explanations; its verdicts are tested in `semantics_tests.rs`.

use std::collections::BTreeMap;

use serde_json::json;
use tessera_lang::{
    AggFunc, AggregateCond, AgoRelation, CmpOp, CountCond, Duration, DurationUnit, EventQuery,
    Expr, Literal, NumCmp, Recency, RecencyCond, Span, TraitCond, ValueTest,
};
use tessera_model::{parse_timestamp, Millis, TraitValue, DAY_MS, HOUR_MS};

use super::{eval, explain, human_duration};
use crate::{EventData, ProfileData};

fn at() -> Millis {
    parse_timestamp("2026-10-21T00:00:00Z").unwrap()
}

fn order(ts: Millis, revenue: f64) -> EventData {
    EventData::new(
        "Order Completed",
        ts,
        json!({ "revenue": revenue }).as_object().unwrap().clone(),
    )
}

fn ana() -> ProfileData {
    let at = at();
    ProfileData {
        traits: BTreeMap::from([("age".to_string(), TraitValue::Number(31.0))]),
        events: vec![
            order(at - 51 * DAY_MS - 3 * HOUR_MS, 500.0),
            order(at - 60 * DAY_MS, 12.5),
            order(at + DAY_MS, 99.0),
        ],
    }
}

fn query() -> EventQuery {
    EventQuery {
        event: "Order Completed".into(),
        filter: None,
        window: None,
        span: Span::default(),
    }
}

#[test]
fn explains_each_kind_of_condition_with_the_value_found() {
    let at = at();
    let age = Expr::Trait(TraitCond {
        name: "age".into(),
        test: ValueTest::Between {
            low: Literal::Number(25.0),
            high: Literal::Number(35.0),
        },
        span: Span::default(),
    });
    let orders = Expr::Count(CountCond {
        query: query(),
        cmp: NumCmp::Compare {
            op: CmpOp::Ge,
            value: 3.0,
        },
    });
    let spend = Expr::Aggregate(AggregateCond {
        func: AggFunc::Sum,
        query: query(),
        property: "revenue".into(),
        cmp: NumCmp::Compare {
            op: CmpOp::Gt,
            value: 500.0,
        },
    });
    let lapsed = Expr::Recency(RecencyCond {
        which: Recency::Last,
        query: query(),
        relation: AgoRelation::MoreThan,
        ago: Duration {
            amount: 30,
            unit: DurationUnit::Days,
        },
    });
    let city = Expr::Trait(TraitCond {
        name: "city".into(),
        test: ValueTest::Exists,
        span: Span::default(),
    });
    let segment = Expr::And(vec![
        age,
        Expr::Or(vec![orders, spend]),
        Expr::Not(Box::new(Expr::And(vec![lapsed, city]))),
    ]);
    let why = explain(&segment, &ana(), at);
    assert_eq!(why.held, eval(&segment, &ana(), at));
    assert_eq!(
        why.to_string(),
        "✓ age between 25 and 35 and (count(Order Completed) >= 3 or \
         sum(Order Completed.revenue) > 500) and not (last(Order Completed) more than 30d ago \
         and city exists) — 3 of 3 hold\n\
         \x20 ✓ age between 25 and 35 — age = 31\n\
         \x20 ✓ count(Order Completed) >= 3 or sum(Order Completed.revenue) > 500 — 1 of 2 hold\n\
         \x20   ✗ count(Order Completed) >= 3 — count = 2 (events at 2026-08-22T00:00:00Z, \
         2026-08-30T21:00:00Z)\n\
         \x20   ✓ sum(Order Completed.revenue) > 500 — sum = 512.5 (over 2 events)\n\
         \x20 ✓ not (last(Order Completed) more than 30d ago and city exists) — operand does not hold\n\
         \x20   ✗ last(Order Completed) more than 30d ago and city exists — 1 of 2 hold\n\
         \x20     ✓ last(Order Completed) more than 30d ago — last at 2026-08-30T21:00:00Z (51d 3h before)\n\
         \x20     ✗ city exists — no value\n"
    );
}

#[test]
fn explains_missing_values() {
    let avg = Expr::Aggregate(AggregateCond {
        func: AggFunc::Avg,
        query: query(),
        property: "revenue".into(),
        cmp: NumCmp::Compare {
            op: CmpOp::Gt,
            value: 0.0,
        },
    });
    let why = explain(&avg, &ProfileData::default(), at());
    assert!(!why.held);
    assert_eq!(why.found, "no value");
    let did = explain(&Expr::Did(query()), &ProfileData::default(), at());
    assert_eq!((did.held, did.found.as_str()), (false, "count = 0"));
    let missing = explain(&Expr::Missing(Span::default()), &ana(), at());
    assert!(!missing.held);
}

#[test]
fn durations_read_in_their_two_largest_units() {
    assert_eq!(human_duration(51 * DAY_MS + 3 * HOUR_MS + 5), "51d 3h");
    assert_eq!(human_duration(2 * DAY_MS), "2d");
    assert_eq!(human_duration(90_000), "1m 30s");
    assert_eq!(human_duration(999), "999ms");
}
