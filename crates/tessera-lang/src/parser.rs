//! The lenient recursive-descent parser: text to [`Expr`], reporting every error it can find.
//!
//! Parsing never fails. Where input is broken the parser reports a diagnostic, puts a
//! `Missing` node in the tree and skips to a point where it can carry on (a `)`, `and`, `or`,
//! or inside a `where` filter the start of a window), so one run shows every problem.
//!
//! This module holds the token cursor, recovery and the boolean layer (`or`/`and`/`not`/
//! parentheses), which is shared by segment conditions and `where` filters through [`Node`].
//! Leaves live in [`value`] (trait and property tests) and [`event`] (event conditions).

mod event;
mod geo;
mod value;

use crate::ast::{Expr, PropFilter, Span, TraitCond, ValueFunc};
use crate::diagnostic::{line_col, Diagnostic};
use crate::lexer::{lex, Keyword, Token, TokenKind};

/// The result of [`parse`]: a tree (with `Missing` nodes where input was broken) and every
/// diagnostic, sorted by position. The tree may be evaluated only when no diagnostic is an error.
#[derive(Debug, Clone, PartialEq)]
pub struct Parsed {
    pub expr: Expr,
    pub diagnostics: Vec<Diagnostic>,
}

impl Parsed {
    pub fn has_errors(&self) -> bool {
        crate::diagnostic::has_errors(&self.diagnostics)
    }
}

/// Parses segment text. Never fails and never panics; see [`Parsed`].
pub fn parse(text: &str) -> Parsed {
    let (tokens, mut diagnostics) = lex(text);
    let mut parser = Parser {
        text,
        tokens,
        pos: 0,
        diagnostics: Vec::new(),
        in_filter: false,
        depth: 0,
    };
    let expr = parser.parse_segment();
    diagnostics.extend(parser.diagnostics);
    diagnostics.sort_by_key(|d| (d.span.start, d.span.end));
    Parsed { expr, diagnostics }
}

pub(crate) struct Parser<'a> {
    text: &'a str,
    /// Always ends with `Eof`, which the cursor never moves past.
    tokens: Vec<Token>,
    pos: usize,
    diagnostics: Vec<Diagnostic>,
    /// Inside a `where` filter, `in last` and `from` start the window, so recovery stops there.
    in_filter: bool,
    /// How many `not`s and parentheses enclose the cursor; see [`MAX_DEPTH`].
    depth: usize,
}

/// The deepest nesting of `not` and parentheses read. The parser (and every pass over the
/// tree) recurses per level, so without a bound a hostile text could overflow the stack; real
/// segments stay far below it. It matches serde_json's recursion limit, so that any tree read
/// from JSON prints to text this parser accepts.
pub const MAX_DEPTH: usize = 128;

/// A boolean tree the `or`/`and`/`not` layer can build: [`Expr`] or [`PropFilter`].
pub(crate) trait Node: Sized {
    /// What a leaf is called in messages: "a condition", "a property test".
    const WHAT: &'static str;
    fn and(items: Vec<Self>) -> Self;
    fn or(items: Vec<Self>) -> Self;
    fn not(inner: Self) -> Self;
    fn missing(span: Span) -> Self;
    /// A leaf testing a trait (in a segment) or a property (in a filter).
    fn test(cond: TraitCond) -> Self;
    fn starts_leaf(p: &Parser) -> bool;
    fn parse_leaf(p: &mut Parser) -> Self;
    /// Advice when the current token cannot start a leaf.
    fn unexpected_hint(p: &Parser) -> Option<String>;
}

impl Node for Expr {
    const WHAT: &'static str = "a condition";

    fn and(items: Vec<Self>) -> Self {
        Expr::And(items)
    }
    fn or(items: Vec<Self>) -> Self {
        Expr::Or(items)
    }
    fn not(inner: Self) -> Self {
        Expr::Not(Box::new(inner))
    }
    fn missing(span: Span) -> Self {
        Expr::Missing(span)
    }
    fn test(cond: TraitCond) -> Self {
        Expr::Trait(cond)
    }

