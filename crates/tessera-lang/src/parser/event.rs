//! Event conditions (`did`, `count`, `sum`/`avg`/`min`/`max`, `first`/`last`), their queries
//! and windows, and the warnings about comparisons that can never or always hold.

use std::cmp::Ordering;

use tessera_model::{parse_timestamp, Millis};

use super::Parser;
use crate::ast::*;
use crate::diagnostic::Diagnostic;
use crate::lexer::{Keyword, TokenKind};

/// Whether a call names a property after the event (`sum(Order Completed.revenue)`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Property {
    No,
    Required,
    /// `first`/`last`: with a property it is a value, without one a recency condition.
    Optional,
}

impl Parser<'_> {
    /// An event condition, the cursor on its keyword. Broken input gives `Expr::Missing`.
    pub(super) fn parse_event_cond(&mut self) -> Expr {
        let keyword = self.bump();
        let start = keyword.span.start;
        let expr = match keyword.kind {
            TokenKind::Keyword(Keyword::Did) => self.parse_did(),
            TokenKind::Keyword(Keyword::Count) => self.parse_count(),
            TokenKind::Keyword(Keyword::Sum) => self.parse_aggregate(AggFunc::Sum),
            TokenKind::Keyword(Keyword::Avg) => self.parse_aggregate(AggFunc::Avg),
            TokenKind::Keyword(Keyword::Min) => self.parse_aggregate(AggFunc::Min),
            TokenKind::Keyword(Keyword::Max) => self.parse_aggregate(AggFunc::Max),
            TokenKind::Keyword(Keyword::First) => self.parse_recency(Recency::First),
            TokenKind::Keyword(Keyword::Last) => self.parse_recency(Recency::Last),
            _ => None,
        };
        expr.unwrap_or_else(|| {
            self.recover();
            Expr::Missing(self.span_from(start))
        })
    }

    fn parse_did(&mut self) -> Option<Expr> {
        let negated = self.eat_kw(Keyword::Not);
        let did = match self.parse_call_body(
            if negated { "did not" } else { "did" },
            Property::No,
            true,
        )? {
            CallBody::Query(query, _) => Expr::Did(query),
            CallBody::Sequence(cond) => Expr::Sequence(cond),
        };
        Some(if negated {
            Expr::Not(Box::new(did))
        } else {
            did
        })
    }

    fn parse_count(&mut self) -> Option<Expr> {
        let call = self.parse_call("count", Property::No);
        let cmp = self.parse_tail(call.is_some(), |p| p.parse_num_cmp("`count(...)`", true));
        let ((query, _), cmp) = (call?, cmp?);
        Some(Expr::Count(CountCond { query, cmp }))
    }

    fn parse_aggregate(&mut self, func: AggFunc) -> Option<Expr> {
        let call = self.parse_call(func.as_str(), Property::Required);
        let what = format!("`{}(...)`", func.as_str());
        let cmp = self.parse_tail(call.is_some(), |p| p.parse_num_cmp(&what, false));
        let ((query, property), cmp) = (call?, cmp?);
        Some(Expr::Aggregate(AggregateCond {
            func,
            query,
            property: property?,
            cmp,
        }))
    }

    /// `first(E) more than 30d ago` (recency) or `first(E.p) = "x"` (a value condition).
    fn parse_recency(&mut self, which: Recency) -> Option<Expr> {
        let func = which.to_string();
        let call = self.parse_call(&func, Property::Optional);
        if let Some((query, Some(property))) = call {
            let func = match which {
                Recency::First => ValueFunc::First,
                Recency::Last => ValueFunc::Last,
            };
            return self.parse_value_rest(func, query, property);
        }
        let ago = self.parse_tail(call.is_some(), |p| p.parse_ago(&func));
        let ((query, _), (relation, ago)) = (call?, ago?);
        Some(Expr::Recency(RecencyCond {
            which,
            query,
            relation,
            ago,
        }))
    }

    /// `most_frequent(E.p ...) test`, `unique_count(...)`, `distinct(...)`: the cursor on the
    /// function's name, which is an ordinary word unless a `(` follows it.
    pub(super) fn parse_value_call(&mut self) -> Expr {
        let word = self.bump();
        let start = word.span.start;
        let func = match &word.kind {
            TokenKind::Word(w) => ValueFunc::from_word(w),
            _ => None,
        };
        let expr = func.and_then(|func| {
            let call = self.parse_call(func.as_str(), Property::Required);
            match call {
                Some((query, Some(property))) => self.parse_value_rest(func, query, property),
                _ => {
                    let mark = self.diagnostics.len();
                    let _ = self.parse_value_test(func.as_str());
                    self.diagnostics.truncate(mark);
                    None
                }
            }
        });
        expr.unwrap_or_else(|| {
            self.recover();
            Expr::Missing(self.span_from(start))
        })
    }

    /// The test after a value call: `= "x"`, `not in (...)`, `contains "y"`, …
    fn parse_value_rest(
        &mut self,
        func: ValueFunc,
        query: EventQuery,
        property: String,
    ) -> Option<Expr> {
        let what = format!("{}(...)", func.as_str());
        let (test, negated) = self.parse_value_test(&what)?;
        let cond = Expr::Value(ValueCond {
            func,
            query,
            property,
            test,
        });
        Some(if negated {
            Expr::Not(Box::new(cond))
        } else {
            cond
        })
    }

    /// Parses what follows a call; after a broken call its errors would only be echoes, so
    /// they are dropped (the text is still consumed when it is well formed).
    fn parse_tail<T>(
        &mut self,
        call_ok: bool,
        f: impl FnOnce(&mut Self) -> Option<T>,
    ) -> Option<T> {
        if call_ok {
            return f(self);
        }
        let mark = self.diagnostics.len();
        f(self);
        self.diagnostics.truncate(mark);
        None
    }

    /// `( query )`, for an aggregate `( event . property query_rest )`. Leaves the cursor after
    /// the `)` when there is one, so that the comparison after it can still be read.
    fn parse_call(
        &mut self,
        func: &str,
        property: Property,
    ) -> Option<(EventQuery, Option<String>)> {
        match self.parse_call_body(func, property, false)? {
            CallBody::Query(query, property) => Some((query, property)),
            CallBody::Sequence(_) => None,
        }
    }

    /// [`Parser::parse_call`], also reading a sequence (`A then B within 1h`) when allowed.
    fn parse_call_body(
        &mut self,
        func: &str,
        property: Property,
        sequence_ok: bool,
    ) -> Option<CallBody> {
        if !self.at(&TokenKind::LParen) {
            let hint = match self.peek() {
                TokenKind::Op(_) if func != "did not" => {
                    format!(
                        "`{func}` is a keyword; to use it as a trait name, quote it: `\"{func}\"`"
                    )
                }
                _ => format!("for example `{func}(Order Completed)`"),
            };
            self.expected(&format!("`(` after `{func}`"), Some(hint));
            return None;
        }
        let open = self.bump().span;
        let query = self.parse_query(func, property);
        let query = match query {
            Some((first, _)) if sequence_ok && self.at_sequence_link() => {
                let Some(cond) = self.parse_sequence_rest(first) else {
                    self.skip_past_close();
                    return None;
                };
                if !self.at(&TokenKind::RParen) {
                    self.expected(
                        &format!("`)` to close `{func}(`"),
                        Some(
                            "a sequence reads `did(A then B within 1h with same product_id)`"
                                .into(),
                        ),
                    );
                    self.skip_past_close();
                    return None;
                }
                self.bump();
                return Some(CallBody::Sequence(cond));
            }
            other => other.map(|(q, p)| CallBody::Query(q, p)),
        };
        if self.at(&TokenKind::RParen) {
            self.bump();
            return query;
        }
        if query.is_some() {
            // A `)` forgotten where the text after the call begins: report it, read the call
            // as closed, and carry on, so the rest of the segment is still checked.
            let compared = !matches!(func, "did" | "did not" | "first" | "last");
            let aged = matches!(func, "first" | "last");
            let forgotten = match self.peek() {
                TokenKind::Eof | TokenKind::Keyword(Keyword::And | Keyword::Or) => true,
                TokenKind::Op(_) | TokenKind::Keyword(Keyword::Between) => compared,
                TokenKind::Keyword(Keyword::More | Keyword::Less) => aged,
                _ => false,
            };
            let hint = match self.peek() {
                _ if forgotten => format!(
                    "the `{func}(` at {} is not closed; add `)` after the query",
                    self.place(open.start)
                ),
                TokenKind::Keyword(Keyword::Where) => format!(
                    "put `where` before the window: `{func}(Event Name where property = \"x\" in last 7d)`"
                ),
                TokenKind::Keyword(Keyword::In | Keyword::From) => {
                    "a query has at most one window".into()
                }
                _ => format!("a query reads `{func}(Event Name where property = \"x\" in last 7d)`"),
            };
            self.expected(&format!("`)` to close `{func}(`"), Some(hint));
            if forgotten {
                return query;
            }
        }
        self.skip_past_close();
        None
    }

    fn parse_query(
        &mut self,
        func: &str,
        property: Property,
    ) -> Option<(EventQuery, Option<String>)> {
        let start = self.span().start;
        let event = self.parse_event_name(func)?;
        let property = if property == Property::Required
            || (property == Property::Optional && self.at(&TokenKind::Dot))
        {
            if !self.at(&TokenKind::Dot) {
                self.expected(
                    "`.` and a property after the event name",
                    Some(format!("for example `{func}(Order Completed.revenue)`")),
                );
                return None;
            }
            self.bump();
            Some(self.parse_name(true, "a property name after `.`")?)
        } else {
            if self.at(&TokenKind::Dot) {
                let hint = match self.peek_nth(1) {
                    TokenKind::Word(next) => {
                        format!("quote event names that contain dots: `{func}(\"{event}.{next}\")`")
                    }
                    _ => "quote event names that contain dots".into(),
                };
                self.expected("`where`, a window or `)` after the event name", Some(hint));
                return None;
            }
            None
        };
        let filter = if self.eat_kw(Keyword::Where) {
            let outer = std::mem::replace(&mut self.in_filter, true);
            let filter = self.parse_or::<PropFilter>();
            self.in_filter = outer;
            Some(filter)
        } else {
            None
        };
        let window = match self.peek() {
            TokenKind::Keyword(Keyword::In) => Some(self.parse_last()?),
            TokenKind::Keyword(Keyword::From) => Some(self.parse_range()?),
            _ => None,
        };
        let query = EventQuery {
            event,
            filter,
            window,
            span: self.span_from(start),
        };
        Some((query, property))
    }

    /// A quoted name, or bare words up to `where`, `in last`, `from <date>`, `.` or `)`.
    ///
    /// Other keywords are ordinary words inside an event name, because Segment's standard
    /// names use them (`Product Added to Cart`, `Product Removed from Wishlist`).
    fn parse_event_name(&mut self, func: &str) -> Option<String> {
        match self.peek().clone() {
            TokenKind::Str(name) => {
                self.bump();
                Some(name)
            }
            TokenKind::Word(first) => {
                self.bump();
                let mut name = first;
                while let Some(word) = self.event_name_word() {
                    self.bump();
                    name.push(' ');
                    name.push_str(&word);
                }
                Some(name)
            }
            kind => {
                let hint = match kind {
                    TokenKind::Keyword(k) => format!(
                        "`{}` is a keyword; quote event names that contain keywords: `{func}(\"Sign in\")`",
                        k.as_str()
                    ),
                    _ => format!("for example `{func}(Order Completed)`"),
                };
                self.expected(&format!("an event name after `{func}(`"), Some(hint));
                None
            }
        }
    }

    /// Whether the cursor is on `then` or `not followed by` after a sequence's first step.
    pub(super) fn at_sequence_link(&self) -> bool {
        matches!(self.peek(), TokenKind::Word(w) if w == "then")
            || (self.at_kw(Keyword::Not)
                && matches!(self.peek_nth(1), TokenKind::Word(w) if w == "followed"))
    }

    /// After a sequence's first step: `then B within D` or `not followed by B within D`, with
    /// an optional `with same p, q`.
    fn parse_sequence_rest(&mut self, first: EventQuery) -> Option<SequenceCond> {
        let followed = if self.at_kw(Keyword::Not) {
            self.bump();
            self.bump();
            if !matches!(self.peek(), TokenKind::Word(w) if w == "by") {
                self.expected("`by` after `not followed`", None);
                return None;
            }
            self.bump();
            false
        } else {
            self.bump();
            true
        };
        let link = if followed { "then" } else { "not followed by" };
        let (second, _) = self.parse_query(link, Property::No)?;
        if !self.eat_kw(Keyword::Within) {
            self.expected(
                "`within` and a time after the second event",
                Some(format!(
                    "for example `did(Added to Cart {link} Order Completed within 24h)`"
                )),
            );
            return None;
        }
        let within = self.parse_duration("`within`")?;
        let mut same = Vec::new();
        if matches!(self.peek(), TokenKind::Word(w) if w == "with") {
            self.bump();
            if !matches!(self.peek(), TokenKind::Word(w) if w == "same") {
                self.expected(
                    "`same` after `with`",
                    Some("`with same product_id` requires equal properties on both events".into()),
                );
                return None;
            }
            self.bump();
            loop {
                same.push(self.parse_name(true, "a property name after `with same`")?);
                if !self.at(&TokenKind::Comma) {
                    break;
                }
                self.bump();
            }
        }
        Some(SequenceCond {
            first,
            followed,
            second,
            within,
            same,
        })
    }

    /// The next token as a further word of a bare event name, if it is one.
    fn event_name_word(&self) -> Option<String> {
        match self.peek() {
            // `then` and `not followed by` link the steps of a sequence.
            TokenKind::Word(word) if word == "then" => None,
            TokenKind::Keyword(Keyword::Not) if matches!(self.peek_nth(1), TokenKind::Word(w) if w == "followed") => {
                None
            }
            TokenKind::Keyword(Keyword::Within) => None,
            TokenKind::Word(word) => Some(word.clone()),
            TokenKind::Keyword(Keyword::Where) => None,
            // `in 7d` is a window missing its `last`: stop so that the error says so.
            TokenKind::Keyword(Keyword::In)
                if matches!(
                    self.peek_nth(1),
                    TokenKind::Keyword(Keyword::Last) | TokenKind::Duration(_)
                ) =>
            {
                None
            }
            // `more than` / `less than` belong to a `first(…)`/`last(…)` whose `)` is missing.
            TokenKind::Keyword(Keyword::More | Keyword::Less)
                if self.peek_nth(1) == &TokenKind::Keyword(Keyword::Than) =>
            {
                None
            }
            // A quoted date is accepted after `from` too (see `parse_date`).
            TokenKind::Keyword(Keyword::From)
                if matches!(self.peek_nth(1), TokenKind::DateTime(_) | TokenKind::Str(_)) =>
            {
                None
            }
            TokenKind::Keyword(keyword) => Some(keyword.as_str().to_string()),
            _ => None,
        }
    }

    /// `in last 7d`, the cursor on `in`.
    fn parse_last(&mut self) -> Option<Window> {
        let start = self.bump().span.start;
        if !self.eat_kw(Keyword::Last) {
            let hint = match self.peek() {
                TokenKind::Duration(d) => format!("write `in last {d}`"),
                _ => "a window reads `in last 7d`; to use `in` in an event name, quote the name: `\"Sign in\"`".into(),
            };
            self.expected("`last` after `in`", Some(hint));
            return None;
        }
        let duration = self.parse_duration("`in last`")?;
        if duration.amount == 0 {
            self.report(
                Diagnostic::warning(
                    self.span_from(start),
                    format!("`in last {duration}` matches no events"),
                )
                .with_hint("the window holds events of the last d: `at - d < ts <= at`"),
            );
        }
        Some(Window::Last(duration))
    }

    /// `from 2026-01-01 to 2026-02-01`, the cursor on `from`.
    fn parse_range(&mut self) -> Option<Window> {
        let start = self.bump().span.start;
        let from = self.parse_date("`from`");
        if !self.eat_kw(Keyword::To) {
            self.expected(
                "`to` after the start date",
                Some("a range reads `from 2026-01-01 to 2026-02-01`".into()),
            );
            return None;
        }
        let to = self.parse_date("`to`");
        let (from, to) = (from?, to?);
        if from >= to {
            self.report(
                Diagnostic::warning(self.span_from(start), "this time range is empty").with_hint(
                    "`from` is inclusive and `to` exclusive; put the earlier date first",
                ),
            );
        }
        Some(Window::Range { from, to })
    }

    fn parse_date(&mut self, after: &str) -> Option<Millis> {
        let what = format!("a date such as `2026-01-01` after {after}");
        let hint = "write a date as 2026-10-01 or a date-time as 2026-10-01T12:00:00Z";
        match self.peek().clone() {
            TokenKind::DateTime(ms) => {
                self.bump();
                Some(ms)
            }
            // A quoted date is unambiguous, so it is accepted as written.
            TokenKind::Str(s) if parse_timestamp(&s).is_some() => {
                self.bump();
                parse_timestamp(&s)
            }
            TokenKind::Error => {
                self.bump();
                None
            }
            TokenKind::Word(_)
            | TokenKind::Str(_)
            | TokenKind::Number(_)
            | TokenKind::Duration(_) => {
                self.expected(&what, Some(hint.into()));
                self.bump();
                None
            }
            _ => {
                self.expected(&what, Some(hint.into()));
                None
            }
        }
    }

    fn parse_duration(&mut self, after: &str) -> Option<Duration> {
        let what = format!("a duration such as `7d` after {after}");
        match self.peek().clone() {
            TokenKind::Duration(d) => {
                self.bump();
                Some(d)
            }
            TokenKind::Error => {
                self.bump();
                None
            }
            TokenKind::Number(_) => {
                let number = self.snippet(self.span());
                self.expected(
                    &what,
                    Some(format!("write the unit right after the number, e.g. `{number}d`; units are s, m, h, d, w")),
                );
                self.bump();
                None
            }
            _ => {
                self.expected(
                    &what,
                    Some("a duration is a whole number and a unit: 30m, 12h, 7d, 2w".into()),
                );
                None
            }
        }
    }

    /// `more than 30d ago` / `less than 30d ago`.
    fn parse_ago(&mut self, func: &str) -> Option<(AgoRelation, Duration)> {
        let example = format!("for example `{func}(Order Completed) more than 30d ago`");
        let (relation, word) = match self.peek() {
            TokenKind::Keyword(Keyword::More) => (AgoRelation::MoreThan, "more"),
            TokenKind::Keyword(Keyword::Less) => (AgoRelation::LessThan, "less"),
            _ => {
                self.expected(
                    &format!("`more than` or `less than` after `{func}(...)`"),
                    Some(example),
                );
                return None;
            }
        };
        self.bump();
        if !self.eat_kw(Keyword::Than) {
            self.expected(&format!("`than` after `{word}`"), Some(example));
            return None;
        }
        let ago = self.parse_duration(&format!("`{word} than`"))?;
        if !self.eat_kw(Keyword::Ago) {
            self.expected("`ago` after the duration", Some(example));
            return None;
        }
        Some((relation, ago))
    }

    /// The comparison after `count(...)` or an aggregate: `>= 3` or `between 2 and 5`.
    fn parse_num_cmp(&mut self, what: &str, is_count: bool) -> Option<NumCmp> {
        let expected = format!("a comparison such as `>= 3` after {what}");
        match self.peek().clone() {
            TokenKind::Op(op) => {
                let start = self.bump().span.start;
                let value = self.parse_number(&format!("`{op}`"))?;
                if is_count {
                    self.lint_count_compare(self.span_from(start), op, value);
                }
                Some(NumCmp::Compare { op, value })
            }
            TokenKind::Keyword(Keyword::Between) => {
                let start = self.bump().span.start;
                let low = self.parse_number("`between`");
                if !self.at_kw(Keyword::And) {
                    self.expected(
                        "`and` between the two bounds",
                        Some("`between` takes two bounds: `between 2 and 5`".into()),
                    );
                    return None;
                }
                self.bump();
                let high = self.parse_number("`and`");
                let (low, high) = (low?, high?);
                let span = self.span_from(start);
                if low > high {
                    self.warn_empty_range(span, &low.to_string(), &high.to_string());
                } else if is_count && high < 0.0 {
                    self.report(
                        Diagnostic::warning(
                            span,
                            "this comparison is always false: a count is never negative",
                        )
                        .with_hint("counts are 0 or more"),
                    );
                }
                Some(NumCmp::Between { low, high })
            }
            TokenKind::Number(_) => {
                let number = self.snippet(self.span());
                self.expected(
                    &expected,
                    Some(format!("add an operator before the number: `>= {number}`")),
                );
                self.bump();
                None
            }
            _ => {
                self.expected(
                    &expected,
                    Some(
                        "compare with `=`, `!=`, `<`, `<=`, `>`, `>=` or `between 2 and 5`".into(),
                    ),
                );
                None
            }
        }
    }

    fn parse_number(&mut self, after: &str) -> Option<f64> {
        let what = format!("a number after {after}");
        match self.peek().clone() {
            TokenKind::Number(n) => {
                self.bump();
                Some(n)
            }
            TokenKind::Error => {
                self.bump();
                None
            }
            TokenKind::Str(s) => {
                let hint = if s.trim().parse::<f64>().is_ok() {
                    "remove the quotes"
                } else {
                    "counts and aggregates are compared with numbers"
                };
                self.expected(&what, Some(hint.into()));
                self.bump();
                None
            }
            TokenKind::Word(_)
            | TokenKind::Duration(_)
            | TokenKind::DateTime(_)
            | TokenKind::Keyword(Keyword::True | Keyword::False) => {
                self.expected(&what, None);
                self.bump();
                None
            }
            _ => {
                self.expected(&what, None);
                None
            }
        }
    }

    /// Counts are whole numbers of at least 0; a comparison written as if they were not is
    /// almost certainly a mistake, though a harmless one.
    fn lint_count_compare(&mut self, span: Span, op: CmpOp, value: f64) {
        let warning = if value < 0.0 {
            let always = op.holds(Ordering::Greater);
            Diagnostic::warning(
                span,
                format!("this comparison is always {always}: a count is never negative"),
            )
            .with_hint("counts are 0 or more")
        } else if value.fract() != 0.0 {
            match op {
                CmpOp::Eq | CmpOp::Ne => Diagnostic::warning(
                    span,
                    format!(
                        "this comparison is always {}: a count is a whole number",
                        op == CmpOp::Ne
                    ),
                )
                .with_hint("compare with a whole number"),
                CmpOp::Gt | CmpOp::Ge => Diagnostic::warning(
                    span,
                    format!(
                        "a count is a whole number, so `{op} {value}` means `>= {}`",
                        value.ceil()
                    ),
                )
                .with_hint(format!("write `>= {}`", value.ceil())),
                CmpOp::Lt | CmpOp::Le => Diagnostic::warning(
                    span,
                    format!(
                        "a count is a whole number, so `{op} {value}` means `<= {}`",
                        value.floor()
                    ),
                )
                .with_hint(format!("write `<= {}`", value.floor())),
            }
        } else {
            return;
        };
        self.report(warning);
    }
}

/// What a call's parentheses held: one query (with an aggregate's property), or a sequence.
enum CallBody {
    Query(EventQuery, Option<String>),
    Sequence(SequenceCond),
}
