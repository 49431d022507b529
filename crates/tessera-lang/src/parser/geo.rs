//! Geographic tests and segment references: `home within 5 mi of place "downtown"`,
//! `within 3 km of any place tagged "store"`, `within 800 m of point(41.88, -87.63)`, and
//! `in segment "vip"`.
//!
//! `of`, `place`, `any`, `tagged`, `point` and `segment` are read by position only, so they
//! stay usable as trait and event names; only `within` is a keyword.

use super::Parser;
use crate::ast::{DistanceUnit, Expr, GeoDistance, GeoTarget, SegmentRef, ValueTest};
use crate::lexer::{Keyword, TokenKind};

impl Parser<'_> {
    /// After `within`: `DISTANCE of TARGET`.
    pub(super) fn parse_within(&mut self) -> Option<ValueTest> {
        let distance = self.parse_distance()?;
        if !self.eat_word("of") {
            self.expected(
                "`of` after the distance",
                Some("write `within 5 mi of place \"downtown\"`".into()),
            );
            return None;
        }
        let of = self.parse_geo_target()?;
        Some(ValueTest::Within { distance, of })
    }

    fn parse_distance(&mut self) -> Option<GeoDistance> {
        const HINT: &str = "a distance is a number and a unit: `5 mi`, `3 km`, `800 m`";
        match self.peek().clone() {
            TokenKind::Distance(distance) => {
                self.bump();
                Some(distance)
            }
            TokenKind::Number(amount) if amount >= 0.0 => {
                self.bump();
                let unit = match self.peek() {
                    TokenKind::Word(w) => DistanceUnit::from_word(w),
                    _ => None,
                };
                let Some(unit) = unit else {
                    self.expected("a unit of distance (`m`, `km` or `mi`)", Some(HINT.into()));
                    return None;
                };
                self.bump();
                Some(GeoDistance { amount, unit })
            }
            TokenKind::Duration(_) => {
                self.expected(
                    "a distance",
                    Some(
                        "`m` after a number is minutes; write metres with a space: `800 m`".into(),
                    ),
                );
                None
            }
            _ => {
                self.expected("a distance", Some(HINT.into()));
                None
            }
        }
    }

    fn parse_geo_target(&mut self) -> Option<GeoTarget> {
        const HINT: &str =
            "measure to `place \"downtown\"`, `any place tagged \"store\"` or `point(41.88, -87.63)`";
        if self.eat_word("place") {
            return self
                .parse_string("a place name in quotes")
                .map(GeoTarget::Place);
        }
        if self.eat_word("any") {
            if !(self.eat_word("place") && self.eat_word("tagged")) {
                self.expected("`place tagged` after `any`", Some(HINT.into()));
                return None;
            }
            return self.parse_string("a tag in quotes").map(GeoTarget::Tagged);
        }
        if self.eat_word("point") {
            if !self.at(&TokenKind::LParen) {
                self.expected("`(` after `point`", Some(HINT.into()));
                return None;
            }
            self.bump();
            let lat = self.parse_coordinate("the latitude")?;
            if !self.at(&TokenKind::Comma) {
                self.expected("`,` between latitude and longitude", None);
                return None;
            }
            self.bump();
            let lon = self.parse_coordinate("the longitude")?;
            if !self.at(&TokenKind::RParen) {
                self.expected("`)` after the longitude", None);
                return None;
            }
            self.bump();
            return Some(GeoTarget::Point { lat, lon });
        }
        self.expected("`place`, `any place tagged` or `point`", Some(HINT.into()));
        None
    }

    fn parse_coordinate(&mut self, what: &str) -> Option<f64> {
        match *self.peek() {
            TokenKind::Number(n) => {
                self.bump();
                Some(n)
            }
            _ => {
                self.expected(&format!("{what} in degrees"), None);
                None
            }
        }
    }

    fn parse_string(&mut self, what: &str) -> Option<String> {
        match self.peek().clone() {
            TokenKind::Str(s) => {
                self.bump();
                Some(s)
            }
            TokenKind::Word(w) => {
                self.expected(what, Some(format!("quote it: `\"{w}\"`")));
                None
            }
            _ => {
                self.expected(what, None);
                None
            }
        }
    }

    fn eat_word(&mut self, word: &str) -> bool {
        let found = matches!(self.peek(), TokenKind::Word(w) if w == word);
        if found {
            self.bump();
        }
        found
    }

    /// Whether the next tokens are `in segment`.
    pub(super) fn at_segment_ref(&self) -> bool {
        self.at_kw(Keyword::In) && matches!(self.peek_nth(1), TokenKind::Word(w) if w == "segment")
    }

    /// `in segment "name"`.
    pub(super) fn parse_segment_ref(&mut self) -> Expr {
        let start = self.span().start;
        self.bump();
        self.bump();
        match self.parse_string("a segment name in quotes") {
            Some(name) => Expr::InSegment(SegmentRef {
                name,
                span: self.span_from(start),
            }),
            None => {
                self.recover();
                Expr::Missing(self.span_from(start))
            }
        }
    }
}
