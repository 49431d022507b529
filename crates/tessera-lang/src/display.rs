//! The canonical text form: one `Display` per node, which the parser reads back to an equal tree.
//!
//! Parentheses are printed only where the tree needs them, and names are quoted only where a
//! bare name would not lex back as the same name. `and`/`or` nested directly in the same
//! operator keep their parentheses, because parsing never flattens through parentheses.

use std::fmt::{self, Display, Formatter};

use tessera_model::format_millis;

use crate::ast::*;
use crate::lexer::{is_keyword, is_word};

/// A string literal in double quotes, escaped so that the lexer reads back exactly `s`.
pub fn quote(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\t' => out.push_str("\\t"),
            '\r' => out.push_str("\\r"),
            c if c.is_control() => out.push_str(&format!("\\u{{{:x}}}", c as u32)),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// A trait or property name as written: bare when every dot-separated part is an ASCII
/// identifier and not a keyword (`address.city`), otherwise quoted (`"my trait"`). Keywords
/// count in any case here, because the parser reads a capitalised `NOT`/`AND`/`OR` as the
/// keyword the user most likely meant.
pub fn name_text(name: &str) -> String {
    let is_ident = |part: &str| {
        let mut chars = part.chars();
        chars
            .next()
            .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
            && chars.all(|c| c.is_ascii_alphanumeric() || c == '_')
    };
    if name
        .split('.')
        .all(|part| is_ident(part) && !is_keyword(&part.to_lowercase()))
    {
        name.to_string()
    } else {
        quote(name)
    }
}

/// An event name as written: bare when it is words separated by single spaces that the parser
/// reads back as one name (`Order Completed`, `Product Added to Cart`), otherwise quoted
/// (`"Sign in last"`, `"Page.Viewed"`, `"where"`). Inside a name, only `where`, `in last` and
/// a leading keyword would be read as something else.
pub fn event_name_text(name: &str) -> String {
    let words: Vec<&str> = name.split(' ').collect();
    let bare = words.iter().all(|word| is_word(word))
        && !is_keyword(words[0])
        && !words.contains(&"where")
        // Words that end a bare name in a sequence: `then`, `within`, `not followed by`.
        && !words.iter().any(|w| matches!(*w, "then" | "within"))
        && !words.windows(2).any(|pair| pair == ["in", "last"] || pair == ["not", "followed"]);
    if bare {
        name.to_string()
    } else {
        quote(name)
    }
}

/// The boolean skeleton shared by [`Expr`] and [`PropFilter`], so both print alike.
enum Shape<'a, T> {
    And(&'a [T]),
    Or(&'a [T]),
    Not(&'a T),
    Leaf,
}

trait Boolean: Display + Sized {
    fn shape(&self) -> Shape<'_, Self>;
    fn fmt_leaf(&self, f: &mut Formatter<'_>) -> fmt::Result;
    /// The text of `not self` when the language has a closer way to say it.
    fn negated_leaf(&self) -> Option<String>;
}

/// `name not in (...)` and `name is not null` read better than `not name in (...)` and parse
/// to the same tree.
fn negated_test(cond: &TraitCond) -> Option<String> {
    match &cond.test {
        ValueTest::In { .. } => Some(format!("{} not {}", name_text(&cond.name), cond.test)),
        ValueTest::IsNull => Some(format!("{} is not null", name_text(&cond.name))),
        _ => None,
    }
}

/// Where a node is printed, which decides whether it needs parentheses.
#[derive(Clone, Copy, PartialEq)]
enum Place {
    Top,
    InOr,
    InAnd,
    InNot,
}

fn fmt_boolean<T: Boolean>(node: &T, place: Place, f: &mut Formatter<'_>) -> fmt::Result {
    let (items, op, inner) = match node.shape() {
        Shape::Leaf => return node.fmt_leaf(f),
        Shape::Not(inner) => {
            if let Some(sugar) = inner.negated_leaf() {
                return f.write_str(&sugar);
            }
            f.write_str("not ")?;
            return fmt_boolean(inner, Place::InNot, f);
        }
        Shape::And(items) => (items, " and ", Place::InAnd),
        Shape::Or(items) => (items, " or ", Place::InOr),
    };
    if items.is_empty() {
        // Only a hand-built or JSON tree can get here; `check` reports it.
        return f.write_str(if op == " and " {
            "<empty and>"
        } else {
            "<empty or>"
        });
    }
    let parens = match place {
        Place::Top => false,
        Place::InOr => op == " or ",
        Place::InAnd | Place::InNot => true,
    };
    if parens {
        f.write_str("(")?;
    }
    for (i, item) in items.iter().enumerate() {
        if i > 0 {
            f.write_str(op)?;
        }
        fmt_boolean(item, inner, f)?;
    }
    if parens {
        f.write_str(")")?;
    }
    Ok(())
}

impl Boolean for Expr {
    fn shape(&self) -> Shape<'_, Self> {
        match self {
            Expr::And(items) => Shape::And(items),
            Expr::Or(items) => Shape::Or(items),
            Expr::Not(inner) => Shape::Not(inner),
            _ => Shape::Leaf,
        }
    }

    fn negated_leaf(&self) -> Option<String> {
        match self {
            Expr::Trait(cond) => negated_test(cond),
            _ => None,
        }
    }

    fn fmt_leaf(&self, f: &mut Formatter<'_>) -> fmt::Result {
        match self {
            Expr::Trait(cond) => cond.fmt(f),
            Expr::Did(query) => write!(f, "did({query})"),
            Expr::Count(cond) => cond.fmt(f),
            Expr::Aggregate(cond) => cond.fmt(f),
            Expr::Recency(cond) => cond.fmt(f),
            Expr::Value(cond) => cond.fmt(f),
            Expr::InSegment(reference) => write!(f, "in segment {}", quote(&reference.name)),
            Expr::Sequence(cond) => {
                let link = if cond.followed {
                    "then"
                } else {
                    "not followed by"
                };
                write!(
                    f,
                    "did({} {link} {} within {}",
                    cond.first, cond.second, cond.within
                )?;
                for (i, name) in cond.same.iter().enumerate() {
                    f.write_str(if i == 0 { " with same " } else { ", " })?;
                    f.write_str(&name_text(name))?;
                }
                f.write_str(")")
            }
            Expr::Missing(_) => f.write_str("<missing>"),
            Expr::And(_) | Expr::Or(_) | Expr::Not(_) => fmt_boolean(self, Place::Top, f),
        }
    }
}

impl Boolean for PropFilter {
    fn shape(&self) -> Shape<'_, Self> {
        match self {
            PropFilter::And(items) => Shape::And(items),
            PropFilter::Or(items) => Shape::Or(items),
            PropFilter::Not(inner) => Shape::Not(inner),
            _ => Shape::Leaf,
        }
    }

    fn negated_leaf(&self) -> Option<String> {
        match self {
            PropFilter::Test(cond) => negated_test(cond),
            _ => None,
        }
    }

    fn fmt_leaf(&self, f: &mut Formatter<'_>) -> fmt::Result {
        match self {
            PropFilter::Test(cond) => cond.fmt(f),
            PropFilter::Missing(_) => f.write_str("<missing>"),
            PropFilter::And(_) | PropFilter::Or(_) | PropFilter::Not(_) => {
                fmt_boolean(self, Place::Top, f)
            }
        }
    }
}

impl Display for Expr {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        fmt_boolean(self, Place::Top, f)
    }
}

impl Display for PropFilter {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        fmt_boolean(self, Place::Top, f)
    }
}

