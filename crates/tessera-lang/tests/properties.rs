//! Property tests: printing and parsing round-trip on random trees, JSON round-trips, and the
//! parser survives (without panicking, and keeping its contract) any text at all.

use proptest::prelude::*;
use proptest::sample::select;
use tessera_lang::*;

/// Names chosen to stress quoting: keywords, capitalised keywords, dots, spaces, symbols,
/// escapes, unicode, digits first, the empty name.
const NAMES: &[&str] = &[
    "age",
    "city_tier",
    "address.city",
    "my trait",
    "count",
    "and",
    "in",
    "Not",
    "AND",
    "x-y",
    "_a1",
    "é",
    "a..b",
    "",
    "1abc",
    "with \"quote\"",
    "back\\slash",
    "tab\tname",
    "a.count",
    "last",
    "where",
    "a.b c",
    "line\nbreak",
    "ü.b",
];

const EVENTS: &[&str] = &[
    "Order Completed",
    "Product Viewed",
    "Sign in",
    "Page.Viewed",
    "login",
    "Sign-up v2",
    "Café Visited",
    "",
    " leading",
    "trailing ",
    "two  spaces",
    "where",
    "in last",
    "\"q\"",
    "7d",
    "x(1)",
    "AND Then",
    "a-",
    "_",
    "first",
];

fn name() -> impl Strategy<Value = String> {
    select(NAMES).prop_map(String::from)
}

fn event_name() -> impl Strategy<Value = String> {
    select(EVENTS).prop_map(String::from)
}

fn number() -> impl Strategy<Value = f64> {
    prop_oneof![
        any::<f64>().prop_filter("finite", |f| f.is_finite()),
        (-1000i64..1000).prop_map(|i| i as f64),
        select(vec![
            0.0,
            -0.0,
            0.1,
            1e21,
            1e-7,
            5e-324,
            f64::MAX,
            f64::MIN,
            2.5
        ]),
    ]
}

/// Instants from year 0001 to 9999, the range RFC 3339 can write.
fn millis() -> impl Strategy<Value = i64> {
    prop_oneof![
        -62_135_596_800_000i64..253_402_300_799_999,
        (-1000i64..100_000).prop_map(|d| d * 86_400_000),
    ]
}

fn literal() -> impl Strategy<Value = Literal> {
    prop_oneof![
        any::<bool>().prop_map(Literal::Bool),
        number().prop_map(Literal::Number),
        any::<String>().prop_map(Literal::String),
        "[\"\\\\a-z \\n\\t\\r\u{0}\u{7f}é😀]{0,8}".prop_map(Literal::String),
        millis().prop_map(|timestamp| Literal::Timestamp { timestamp }),
    ]
}

fn cmp_op() -> impl Strategy<Value = CmpOp> {
    select(vec![
        CmpOp::Eq,
        CmpOp::Ne,
        CmpOp::Lt,
        CmpOp::Le,
        CmpOp::Gt,
        CmpOp::Ge,
    ])
}

fn value_test() -> BoxedStrategy<ValueTest> {
    prop_oneof![
        (cmp_op(), literal()).prop_map(|(op, value)| ValueTest::Compare { op, value }),
        (literal(), literal()).prop_map(|(low, high)| ValueTest::Between { low, high }),
        prop::collection::vec(literal(), 1..4).prop_map(|values| ValueTest::In { values }),
        literal().prop_map(|value| ValueTest::Contains { value }),
        literal().prop_map(|value| ValueTest::StartsWith { value }),
        Just(ValueTest::Exists),
        Just(ValueTest::IsNull),
    ]
    .boxed()
}

fn trait_cond() -> impl Strategy<Value = TraitCond> {
    (name(), value_test()).prop_map(|(name, test)| TraitCond {
        name,
        test,
        span: Span::default(),
    })
}

fn duration() -> impl Strategy<Value = Duration> {
    let unit = select(vec![
        DurationUnit::Seconds,
        DurationUnit::Minutes,
        DurationUnit::Hours,
        DurationUnit::Days,
        DurationUnit::Weeks,
    ]);
    (prop_oneof![0u64..1000, any::<u64>()], unit)
        .prop_map(|(amount, unit)| Duration { amount, unit })
}

fn window() -> impl Strategy<Value = Window> {
    prop_oneof![
        duration().prop_map(Window::Last),
        (millis(), millis()).prop_map(|(from, to)| Window::Range { from, to }),
    ]
}

