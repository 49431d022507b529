//! Data-driven language tests: every `tests/cases/NAME.seg` beside its `NAME.expected`.
//!
//! The expectation holds the canonical print of the parsed tree and the rendered diagnostics;
//! a first line `# options: check json` adds the checker's diagnostics (against the catalog
//! below) and the JSON form. Run with `UPDATE_EXPECT=1` to rewrite the expectations, then
//! read the diff: the point of these files is that a person has read every message.

use std::fs;
use std::path::Path;

use tessera_lang::{check, parse, parse_json, render, Catalog, TraitType};

fn catalog() -> Catalog {
    Catalog::default()
        .with_trait("age", TraitType::Number)
        .with_trait("income", TraitType::Number)
        .with_trait("city_tier", TraitType::String)
        .with_trait("email", TraitType::String)
        .with_trait("interests", TraitType::StringList)
        .with_trait("tags", TraitType::StringList)
        .with_trait("home", TraitType::Geo)
        .with_trait("is_member", TraitType::Bool)
        .with_trait("signed_up_at", TraitType::Timestamp)
        .with_event("Product Viewed", &["product_id", "price", "category"])
        .with_event("Order Completed", &["revenue", "category", "shipping"])
        .with_event("Email Opened", &["campaign"])
        .with_place("downtown", &["store", "urban"])
        .with_place("mall", &["store", "suburban"])
        .with_segment("vip")
}

fn run_case(name: &str, text: &str) -> String {
    let options = text
        .lines()
        .next()
        .and_then(|l| l.strip_prefix("# options:"))
        .unwrap_or("");
    let parsed = parse(text);
    let mut out = format!("== canonical\n{}\n== diagnostics\n", parsed.expr);
    out.push_str(&or_none(render(&parsed.diagnostics, name, text)));

    if !parsed.has_errors() {
        // The canonical text must read back as the same tree, with no new complaints.
        let printed = parsed.expr.to_string();
        let again = parse(&printed);
        assert!(
            !again.has_errors(),
            "{name}: canonical text has errors: {:?}",
            again.diagnostics
        );
        assert_eq!(
            again.expr, parsed.expr,
            "{name}: canonical text parses differently"
        );
        assert_eq!(
            again.diagnostics.len(),
            parsed.diagnostics.len(),
            "{name}: warnings changed"
        );
    }
    if options.contains("check") {
        out.push_str("== check\n");
        out.push_str(&or_none(render(
            &check(&parsed.expr, &catalog()),
            name,
            text,
        )));
    }
    if options.contains("json") {
        let json = serde_json::to_string_pretty(&parsed.expr).unwrap_or_default();
        assert_eq!(
            parse_json(&json).ok().as_ref(),
            Some(&parsed.expr),
            "{name}: JSON round trip"
        );
        out.push_str(&format!("== json\n{json}\n"));
    }
    out
}

fn or_none(rendered: String) -> String {
    if rendered.is_empty() {
        "(none)\n".into()
    } else {
        rendered
    }
}

#[test]
fn cases() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/cases");
    let update = std::env::var_os("UPDATE_EXPECT").is_some();
    let mut paths: Vec<_> = fs::read_dir(&dir)
        .expect("tests/cases exists")
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|e| e == "seg"))
        .collect();
    paths.sort();
    assert!(
        paths.len() > 20,
        "expected the case files in {}",
        dir.display()
    );

    let mut failures = Vec::new();
    for path in &paths {
        let name = path.file_name().and_then(|n| n.to_str()).unwrap_or("?");
        let text = fs::read_to_string(path).expect("case is readable");
        let actual = run_case(name, &text);
        let expected_path = path.with_extension("expected");
        let expected = fs::read_to_string(&expected_path).unwrap_or_default();
        if actual == expected {
            continue;
        }
        if update {
            fs::write(&expected_path, &actual).expect("expectation is writable");
        } else {
            failures.push(format!(
                "--- {name}: expected\n{expected}\n--- {name}: actual\n{actual}"
            ));
        }
    }
    assert!(
        failures.is_empty(),
        "{} case(s) differ (UPDATE_EXPECT=1 rewrites them):\n{}",
        failures.len(),
        failures.join("\n")
    );
}