    fn starts_leaf(p: &Parser) -> bool {
        use Keyword::*;
        match p.peek() {
            TokenKind::Word(_) | TokenKind::Str(_) => true,
            TokenKind::Keyword(k) => {
                matches!(k, Did | Count | Sum | Avg | Min | Max | First | Last)
                    || p.at_segment_ref()
            }
            _ => false,
        }
    }

    fn parse_leaf(p: &mut Parser) -> Self {
        if p.at_segment_ref() {
            return p.parse_segment_ref();
        }
        match p.peek() {
            TokenKind::Keyword(_) => p.parse_event_cond(),
            TokenKind::Word(w)
                if ValueFunc::from_word(w).is_some() && *p.peek_nth(1) == TokenKind::LParen =>
            {
                p.parse_value_call()
            }
            _ => p.parse_test_leaf::<Expr>(),
        }
    }

    fn unexpected_hint(p: &Parser) -> Option<String> {
        match p.peek() {
            TokenKind::Keyword(k) => Some(format!(
                "`{}` is a keyword; to use it as a trait name, quote it: `\"{}\"`",
                k.as_str(),
                k.as_str()
            )),
            TokenKind::Number(_) | TokenKind::DateTime(_) | TokenKind::Op(_) => {
                Some("a condition starts with a trait name, e.g. `age > 30`".into())
            }
            _ => None,
        }
    }
}

impl Node for PropFilter {
    const WHAT: &'static str = "a property test";

    fn and(items: Vec<Self>) -> Self {
        PropFilter::And(items)
    }
    fn or(items: Vec<Self>) -> Self {
        PropFilter::Or(items)
    }
    fn not(inner: Self) -> Self {
        PropFilter::Not(Box::new(inner))
    }
    fn missing(span: Span) -> Self {
        PropFilter::Missing(span)
    }
    fn test(cond: TraitCond) -> Self {
        PropFilter::Test(cond)
    }

    fn starts_leaf(p: &Parser) -> bool {
        matches!(p.peek(), TokenKind::Word(_) | TokenKind::Str(_))
    }

    fn parse_leaf(p: &mut Parser) -> Self {
        p.parse_test_leaf::<PropFilter>()
    }

    fn unexpected_hint(p: &Parser) -> Option<String> {
        use Keyword::*;
        if p.at_window_start() {
            return Some(
                "`where` needs a test before the window, e.g. `where price > 10 in last 7d`".into(),
            );
        }
        match p.peek() {
            TokenKind::Keyword(Did | Count | Sum | Avg | Min | Max | First | Last) => {
                Some("event conditions cannot be nested inside `where`".into())
            }
            TokenKind::Keyword(k) => Some(format!(
                "`{}` is a keyword; to use it as a property name, quote it: `\"{}\"`",
                k.as_str(),
                k.as_str()
            )),
            _ => Some("a filter tests event properties, e.g. `where price > 10`".into()),
        }
    }
}

