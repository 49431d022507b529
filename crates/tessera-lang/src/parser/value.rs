//! Leaves that test one value: `name test` for traits and event properties, with names and
//! literals.

use super::{Node, Parser};
use crate::ast::{Literal, Span, TraitCond, ValueTest};
use crate::diagnostic::Diagnostic;
use crate::display::{name_text, quote};
use crate::lexer::{is_keyword, Keyword, TokenKind};

impl Parser<'_> {
    /// `name test`; `name not in (...)` and `name is not null` become `not (name ...)`.
    pub(super) fn parse_test_leaf<N: Node>(&mut self) -> N {
        let start = self.span().start;
        let test = match self.parse_name(false, "a name") {
            Some(name) => self.parse_value_test(&name).map(|t| (name, t)),
            None => None,
        };
        match test {
            Some((name, (test, negated))) => {
                let cond = TraitCond {
                    name,
                    test,
                    span: self.span_from(start),
                };
                if negated {
                    N::not(N::test(cond))
                } else {
                    N::test(cond)
                }
            }
            None => {
                self.recover();
                N::missing(self.span_from(start))
            }
        }
    }

    fn name_part(&mut self, keyword_ok: bool) -> Option<String> {
        let part = match self.peek() {
            TokenKind::Word(w) => w.clone(),
            TokenKind::Str(s) => s.clone(),
            TokenKind::Keyword(k) if keyword_ok => k.as_str().to_string(),
            _ => return None,
        };
        self.bump();
        Some(part)
    }

    /// A trait or property name: parts (bare words or strings) joined by dots. After a dot a
    /// keyword cannot mean anything else, so it is accepted as a part.
    pub(super) fn parse_name(&mut self, first_keyword_ok: bool, what: &str) -> Option<String> {
        let Some(mut name) = self.name_part(first_keyword_ok) else {
            self.expected(what, None);
            return None;
        };
        while self.at(&TokenKind::Dot) {
            self.bump();
            let Some(part) = self.name_part(true) else {
                self.expected(
                    "a name after `.`",
                    Some("a dotted name looks like `address.city`".into()),
                );
                return None;
            };
            name.push('.');
            name.push_str(&part);
        }
        Some(name)
    }

    /// The test after a name, and whether it was written negated (`not in`, `is not null`).
    pub(super) fn parse_value_test(&mut self, name: &str) -> Option<(ValueTest, bool)> {
        let kind = self.peek().clone();
        let test = match kind {
            TokenKind::Op(op) => {
                self.bump();
                let value = self.parse_literal(&format!("`{op}`"))?;
                ValueTest::Compare { op, value }
            }
            TokenKind::Keyword(Keyword::Between) => {
                let start = self.bump().span.start;
                let low = self.parse_literal("`between`");
                if !self.at_kw(Keyword::And) {
                    self.expected(
                        "`and` between the two bounds",
                        Some("`between` takes two bounds: `between 25 and 35`".into()),
                    );
                    return None;
                }
                self.bump();
                let high = self.parse_literal("`and`");
                let (low, high) = (low?, high?);
                if literal_gt(&low, &high) {
                    let span = self.span_from(start);
                    self.warn_empty_range(span, &low.to_string(), &high.to_string());
                }
                ValueTest::Between { low, high }
            }
            TokenKind::Keyword(Keyword::In)
                if *self.peek_nth(1) != TokenKind::Keyword(Keyword::Last) =>
            {
                self.bump();
                return Some((
                    ValueTest::In {
                        values: self.parse_in_list()?,
                    },
                    false,
                ));
            }
            TokenKind::Keyword(Keyword::Not) => {
                self.bump();
                if !self.at_kw(Keyword::In) {
                    self.expected(
                        "`in` after `not`",
                        Some(
                            "to negate a test, put `not` before the condition: `not age > 30`"
                                .into(),
                        ),
                    );
                    return None;
                }
                self.bump();
                return Some((
                    ValueTest::In {
                        values: self.parse_in_list()?,
                    },
                    true,
                ));
            }
            TokenKind::Keyword(Keyword::Contains) => {
                self.bump();
                ValueTest::Contains {
                    value: self.parse_literal("`contains`")?,
                }
            }
            TokenKind::Keyword(Keyword::StartsWith) => {
                self.bump();
                ValueTest::StartsWith {
                    value: self.parse_literal("`starts_with`")?,
                }
            }
            TokenKind::Keyword(Keyword::Within) => {
                self.bump();
                self.parse_within()?
            }
            TokenKind::Keyword(Keyword::Exists) => {
                self.bump();
                ValueTest::Exists
            }
            TokenKind::Keyword(Keyword::Is) => {
                self.bump();
                let negated = self.eat_kw(Keyword::Not);
                if !self.eat_kw(Keyword::Null) {
                    let what = if negated {
                        "`null` after `is not`"
                    } else {
                        "`null` or `not null` after `is`"
                    };
                    self.expected(
                        what,
                        Some(format!(
                            "compare values with `=`: `{} = ...`",
                            name_text(name)
                        )),
                    );
                    return None;
                }
                return Some((ValueTest::IsNull, negated));
            }
            _ => {
                let hint = self.missing_test_hint(name);
                self.expected(
                    &format!(
                        "an operator such as `=`, `>`, `in` or `exists` after `{}`",
                        name_text(name)
                    ),
                    Some(hint),
                );
                return None;
            }
        };
        Some((test, false))
    }

    fn missing_test_hint(&self, name: &str) -> String {
        let shown = name_text(name);
        let lower = name.to_lowercase();
        if lower != name && is_keyword(&lower) {
            return format!("keywords are lowercase: write `{lower}`");
        }
        match self.peek() {
            TokenKind::LParen => format!(
                "`{shown}` is not a function; event conditions are did(...), count(...), \
                 sum/avg/min/max(...) and first/last(...)"
            ),
            TokenKind::Str(_)
            | TokenKind::Number(_)
            | TokenKind::DateTime(_)
            | TokenKind::Keyword(Keyword::True | Keyword::False) => {
                format!("add an operator: `{shown} = {}`", self.snippet(self.span()))
            }
            TokenKind::Word(_) => format!(
                "quote names that contain spaces (`\"{name} ...\"`); events go inside did(...) or count(...)"
            ),
            _ => format!("for example `{shown} = \"x\"`, `{shown} > 3`, `{shown} in (\"a\", \"b\")` or `{shown} exists`"),
        }
    }

    /// `( literal ("," literal)* )`, the cursor on the `(` (reported if it is not there).
    fn parse_in_list(&mut self) -> Option<Vec<Literal>> {
        if !self.at(&TokenKind::LParen) {
            self.expected(
                "`(` after `in`",
                Some("list the values in parentheses: `in (\"a\", \"b\")`".into()),
            );
            return None;
        }
        let open = self.bump().span;
        if self.at(&TokenKind::RParen) {
            self.expected(
                "a value",
                Some("an `in` list needs at least one value".into()),
            );
            self.bump();
            return None;
        }
        let mut values = Vec::new();
        let mut ok = true;
        loop {
            match self.parse_literal(if values.is_empty() { "`(`" } else { "`,`" }) {
                Some(value) => values.push(value),
                None => ok = false,
            }
            match self.peek() {
                TokenKind::Comma => {
                    self.bump();
                }
                TokenKind::RParen => {
                    self.bump();
                    break;
                }
                // A forgotten comma: say so, and read on as if it were there.
                TokenKind::Str(_)
                | TokenKind::Number(_)
                | TokenKind::DateTime(_)
                | TokenKind::Keyword(Keyword::True | Keyword::False) => {
                    self.expected("`,` or `)`", Some("separate the values with commas".into()));
                    ok = false;
                }
                _ => {
                    let hint = format!(
                        "close the list opened at {} with `)`",
                        self.place(open.start)
                    );
                    self.expected("`,` or `)`", Some(hint));
                    return None;
                }
            }
        }
        ok.then_some(values)
    }

    /// A literal value. Value-like tokens that are not literals (a bare word, a duration) are
    /// consumed with the error, so the text after them still parses.
    pub(super) fn parse_literal(&mut self, after: &str) -> Option<Literal> {
        let literal = match self.peek().clone() {
            TokenKind::Str(s) => Literal::String(s),
            TokenKind::Number(n) => Literal::Number(n),
            TokenKind::Keyword(Keyword::True) => Literal::Bool(true),
            TokenKind::Keyword(Keyword::False) => Literal::Bool(false),
            TokenKind::DateTime(timestamp) => Literal::Timestamp { timestamp },
            TokenKind::Error => {
                self.bump();
                return None;
            }
            TokenKind::Word(_) => {
                let start = self.span().start;
                while matches!(self.peek(), TokenKind::Word(_)) {
                    self.bump();
                }
                let span = self.span_from(start);
                let text = self.snippet(span);
                self.report(
                    Diagnostic::error(
                        span,
                        format!("expected a value after {after}, found `{text}`"),
                    )
                    .with_hint(format!("quote text values: `{}`", quote(&text))),
                );
                return None;
            }
            TokenKind::Keyword(Keyword::Null) => {
                self.report(
                    Diagnostic::error(self.span(), "`null` is not a value")
                        .with_hint("test for a missing value with `is null`"),
                );
                self.bump();
                return None;
            }
            TokenKind::Duration(_) => {
                self.expected(
                    &format!("a value after {after}"),
                    Some(
                        "durations belong in windows (`in last 7d`) and in `more than 7d ago`"
                            .into(),
                    ),
                );
                self.bump();
                return None;
            }
            _ => {
                self.expected(
                    &format!(
                        "a value such as `\"text\"`, `42`, `true` or `2026-01-01` after {after}"
                    ),
                    None,
                );
                return None;
            }
        };
        self.bump();
        Some(literal)
    }

    pub(super) fn warn_empty_range(&mut self, span: Span, low: &str, high: &str) {
        self.report(
            Diagnostic::warning(span, format!("this range is empty: `between {low} and {high}` holds for no value"))
                .with_hint(format!("`between` includes both bounds; write the smaller one first: `between {high} and {low}`")),
        );
    }
}

/// `low > high` for literals of one comparable kind; literals of different kinds are left
/// to the checker, which knows the trait's type.
fn literal_gt(low: &Literal, high: &Literal) -> bool {
    match (low, high) {
        (Literal::Number(a), Literal::Number(b)) => a > b,
        (Literal::String(a), Literal::String(b)) => a > b,
        (Literal::Timestamp { timestamp: a }, Literal::Timestamp { timestamp: b }) => a > b,
        _ => false,
    }
}