impl Display for TraitCond {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        write!(f, "{} {}", name_text(&self.name), self.test)
    }
}

impl Display for ValueTest {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        match self {
            ValueTest::Compare { op, value } => write!(f, "{op} {value}"),
            ValueTest::Between { low, high } => write!(f, "between {low} and {high}"),
            ValueTest::In { values } => {
                f.write_str("in (")?;
                for (i, value) in values.iter().enumerate() {
                    if i > 0 {
                        f.write_str(", ")?;
                    }
                    value.fmt(f)?;
                }
                f.write_str(")")
            }
            ValueTest::Contains { value } => write!(f, "contains {value}"),
            ValueTest::StartsWith { value } => write!(f, "starts_with {value}"),
            ValueTest::Exists => f.write_str("exists"),
            ValueTest::IsNull => f.write_str("is null"),
            ValueTest::Within { distance, of } => write!(f, "within {distance} of {of}"),
        }
    }
}

impl Display for GeoDistance {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        write!(f, "{} {}", self.amount, self.unit.as_str())
    }
}

impl Display for GeoTarget {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        match self {
            GeoTarget::Place(name) => write!(f, "place {}", quote(name)),
            GeoTarget::Tagged(tag) => write!(f, "any place tagged {}", quote(tag)),
            GeoTarget::Point { lat, lon } => write!(f, "point({lat}, {lon})"),
        }
    }
}