// Strategies used in several places are boxed: debug builds of deeply nested unions
// overflow the test thread's stack while generating.
fn prop_filter() -> BoxedStrategy<PropFilter> {
    trait_cond()
        .prop_map(PropFilter::Test)
        .prop_recursive(3, 12, 3, |inner| {
            prop_oneof![
                prop::collection::vec(inner.clone(), 2..4).prop_map(PropFilter::And),
                prop::collection::vec(inner.clone(), 2..4).prop_map(PropFilter::Or),
                inner.prop_map(|f| PropFilter::Not(Box::new(f))),
            ]
        })
        .boxed()
}

fn event_query() -> BoxedStrategy<EventQuery> {
    (
        event_name(),
        prop::option::of(prop_filter()),
        prop::option::of(window()),
    )
        .prop_map(|(event, filter, window)| EventQuery {
            event,
            filter,
            window,
            span: Span::default(),
        })
        .boxed()
}

fn num_cmp() -> impl Strategy<Value = NumCmp> {
    prop_oneof![
        (cmp_op(), number()).prop_map(|(op, value)| NumCmp::Compare { op, value }),
        (number(), number()).prop_map(|(low, high)| NumCmp::Between { low, high }),
    ]
}

fn leaf() -> impl Strategy<Value = Expr> {
    let func = select(vec![AggFunc::Sum, AggFunc::Avg, AggFunc::Min, AggFunc::Max]);
    let which = select(vec![Recency::First, Recency::Last]);
    let relation = select(vec![AgoRelation::MoreThan, AgoRelation::LessThan]);
    prop_oneof![
        trait_cond().prop_map(Expr::Trait),
        event_query().prop_map(Expr::Did),
        (event_query(), num_cmp()).prop_map(|(query, cmp)| Expr::Count(CountCond { query, cmp })),
        (func, event_query(), name(), num_cmp()).prop_map(|(func, query, property, cmp)| {
            Expr::Aggregate(AggregateCond {
                func,
                query,
                property,
                cmp,
            })
        }),
        (which, event_query(), relation, duration()).prop_map(|(which, query, relation, ago)| {
            Expr::Recency(RecencyCond {
                which,
                query,
                relation,
                ago,
            })
        }),
        (
            select(ValueFunc::ALL.to_vec()),
            event_query(),
            name(),
            value_test()
        )
            .prop_map(|(func, query, property, test)| Expr::Value(ValueCond {
                func,
                query,
                property,
                test,
            }))
            // Boxed: debug builds of deeply nested unions overflow the test thread's stack.
            .boxed(),
        (
            event_query(),
            any::<bool>(),
            event_query(),
            duration(),
            prop::collection::vec(name(), 0..3)
        )
            .prop_map(|(first, followed, second, within, same)| {
                Expr::Sequence(SequenceCond {
                    first,
                    followed,
                    second,
                    within,
                    same,
                })
            }),
        (name(), 0.0..500.0f64, -90.0..90.0f64, -180.0..180.0f64).prop_map(
            |(name, amount, lat, lon)| Expr::Trait(TraitCond {
                name,
                test: ValueTest::Within {
                    distance: GeoDistance {
                        amount,
                        unit: DistanceUnit::Kilometres
                    },
                    of: GeoTarget::Point { lat, lon },
                },
                span: Span::default(),
            })
        ),
        "[a-z]{1,8}".prop_map(|name| Expr::InSegment(SegmentRef {
            name,
            span: Span::default()
        })),
    ]
}

fn expr() -> impl Strategy<Value = Expr> {
    leaf().prop_recursive(4, 24, 4, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 2..4).prop_map(Expr::And),
            prop::collection::vec(inner.clone(), 2..4).prop_map(Expr::Or),
            inner.prop_map(|e| Expr::Not(Box::new(e))),
        ]
    })
}

/// Pieces of the language (and of its mistakes) to build and damage texts from.
const PIECES: &[&str] = &[
    "did",
    "not",
    "count",
    "sum",
    "last",
    "first",
    "(",
    ")",
    "and",
    "or",
    "where",
    "in",
    "last",
    "from",
    "to",
    "between",
    "is",
    "null",
    "exists",
    "contains",
    "more",
    "than",
    "ago",
    "=",
    ">=",
    "!",
    "&&",
    "\"",
    "\"x\"",
    "\\",
    "'",
    "7d",
    "7x",
    "-3",
    "1e999",
    "2026-01-01",
    "2026-13-01",
    "#",
    "\n",
    "é",
    ".",
    ",",
    "age",
    "Order Completed",
    "\u{0}",
    "\u{1F600}",
    "9999999999999999999999d",
];

