//! The SQL itself, for reading and review: each case's segment compiled for every dialect,
//! compared with `tests/expected/<case>.sql`. Run with `UPDATE_EXPECT=1` to rewrite the files
//! after an intended change, and read the diff.

use std::path::Path;

use tessera_lang::{has_errors, parse};
use tessera_sql::{compile, Dialect};

const CASES: &[(&str, &str)] = &[
    (
        "traits",
        r#"age between 25 and 35 and city_tier in ("urban", "it's") and interests contains "yoga" and not vip = true"#,
    ),
    (
        "events",
        r#"count(Product Viewed where product_id = "X" and tags contains "sale" in last 7d) >= 3 and not did(Order Completed from 2026-09-01 to 2026-10-01)"#,
    ),
    (
        "aggregates_and_recency",
        "sum(Order Completed.revenue in last 90d) > 500 or avg(Order Completed.shipping.cost) < 5 and last(Login) more than 30d ago",
    ),
    (
        "geo",
        "home within 5 mi of point(41.8781, -87.6298) and not home within 800 m of point(40.7128, -74.006)",
    ),
    (
        "sequences",
        "did(Added to Cart where value > 10 in last 7d then Checkout Started within 1h) or did(Added to Cart in last 7d not followed by Order Completed within 24h with same product_id, cart.id)",
    ),
    (
        "values",
        r#"last(Order Completed.coupon in last 30d) = "SPRING" and not most_frequent(Product Viewed.category where price > 10) in ("shoes", "bags") or unique_count(Product Viewed.product_id) >= 5 and distinct(Page Viewed.context.campaign.source) contains "google""#,
    ),
];

fn check(name: &str, text: &str) {
    let parsed = parse(text);
    assert!(!has_errors(&parsed.diagnostics), "{text}");
    let at = tessera_model::parse_timestamp("2026-10-01T00:00:00Z").expect("a date");
    let mut actual = format!("-- {text}\n-- as of 2026-10-01T00:00:00Z\n");
    for dialect in Dialect::ALL {
        let query = compile(&parsed.expr, at, dialect).expect("compiles");
        actual.push_str(&format!("\n-- {dialect}\n{query:#};\n"));
    }
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join(format!("tests/expected/{name}.sql"));
    if std::env::var_os("UPDATE_EXPECT").is_some() {
        std::fs::write(&path, &actual).expect("writing the expectation");
        return;
    }
    let expected = std::fs::read_to_string(&path).unwrap_or_default();
    assert!(
        expected == actual,
        "{} differs (UPDATE_EXPECT=1 rewrites it):\n{actual}",
        path.display()
    );
}

#[test]
fn compiled_sql_matches_the_expected_files() {
    for (name, text) in CASES {
        check(name, text);
    }
}
