//! The language reference must not lie: every ```segment block in docs/language.md and in the
//! README parses with no diagnostic, and its canonical text parses back to the same tree.

use std::path::Path;

use tessera_lang::{parse, render};

/// The contents of the fenced blocks whose info string is exactly `segment`.
fn segment_blocks(markdown: &str) -> Vec<(usize, String)> {
    let mut blocks = Vec::new();
    let mut current: Option<(usize, String)> = None;
    for (i, line) in markdown.lines().enumerate() {
        let fence = line.trim_start().strip_prefix("```");
        match (&mut current, fence) {
            (None, Some(info)) if info.trim() == "segment" => {
                current = Some((i + 2, String::new()))
            }
            (Some(_), Some(_)) => blocks.extend(current.take()),
            (Some((_, text)), None) => {
                text.push_str(line);
                text.push('\n');
            }
            _ => {}
        }
    }
    blocks
}

#[test]
fn every_segment_example_in_the_reference_parses_cleanly() {
    check_examples("docs/language.md", 20);
}

#[test]
fn every_segment_example_in_the_readme_parses_cleanly() {
    check_examples("README.md", 8);
}

fn check_examples(file: &str, at_least: usize) {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../..")
        .join(file);
    let markdown = std::fs::read_to_string(&path).expect("the document exists");
    let blocks = segment_blocks(&markdown);
    assert!(
        blocks.len() >= at_least,
        "only {} segment examples found in {file}",
        blocks.len()
    );
    for (line, text) in blocks {
        let name = format!("{file} (example at line {line})");
        let parsed = parse(&text);
        assert!(
            parsed.diagnostics.is_empty(),
            "{}",
            render(&parsed.diagnostics, &name, &text)
        );
        assert_eq!(parse(&parsed.expr.to_string()).expr, parsed.expr, "{name}");
    }
}