impl Display for Literal {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        match self {
            Literal::Bool(b) => write!(f, "{b}"),
            // `{}` is Rust's shortest round-trip form and never uses an exponent.
            Literal::Number(n) => write!(f, "{n}"),
            Literal::String(s) => f.write_str(&quote(s)),
            Literal::Timestamp { timestamp } => f.write_str(&format_millis(*timestamp)),
        }
    }
}

impl Display for EventQuery {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        f.write_str(&event_name_text(&self.event))?;
        self.fmt_rest(f)
    }
}

impl EventQuery {
    /// The part after the event name (and after `.property` in an aggregate).
    fn fmt_rest(&self, f: &mut Formatter<'_>) -> fmt::Result {
        if let Some(filter) = &self.filter {
            write!(f, " where {filter}")?;
        }
        if let Some(window) = &self.window {
            write!(f, " {window}")?;
        }
        Ok(())
    }
}

impl Display for Window {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        match self {
            Window::Last(d) => write!(f, "in last {d}"),
            Window::Range { from, to } => {
                write!(f, "from {} to {}", format_millis(*from), format_millis(*to))
            }
        }
    }
}

impl Display for NumCmp {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        match self {
            NumCmp::Compare { op, value } => write!(f, "{op} {value}"),
            NumCmp::Between { low, high } => write!(f, "between {low} and {high}"),
        }
    }
}

impl Display for CountCond {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        write!(f, "count({}) {}", self.query, self.cmp)
    }
}

impl Display for AggFunc {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl Display for AggregateCond {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}({}.{}",
            self.func,
            event_name_text(&self.query.event),
            name_text(&self.property)
        )?;
        self.query.fmt_rest(f)?;
        write!(f, ") {}", self.cmp)
    }
}

impl Display for ValueCond {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}({}.{}",
            self.func.as_str(),
            event_name_text(&self.query.event),
            name_text(&self.property)
        )?;
        self.query.fmt_rest(f)?;
        write!(f, ") {}", self.test)
    }
}

impl Display for Recency {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Recency::First => "first",
            Recency::Last => "last",
        })
    }
}

impl Display for AgoRelation {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            AgoRelation::MoreThan => "more than",
            AgoRelation::LessThan => "less than",
        })
    }
}

impl Display for RecencyCond {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}({}) {} {} ago",
            self.which, self.query, self.relation, self.ago
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quoting_escapes_what_the_lexer_needs() {
        assert_eq!(quote("a\"b\\c\nd\u{1}é"), r#""a\"b\\c\nd\u{1}é""#);
    }

    #[test]
    fn names_are_bare_only_when_they_lex_back() {
        assert_eq!(name_text("address.city"), "address.city");
        assert_eq!(name_text("my trait"), "\"my trait\"");
        assert_eq!(name_text("count"), "\"count\"");
        assert_eq!(name_text("Not"), "\"Not\"");
        assert_eq!(name_text("a..b"), "\"a..b\"");
        assert_eq!(event_name_text("Order Completed"), "Order Completed");
        assert_eq!(event_name_text("Sign in"), "Sign in");
        assert_eq!(
            event_name_text("Product Added to Cart"),
            "Product Added to Cart"
        );
        assert_eq!(event_name_text("Sign in last"), "\"Sign in last\"");
        assert_eq!(event_name_text("Filter where"), "\"Filter where\"");
        assert_eq!(event_name_text("in Store"), "\"in Store\"");
        assert_eq!(event_name_text("Sign-up 2"), "\"Sign-up 2\"");
        assert_eq!(event_name_text("Page  Viewed"), "\"Page  Viewed\"");
        assert_eq!(event_name_text(""), "\"\"");
    }
}
