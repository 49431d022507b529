//! Batches through `Index::evaluate_all`, which computes once what several conditions share
//! (event counts, comparisons of a numeric trait): each member set against the interpreter,
//! under every build and tuning, on the strategies of the parent module.

use super::*;

/// A batch of conditions that count the same events, as an overlap matrix has them (`count(E)
/// >= 1` … `>= 10`, `did(E)`, `did(E where category = C)` for several `C`), alone or under
/// `and`, `or` and `not` (which give them scopes).
fn shared_count_batch() -> impl Strategy<Value = Vec<Expr>> {
    // Up to four queries of one event name and window, differing in their filters.
    let queries = (
        query(),
        prop::collection::vec(prop::option::of(filter()), 0..4),
    )
        .prop_map(|(first, filters)| {
            let mut queries = vec![first.clone()];
            queries.extend(filters.into_iter().map(|filter| EventQuery {
                filter,
                ..first.clone()
            }));
            queries
        });
    let item = (num_cmp(), 0..5u8, leaf(), any::<prop::sample::Index>());
    (queries, prop::collection::vec(item, 2..7)).prop_map(|(queries, items)| {
        items
            .into_iter()
            .map(|(cmp, shape, other, pick)| {
                let query = pick.get(&queries).clone();
                let count = Expr::Count(CountCond {
                    query: query.clone(),
                    cmp,
                });
                match shape {
                    0 => count,
                    1 => Expr::Did(query),
                    2 => Expr::And(vec![other, count]),
                    3 => Expr::Or(vec![other, count]),
                    _ => Expr::Not(Box::new(count)),
                }
            })
            .collect()
    })
}

/// A dataset whose `age` traits are all numbers, some of them NaN, infinite or `-0`, and
/// never overwritten: the trait has a number column only.
fn numeric_ages() -> impl Strategy<Value = Vec<(ProfileData, bool)>> {
    let odd = prop::sample::select(vec![
        f64::NAN,
        f64::INFINITY,
        f64::NEG_INFINITY,
        -0.0,
        0.5,
        31.0,
        1e300,
    ]);
    (dataset(), prop::collection::vec(odd, 40)).prop_map(|(data, odd)| {
        data.into_iter()
            .zip(odd)
            .map(|((mut profile, _), odd)| {
                if let Some(age) = profile.traits.get_mut("age") {
                    if !matches!(age, TraitValue::Number(_)) {
                        *age = TraitValue::Number(odd);
                    }
                }
                (profile, false)
            })
            .collect()
    })
}

/// Two to seven conditions each holding a test of `age`, alone or beside another condition.
fn shared_trait_batch() -> impl Strategy<Value = Vec<Expr>> {
    let item = (cond(Just("age")), 0..4u8, leaf());
    prop::collection::vec(item, 2..8).prop_map(|items| {
        items
            .into_iter()
            .map(|(cond, shape, other)| {
                let test = Expr::Trait(cond);
                match shape {
                    0 => test,
                    1 => Expr::And(vec![other, test]),
                    2 => Expr::Or(vec![other, test]),
                    _ => Expr::Not(Box::new(test)),
                }
            })
            .collect()
    })
}

/// `evaluate_all` on `exprs` under every build option and tuning, each set against the
/// interpreter.
fn check_batch(
    data: &[(ProfileData, bool)],
    exprs: &[Expr],
    at: Millis,
    seed: u64,
) -> Result<(), TestCaseError> {
    let batch: Vec<&Expr> = exprs.iter().collect();
    let expected: Vec<Vec<u32>> = exprs
        .iter()
        .map(|expr| interpreted_members(data, expr, at))
        .collect();
    for postings in [Choice::Auto, Choice::Always, Choice::Never] {
        let mut index = build(data, BuildOptions { postings }, seed);
        for tuning in TUNINGS {
            index.set_tuning(tuning);
            let sets = index.evaluate_all(&batch, at).unwrap();
            prop_assert_eq!(sets.len(), exprs.len());
            for ((expr, set), expected) in exprs.iter().zip(sets).zip(&expected) {
                let got: Vec<u32> = set.iter().collect();
                prop_assert_eq!(
                    &got,
                    expected,
                    "{:?}, build {:?}, tuning {:?}",
                    expr,
                    postings,
                    tuning
                );
            }
        }
    }
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 512, ..ProptestConfig::default() })]

    /// Batches through `evaluate_all`, which counts events once for the conditions that
    /// share them: each member set equals the interpreter's, under every build and tuning.
    #[test]
    fn batches_sharing_counts_agree(
        data in dataset(),
        exprs in shared_count_batch(),
        at in at(),
        seed in any::<u64>(),
    ) {
        check_batch(&data, &exprs, at, seed)?;
    }

    /// Batches comparing a numeric trait several times, which `evaluate_all` answers from one
    /// pass over the column (values NaN and infinite included).
    #[test]
    fn batches_sharing_trait_tests_agree(
        data in numeric_ages(),
        exprs in shared_trait_batch(),
        at in at(),
        seed in any::<u64>(),
    ) {
        check_batch(&data, &exprs, at, seed)?;
    }
}