// The cursor.
impl Parser<'_> {
    pub(crate) fn peek(&self) -> &TokenKind {
        &self.tokens[self.pos].kind
    }

    fn peek_nth(&self, n: usize) -> &TokenKind {
        &self.tokens[(self.pos + n).min(self.tokens.len() - 1)].kind
    }

    fn span(&self) -> Span {
        self.tokens[self.pos].span
    }

    /// The last consumed token.
    fn previous(&self) -> Option<&TokenKind> {
        self.pos.checked_sub(1).map(|i| &self.tokens[i].kind)
    }

    /// The end of the last consumed token (the start of the text when none was consumed).
    fn prev_end(&self) -> usize {
        self.pos
            .checked_sub(1)
            .map_or(0, |i| self.tokens[i].span.end)
    }

    /// The span from `start` to the end of the last consumed token; empty at the current
    /// token when nothing was consumed since `start`.
    fn span_from(&self, start: usize) -> Span {
        Span::new(start, self.prev_end().max(start))
    }

    fn bump(&mut self) -> Token {
        let token = self.tokens[self.pos].clone();
        if token.kind != TokenKind::Eof {
            self.pos += 1;
        }
        token
    }

    fn at(&self, kind: &TokenKind) -> bool {
        self.peek() == kind
    }

    fn at_kw(&self, keyword: Keyword) -> bool {
        self.at(&TokenKind::Keyword(keyword))
    }

    fn eat_kw(&mut self, keyword: Keyword) -> bool {
        let found = self.at_kw(keyword);
        if found {
            self.bump();
        }
        found
    }

    /// Eats `keyword`, also when written in capitals (reported, but read as meant: a
    /// capitalised `AND` between conditions is far likelier than a trait named `AND`).
    fn eat_lenient(&mut self, keyword: Keyword) -> bool {
        if self.eat_kw(keyword) {
            return true;
        }
        if !self.at_capitalised(keyword) {
            return false;
        }
        let span = self.span();
        self.report(
            Diagnostic::error(span, format!("`{}` is not a keyword", self.snippet(span)))
                .with_hint(format!(
                    "keywords are lowercase: write `{}`",
                    keyword.as_str()
                )),
        );
        self.bump();
        true
    }

    /// The source text of the current token for messages: `` `foo` `` or "the end of the segment".
    fn found(&self) -> String {
        let span = self.span();
        if self.at(&TokenKind::Eof) {
            return "the end of the segment".into();
        }
        format!("`{}`", self.snippet(span))
    }

    /// Source text of `span`, shortened so that messages stay one line.
    fn snippet(&self, span: Span) -> String {
        let text = self.text.get(span.start..span.end).unwrap_or("");
        let text = text.split('\n').next().unwrap_or("");
        match text.char_indices().nth(30) {
            Some((cut, _)) => format!("{}...", &text[..cut]),
            None => text.to_string(),
        }
    }

    /// `line:col` of a byte offset, for messages that point at a second place.
    fn place(&self, offset: usize) -> String {
        let (line, col) = line_col(self.text, offset);
        format!("{line}:{col}")
    }

    /// Records a diagnostic, dropping a second error at the same place: the first is the
    /// precise one and the rest are usually its consequences.
    fn report(&mut self, diagnostic: Diagnostic) {
        let duplicate = diagnostic.is_error()
            && self
                .diagnostics
                .iter()
                .any(|d| d.is_error() && d.span.start == diagnostic.span.start);
        if !duplicate {
            self.diagnostics.push(diagnostic);
        }
    }

    /// Reports "expected {what}, found ..." at the current token, unless that token is one
    /// the lexer already reported.
    fn expected(&mut self, what: &str, hint: Option<String>) {
        if self.at(&TokenKind::Error) {
            return;
        }
        let d = Diagnostic::error(
            self.span(),
            format!("expected {what}, found {}", self.found()),
        );
        self.report(match hint {
            Some(hint) => d.with_hint(hint),
            None => d,
        });
    }

    /// Skips to a point where parsing can resume: a `)` closing an enclosing group, `and`,
    /// `or`, the end, or inside a filter `in last`/`from`. Parentheses skipped are balanced.
    fn recover(&mut self) {
        let mut depth = 0usize;
        loop {
            match self.peek() {
                TokenKind::Eof => return,
                TokenKind::LParen => depth += 1,
                TokenKind::RParen if depth == 0 => return,
                TokenKind::RParen => depth -= 1,
                TokenKind::Keyword(Keyword::And | Keyword::Or) if depth == 0 => return,
                _ if depth == 0 && self.at_window_start() => return,
                _ => {}
            }
            self.bump();
        }
    }

    /// Inside a filter, whether the cursor is on the window that ends it (`in last`, `from`).
    fn at_window_start(&self) -> bool {
        self.in_filter
            && match self.peek() {
                TokenKind::Keyword(Keyword::In) => {
                    *self.peek_nth(1) == TokenKind::Keyword(Keyword::Last)
                }
                TokenKind::Keyword(Keyword::From) => true,
                _ => false,
            }
    }

    /// Whether the current token is `keyword` written with capitals (`AND`, `Not`).
    fn at_capitalised(&self, keyword: Keyword) -> bool {
        matches!(self.peek(), TokenKind::Word(w) if w.to_lowercase() == keyword.as_str())
    }

    /// Skips to the `)` that closes the group the cursor is in and consumes it; `and`/`or`
    /// do not stop this one, since they belong to the inside of the group.
    fn skip_past_close(&mut self) {
        let mut depth = 0usize;
        loop {
            match self.bump().kind {
                TokenKind::Eof => return,
                TokenKind::LParen => depth += 1,
                TokenKind::RParen if depth == 0 => return,
                TokenKind::RParen => depth -= 1,
                _ => {}
            }
        }
    }
}