/// Valid text broken by deleting a range, inserting a piece, or cutting it short.
fn mutated() -> impl Strategy<Value = String> {
    (
        expr(),
        any::<prop::sample::Index>(),
        0usize..6,
        select(PIECES),
        0u8..3,
    )
        .prop_map(|(e, at, len, piece, how)| {
            let text = e.to_string();
            let chars: Vec<char> = text.chars().collect();
            let i = at.index(chars.len() + 1);
            let (head, tail) = chars.split_at(i);
            let head: String = head.iter().collect();
            match how {
                0 => head + &tail.iter().skip(len).collect::<String>(),
                1 => head + piece + &tail.iter().collect::<String>(),
                _ => head,
            }
        })
}

fn jumbled() -> impl Strategy<Value = String> {
    prop::collection::vec((select(PIECES), select(vec!["", " "])), 0..20).prop_map(|parts| {
        parts
            .into_iter()
            .map(|(p, sep)| format!("{p}{sep}"))
            .collect()
    })
}

/// What must hold for any input: no panic anywhere, a tree with `Missing` comes with an error,
/// and a tree without errors prints to text that parses back to it.
fn check_contract(text: &str) -> Result<(), TestCaseError> {
    let parsed = parse(text);
    let rendered = render(&parsed.diagnostics, "t", text);
    prop_assert_eq!(rendered.is_empty(), parsed.diagnostics.is_empty());
    for d in &parsed.diagnostics {
        let _ = d.to_line("t", text);
        prop_assert!(
            d.span.start <= d.span.end && d.span.end <= text.len(),
            "span {:?} in {:?}",
            d.span,
            text
        );
    }
    let printed = parsed.expr.to_string();
    if parsed.expr.has_missing() {
        prop_assert!(parsed.has_errors(), "missing without error: {:?}", text);
    }
    if !parsed.has_errors() {
        let again = parse(&printed);
        prop_assert!(
            !again.has_errors(),
            "{:?} printed as {:?}: {:?}",
            text,
            printed,
            again.diagnostics
        );
        prop_assert_eq!(&again.expr, &parsed.expr);
    }
    let catalog = Catalog::default()
        .with_trait("age", TraitType::Number)
        .with_event("Order Completed", &["x"]);
    let _ = check(&parsed.expr, &catalog);
    Ok(())
}

/// 512 cases by default; `PROPTEST_CASES=20000` for a longer hunt.
fn config() -> ProptestConfig {
    let cases = std::env::var("PROPTEST_CASES")
        .ok()
        .and_then(|c| c.parse().ok())
        .unwrap_or(512);
    ProptestConfig::with_cases(cases)
}

proptest! {
    #![proptest_config(config())]

    #[test]
    fn printed_trees_parse_back_equal(e in expr()) {
        let text = e.to_string();
        let parsed = parse(&text);
        prop_assert!(
            parsed.diagnostics.iter().all(|d| d.severity == Severity::Warning),
            "{}\n{}", text, render(&parsed.diagnostics, "printed", &text)
        );
        prop_assert_eq!(&parsed.expr, &e, "{}", text);
        // Printing is a fixed point: the reparsed tree prints to the same text.
        prop_assert_eq!(parsed.expr.to_string(), text);
    }

    #[test]
    fn json_round_trips(e in expr()) {
        let json = serde_json::to_string(&e).map_err(|err| TestCaseError::fail(err.to_string()))?;
        let back = parse_json(&json).map_err(|err| TestCaseError::fail(format!("{err}: {json}")))?;
        prop_assert_eq!(back, e);
    }

    #[test]
    fn parse_survives_any_string(text in any::<String>()) {
        check_contract(&text)?;
    }

    #[test]
    fn parse_survives_jumbled_pieces(text in jumbled()) {
        check_contract(&text)?;
    }

    #[test]
    fn parse_survives_damaged_segments(text in mutated()) {
        check_contract(&text)?;
    }
}
