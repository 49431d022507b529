//! Explanations: why a segment holds or not for one profile, as a tree of checked conditions.

use std::fmt;

/// One checked condition: its text, the value found for the profile, and whether it held.
/// Compound conditions (`and`, `or`, `not`) have their operands as children.
#[derive(Debug, Clone, PartialEq)]
pub struct Explanation {
    /// The condition in the language's canonical text form.
    pub condition: String,
    /// What was found for this profile, e.g. `age = 31`, `count = 4 (events at …)`, `no value`.
    pub found: String,
    pub held: bool,
    pub children: Vec<Explanation>,
}

impl Explanation {
    fn write_tree(&self, f: &mut fmt::Formatter<'_>, depth: usize) -> fmt::Result {
        let mark = if self.held { '✓' } else { '✗' };
        write!(
            f,
            "{:indent$}{mark} {}",
            "",
            self.condition,
            indent = depth * 2
        )?;
        if !self.found.is_empty() {
            write!(f, " — {}", self.found)?;
        }
        writeln!(f)?;
        self.children
            .iter()
            .try_for_each(|child| child.write_tree(f, depth + 1))
    }
}

/// An indented tree, one condition per line: `✓ age between 25 and 35 — age = 31`.
impl fmt::Display for Explanation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.write_tree(f, 0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn renders_an_indented_tree_with_marks() {
        let leaf = |condition: &str, found: &str, held| Explanation {
            condition: condition.into(),
            found: found.into(),
            held,
            children: vec![],
        };
        let tree = Explanation {
            condition: "age > 30 and did(Order Completed)".into(),
            found: "1 of 2 hold".into(),
            held: false,
            children: vec![
                leaf("age > 30", "age = 31", true),
                leaf("did(Order Completed)", "count = 0", false),
            ],
        };
        assert_eq!(
            tree.to_string(),
            "✗ age > 30 and did(Order Completed) — 1 of 2 hold\n\
             \x20 ✓ age > 30 — age = 31\n\
             \x20 ✗ did(Order Completed) — count = 0\n"
        );
    }
}