// The boolean layer.
impl Parser<'_> {
    fn parse_segment(&mut self) -> Expr {
        if self.at(&TokenKind::Eof) {
            self.report(
                Diagnostic::error(self.span(), "the segment is empty").with_hint(
                    "write a condition, e.g. `age > 30 and did(Order Completed in last 30d)`",
                ),
            );
            return Expr::Missing(self.span());
        }
        self.parse_sequence::<Expr>(None)
    }

    /// Parses conditions up to the end (at top level) or up to the `)` matching `open`,
    /// reporting and skipping anything between them so that later errors are found too.
    fn parse_sequence<N: Node>(&mut self, open: Option<Span>) -> N {
        let mut items = vec![self.parse_or::<N>()];
        loop {
            match (self.peek(), open) {
                (TokenKind::Eof, None) => break,
                (TokenKind::Eof, Some(open)) => {
                    let hint = format!("add `)` to close the `(` at {}", self.place(open.start));
                    self.expected("`)`", Some(hint));
                    break;
                }
                (TokenKind::RParen, Some(_)) => {
                    self.bump();
                    break;
                }
                // `where (a = 1 in last 7d)`: the group ends at the window, which the query reads.
                (_, Some(open)) if self.at_window_start() => {
                    let hint = format!("add `)` to close the `(` at {}", self.place(open.start));
                    self.expected("`)` before the window", Some(hint));
                    break;
                }
                (TokenKind::RParen, None) => {
                    self.report(
                        Diagnostic::error(self.span(), "unmatched `)`")
                            .with_hint("remove it, or add the `(` it closes"),
                    );
                }
                _ => {
                    let hint = "join conditions with `and` or `or`".to_string();
                    if open.is_some() {
                        self.expected("`and`, `or` or `)`", Some(hint));
                    } else {
                        self.expected("`and` or `or`", Some(hint));
                    }
                }
            }
            let start = self.span().start;
            self.bump();
            self.recover();
            items.push(N::missing(self.span_from(start)));
            if self.eat_lenient(Keyword::And) || self.eat_lenient(Keyword::Or) {
                items.push(self.parse_or::<N>());
            }
        }
        if items.len() == 1 {
            items.pop().unwrap_or_else(|| N::missing(Span::default()))
        } else {
            N::and(items)
        }
    }

    pub(crate) fn parse_or<N: Node>(&mut self) -> N {
        let mut items = vec![self.parse_and::<N>()];
        while self.eat_lenient(Keyword::Or) {
            items.push(self.parse_and::<N>());
        }
        if items.len() == 1 {
            items.pop().unwrap_or_else(|| N::missing(Span::default()))
        } else {
            N::or(items)
        }
    }

    fn parse_and<N: Node>(&mut self) -> N {
        let mut items = vec![self.parse_unary::<N>()];
        loop {
            if self.eat_lenient(Keyword::And) {
                items.push(self.parse_unary::<N>());
            } else if self.at_capitalised(Keyword::Or)
                || (self.in_filter && self.at_sequence_link())
            {
                // In a filter, `then` and `not followed by` end the step of a sequence.
                break;
            } else if N::starts_leaf(self)
                || self.at(&TokenKind::LParen)
                || self.at_kw(Keyword::Not)
            {
                items.push(self.parse_without_connective::<N>());
            } else {
                break;
            }
        }
        if items.len() == 1 {
            items.pop().unwrap_or_else(|| N::missing(Span::default()))
        } else {
            N::and(items)
        }
    }

    /// Something that may be a condition follows a condition with no `and`/`or` between.
    /// If it parses cleanly, the connective was forgotten; otherwise it is stray text, and one
    /// error for all of it beats the several the attempt produced.
    fn parse_without_connective<N: Node>(&mut self) -> N {
        let start = self.span();
        let mark = self.diagnostics.len();
        let item = self.parse_unary::<N>();
        if self.diagnostics[mark..].iter().any(Diagnostic::is_error) {
            self.diagnostics.truncate(mark);
            let span = self.span_from(start.start);
            self.report(
                Diagnostic::error(span, format!("unexpected `{}`", self.snippet(span)))
                    .with_hint("remove it, or join it to the condition before with `and` or `or`"),
            );
            N::missing(span)
        } else {
            self.report(
                Diagnostic::error(
                    start,
                    format!("expected `and` or `or` before `{}`", self.snippet(start)),
                )
                .with_hint("conditions are joined with `and` or `or`"),
            );
            item
        }
    }

    fn parse_unary<N: Node>(&mut self) -> N {
        if self.depth >= MAX_DEPTH {
            let start = self.span();
            self.report(
                Diagnostic::error(start, "the segment is nested too deeply").with_hint(format!(
                    "use at most {MAX_DEPTH} levels of `not` and parentheses"
                )),
            );
            while !self.at(&TokenKind::Eof) {
                self.bump();
            }
            return N::missing(self.span_from(start.start));
        }
        self.depth += 1;
        let node = self.parse_unary_nested::<N>();
        self.depth -= 1;
        node
    }

    fn parse_unary_nested<N: Node>(&mut self) -> N {
        if self.eat_kw(Keyword::Not) {
            return N::not(self.parse_unary::<N>());
        }
        // `NOT x = 1`: a capitalised `not` followed by a condition (a trait named `Not` would
        // be followed by its test instead).
        if self.at_capitalised(Keyword::Not)
            && matches!(
                self.peek_nth(1),
                TokenKind::Word(_)
                    | TokenKind::Str(_)
                    | TokenKind::LParen
                    | TokenKind::Keyword(
                        Keyword::Not
                            | Keyword::Did
                            | Keyword::Count
                            | Keyword::Sum
                            | Keyword::Avg
                            | Keyword::Min
                            | Keyword::Max
                            | Keyword::First
                            | Keyword::Last
                    )
            )
            && self.eat_lenient(Keyword::Not)
        {
            return N::not(self.parse_unary::<N>());
        }
        if self.at(&TokenKind::LParen) {
            let open = self.bump().span;
            if self.at(&TokenKind::RParen) {
                self.expected(N::WHAT, Some("remove the empty `()`".into()));
                self.bump();
                return N::missing(self.span_from(open.start));
            }
            return self.parse_sequence::<N>(Some(open));
        }
        if N::starts_leaf(self) {
            return N::parse_leaf(self);
        }
        let start = self.span().start;
        let hint = match (self.peek(), self.previous()) {
            (TokenKind::Keyword(k @ (Keyword::And | Keyword::Or)), _) => {
                Some(format!("`{}` needs a condition on each side", k.as_str()))
            }
            (TokenKind::Eof, Some(TokenKind::Keyword(k))) => Some(format!(
                "add a condition after `{}`, or remove it",
                k.as_str()
            )),
            _ => N::unexpected_hint(self),
        };
        self.expected(N::WHAT, hint);
        self.recover();
        N::missing(self.span_from(start))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn errors(text: &str) -> Vec<String> {
        parse(text)
            .diagnostics
            .iter()
            .map(|d| d.to_line("t", text))
            .collect()
    }

    #[test]
    fn event_names_may_contain_keywords_that_cannot_end_them() {
        let parsed = parse(
            "did(Product Added to Cart where x = 1 in last 7d) and count(Removed from Wishlist from 2026-01-01 to 2026-02-01) > 1 and did(Sign in)",
        );
        assert!(parsed.diagnostics.is_empty(), "{:?}", parsed.diagnostics);
        let names: Vec<String> = parsed
            .expr
            .event_names()
            .into_iter()
            .map(|n| n.to_string())
            .collect();
        assert_eq!(
            names,
            ["Product Added to Cart", "Removed from Wishlist", "Sign in"]
        );
    }

    #[test]
    fn the_issue_example_parses_cleanly() {
        let text = r#"count(Product Viewed where product_id = "X" in last 7d) >= 3 and not did(Order Completed in last 7d) and age between 25 and 35 and city_tier = "urban" and income > 75000"#;
        let parsed = parse(text);
        assert_eq!(parsed.diagnostics, vec![]);
        let Expr::And(items) = &parsed.expr else {
            panic!("{:?}", parsed.expr)
        };
        assert_eq!(items.len(), 5);
        assert_eq!(parsed.expr.to_string(), text);
    }

    #[test]
    fn two_errors_are_both_reported() {
        assert_eq!(
            errors("age > and did(X in last 7x)"),
            vec![
                "t:1:7: error: expected a value such as `\"text\"`, `42`, `true` or `2026-01-01` after `>`, found `and`",
                "t:1:25: error: unknown unit `x` in `7x`\n  hint: time units are s, m, h, d, w; distances are written `5 km`, `3 mi`, `800 m`",
            ]
        );
    }

    #[test]
    fn deep_nesting_is_an_error_not_a_stack_overflow() {
        let texts = [
            "(".repeat(100_000),
            "not ".repeat(100_000),
            format!("did(X where {}", "not (".repeat(50_000)),
        ];
        for text in texts {
            let parsed = parse(&text);
            let message = "the segment is nested too deeply";
            assert!(parsed.diagnostics.iter().any(|d| d.message == message));
        }
        let ok = format!(
            "{}a = 1{}",
            "(".repeat(MAX_DEPTH - 1),
            ")".repeat(MAX_DEPTH - 1)
        );
        assert_eq!(parse(&ok).diagnostics, vec![]);
    }

    #[test]
    fn the_deepest_json_tree_prints_to_text_that_parses() {
        let mut json = r#"{"trait":{"name":"a","test":"exists"}}"#.to_string();
        let mut depth = 0;
        loop {
            let deeper = format!(r#"{{"not":{json}}}"#);
            if crate::parse_json(&deeper).is_err() {
                break;
            }
            json = deeper;
            depth += 1;
        }
        assert!(depth > 100, "serde_json stopped at {depth}");
        let expr = crate::parse_json(&json).unwrap_or(Expr::Missing(Span::default()));
        let again = parse(&expr.to_string());
        assert_eq!(again.diagnostics, vec![]);
        assert_eq!(again.expr, expr);
    }

    #[test]
    fn parentheses_keep_nested_chains_apart() {
        let parsed = parse("a = 1 or (b = 2 or c = 3)");
        let Expr::Or(items) = &parsed.expr else {
            panic!("{:?}", parsed.expr)
        };
        assert!(matches!(items[1], Expr::Or(_)));
        assert_eq!(parsed.expr.to_string(), "a = 1 or (b = 2 or c = 3)");
    }
}
