//! The lexer: segment text to tokens, reporting (not stopping at) malformed tokens.
//!
//! Numbers, durations and date-times all start with a digit, so the lexer reads one
//! "numeric run" and then decides what it is; this keeps `7x` one token with one precise
//! error instead of a number followed by a stray word.

use tessera_model::{parse_timestamp, Millis};

use crate::ast::{CmpOp, DistanceUnit, Duration, DurationUnit, GeoDistance, Span};
use crate::diagnostic::Diagnostic;

/// The reserved words. They are lowercase and case-sensitive: `AND` is an ordinary word.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Keyword {
    And,
    Or,
    Not,
    Between,
    In,
    Contains,
    StartsWith,
    Exists,
    Is,
    Null,
    True,
    False,
    Did,
    Count,
    Sum,
    Avg,
    Min,
    Max,
    First,
    Last,
    More,
    Less,
    Than,
    Ago,
    Where,
    From,
    To,
    Within,
}

impl Keyword {
    pub(crate) const ALL: [Keyword; 28] = [
        Keyword::And,
        Keyword::Or,
        Keyword::Not,
        Keyword::Between,
        Keyword::In,
        Keyword::Contains,
        Keyword::StartsWith,
        Keyword::Exists,
        Keyword::Is,
        Keyword::Null,
        Keyword::True,
        Keyword::False,
        Keyword::Did,
        Keyword::Count,
        Keyword::Sum,
        Keyword::Avg,
        Keyword::Min,
        Keyword::Max,
        Keyword::First,
        Keyword::Last,
        Keyword::More,
        Keyword::Less,
        Keyword::Than,
        Keyword::Ago,
        Keyword::Where,
        Keyword::From,
        Keyword::To,
        Keyword::Within,
    ];

    pub(crate) fn as_str(self) -> &'static str {
        match self {
            Keyword::And => "and",
            Keyword::Or => "or",
            Keyword::Not => "not",
            Keyword::Between => "between",
            Keyword::In => "in",
            Keyword::Contains => "contains",
            Keyword::StartsWith => "starts_with",
            Keyword::Exists => "exists",
            Keyword::Is => "is",
            Keyword::Null => "null",
            Keyword::True => "true",
            Keyword::False => "false",
            Keyword::Did => "did",
            Keyword::Count => "count",
            Keyword::Sum => "sum",
            Keyword::Avg => "avg",
            Keyword::Min => "min",
            Keyword::Max => "max",
            Keyword::First => "first",
            Keyword::Last => "last",
            Keyword::More => "more",
            Keyword::Less => "less",
            Keyword::Than => "than",
            Keyword::Ago => "ago",
            Keyword::Where => "where",
            Keyword::From => "from",
            Keyword::To => "to",
            Keyword::Within => "within",
        }
    }

    pub(crate) fn from_word(word: &str) -> Option<Keyword> {
        Keyword::ALL.into_iter().find(|k| k.as_str() == word)
    }
}

/// True for every reserved word of the language; such words must be quoted to be used as
/// a trait, property or event name.
pub fn is_keyword(word: &str) -> bool {
    Keyword::from_word(word).is_some()
}

/// Whether `c` can start a bare word (a name part). Digits cannot: they start numbers.
pub(crate) fn is_word_start(c: char) -> bool {
    c.is_alphabetic() || c == '_'
}

pub(crate) fn is_word_continue(c: char) -> bool {
    c.is_alphanumeric() || c == '_' || c == '-'
}

/// Whether `text` lexes as exactly one bare word (keyword or not).
pub(crate) fn is_word(text: &str) -> bool {
    let mut chars = text.chars();
    chars.next().is_some_and(is_word_start) && chars.all(is_word_continue)
}

#[derive(Debug, Clone, PartialEq)]
pub(crate) enum TokenKind {
    /// A bare word that is not a keyword.
    Word(String),
    Keyword(Keyword),
    /// A string literal, escapes resolved.
    Str(String),
    Number(f64),
    Duration(Duration),
    /// A distance written without a space: `5km`, `3mi` (`500m` is minutes; metres are
    /// written `500 m`).
    Distance(GeoDistance),
    DateTime(Millis),
    Op(CmpOp),
    LParen,
    RParen,
    Comma,
    Dot,
    /// A malformed token that the lexer has already reported; the parser stays quiet about it.
    Error,
    Eof,
}

#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Token {
    pub kind: TokenKind,
    pub span: Span,
}

/// Splits `text` into tokens ending with one `Eof`; malformed input becomes `Error` tokens
/// and diagnostics, never a failure.
pub(crate) fn lex(text: &str) -> (Vec<Token>, Vec<Diagnostic>) {
    let mut lexer = Lexer {
        text,
        pos: 0,
        tokens: Vec::new(),
        diagnostics: Vec::new(),
    };
    lexer.run();
    (lexer.tokens, lexer.diagnostics)
}

struct Lexer<'a> {
    text: &'a str,
    pos: usize,
    tokens: Vec<Token>,
    diagnostics: Vec<Diagnostic>,
}

impl Lexer<'_> {
    fn peek(&self) -> Option<char> {
        self.text[self.pos..].chars().next()
    }

    fn peek_at(&self, n: usize) -> Option<char> {
        self.text[self.pos..].chars().nth(n)
    }

    fn push(&mut self, kind: TokenKind, start: usize) {
        self.tokens.push(Token {
            kind,
            span: Span::new(start, self.pos),
        });
    }

    fn run(&mut self) {
        while let Some(c) = self.peek() {
            let start = self.pos;
            if c.is_whitespace() {
                self.pos += c.len_utf8();
            } else if c == '#' {
                self.pos = self.text[start..]
                    .find('\n')
                    .map_or(self.text.len(), |i| start + i);
            } else if is_word_start(c) {
                self.word(start);
            } else if c.is_ascii_digit()
                || (c == '-' && self.peek_at(1).is_some_and(|d| d.is_ascii_digit()))
            {
                self.numeric(start);
            } else if c == '"' || c == '\'' {
                self.string(start, c);
            } else {
                self.punctuation(start, c);
            }
        }
        // "Expected ... found the end" points just after the last token, not at trailing
        // blank lines or comments, which is where the missing text belongs.
        let end = self.tokens.last().map_or(0, |t| t.span.end);
        self.tokens.push(Token {
            kind: TokenKind::Eof,
            span: Span::new(end, end),
        });
    }

    fn word(&mut self, start: usize) {
        let len = self.text[start..]
            .find(|c| !is_word_continue(c))
            .unwrap_or(self.text.len() - start);
        self.pos = start + len;
        let word = &self.text[start..self.pos];
        let kind = match Keyword::from_word(word) {
            Some(k) => TokenKind::Keyword(k),
            None => TokenKind::Word(word.to_string()),
        };
        self.push(kind, start);
    }

    /// A run of characters that can occur in a number, duration or date-time
    /// (`-12.5`, `1e21`, `7d`, `2026-10-01T12:00:00.250+02:00`), classified as a whole.
    fn numeric(&mut self, start: usize) {
        let len = self.text[start + 1..]
            .find(|c: char| !(c.is_alphanumeric() || matches!(c, '_' | '.' | ':' | '+' | '-')))
            .map_or(self.text.len() - start, |i| i + 1);
        self.pos = start + len;
        let run = &self.text[start..self.pos];
        let span = Span::new(start, self.pos);
        let kind = match classify_numeric(run) {
            Ok(kind) => kind,
            Err(diagnostic) => {
                self.diagnostics.push(diagnostic.at(span));
                TokenKind::Error
            }
        };
        self.push(kind, start);
    }

    fn string(&mut self, start: usize, quote: char) {
        self.pos += 1;
        let mut value = String::new();
        let mut ok = true;
        loop {
            let Some(c) = self.peek() else {
                self.unterminated(start);
                ok = false;
                break;
            };
            if c == '\n' {
                self.unterminated(start);
                ok = false;
                break;
            }
            self.pos += c.len_utf8();
            match c {
                c if c == quote => break,
                '\\' => match self.escape() {
                    Some(e) => value.push(e),
                    None => ok = false,
                },
                c => value.push(c),
            }
        }
        if quote == '\'' {
            self.diagnostics.push(
                Diagnostic::error(
                    Span::new(start, self.pos),
                    "strings are written in double quotes",
                )
                .with_hint(format!("write `{}`", crate::display::quote(&value))),
            );
            ok = false;
        }
        self.push(
            if ok {
                TokenKind::Str(value)
            } else {
                TokenKind::Error
            },
            start,
        );
    }

    fn unterminated(&mut self, start: usize) {
        self.diagnostics.push(
            Diagnostic::error(Span::new(start, self.pos), "unterminated string")
                .with_hint("add a closing \""),
        );
    }

    /// Reads the escape after a backslash; `None` (reported) when it is not one we know.
    fn escape(&mut self) -> Option<char> {
        let start = self.pos - 1;
        let c = self.peek()?;
        if c == '\n' {
            return None;
        }
        self.pos += c.len_utf8();
        let simple = match c {
            '"' => Some('"'),
            '\\' => Some('\\'),
            '\'' => Some('\''),
            'n' => Some('\n'),
            't' => Some('\t'),
            'r' => Some('\r'),
            '0' => Some('\0'),
            _ => None,
        };
        if simple.is_some() {
            return simple;
        }
        if c == 'u' && self.peek() == Some('{') {
            let rest = &self.text[self.pos + 1..];
            if let Some(close) = rest.find('}').filter(|&i| i <= 6) {
                let code = u32::from_str_radix(&rest[..close], 16)
                    .ok()
                    .and_then(char::from_u32);
                self.pos += close + 2;
                if code.is_none() {
                    self.diagnostics.push(
                        Diagnostic::error(Span::new(start, self.pos), "invalid unicode escape")
                            .with_hint(
                                "write 1 to 6 hex digits of a Unicode scalar value, e.g. \\u{e9}",
                            ),
                    );
                }
                return code;
            }
        }
        self.diagnostics.push(
            Diagnostic::error(
                Span::new(start, self.pos),
                format!("unknown escape `\\{c}`"),
            )
            .with_hint(r#"escapes are \" \\ \n \t \r and \u{...}"#),
        );
        None
    }

    fn punctuation(&mut self, start: usize, c: char) {
        let next = self.peek_at(1);
        let (kind, len, complaint) = match (c, next) {
            ('(', _) => (TokenKind::LParen, 1, None),
            (')', _) => (TokenKind::RParen, 1, None),
            (',', _) => (TokenKind::Comma, 1, None),
            ('.', _) => (TokenKind::Dot, 1, None),
            ('=', Some('=')) => (TokenKind::Op(CmpOp::Eq), 2, None),
            ('=', _) => (TokenKind::Op(CmpOp::Eq), 1, None),
            ('!', Some('=')) => (TokenKind::Op(CmpOp::Ne), 2, None),
            ('<', Some('>')) => (TokenKind::Op(CmpOp::Ne), 2, None),
            ('<', Some('=')) => (TokenKind::Op(CmpOp::Le), 2, None),
            ('<', _) => (TokenKind::Op(CmpOp::Lt), 1, None),
            ('>', Some('=')) => (TokenKind::Op(CmpOp::Ge), 2, None),
            ('>', _) => (TokenKind::Op(CmpOp::Gt), 1, None),
            // Operators from other languages: read them as meant, but say how to write them.
            ('&', Some('&')) => (TokenKind::Keyword(Keyword::And), 2, Some("and")),
            ('&', _) => (TokenKind::Keyword(Keyword::And), 1, Some("and")),
            ('|', Some('|')) => (TokenKind::Keyword(Keyword::Or), 2, Some("or")),
            ('|', _) => (TokenKind::Keyword(Keyword::Or), 1, Some("or")),
            ('!', _) => (TokenKind::Keyword(Keyword::Not), 1, Some("not")),
            _ => (TokenKind::Error, c.len_utf8(), None),
        };
        self.pos = start + len;
        let span = Span::new(start, self.pos);
        let written = &self.text[start..self.pos];
        if let Some(word) = complaint {
            self.diagnostics.push(
                Diagnostic::error(
                    span,
                    format!("`{written}` is not an operator of this language"),
                )
                .with_hint(format!("write `{word}`")),
            );
        } else if kind == TokenKind::Error {
            self.diagnostics.push(Diagnostic::error(
                span,
                format!("unexpected character `{}`", c.escape_debug()),
            ));
        }
        self.push(kind, start);
    }
}

/// What a numeric run failed to be; the span is attached by the caller.
struct NumericError {
    message: String,
    hint: Option<String>,
}

impl NumericError {
    fn new(message: String, hint: Option<&str>) -> NumericError {
        NumericError {
            message,
            hint: hint.map(String::from),
        }
    }

    fn at(self, span: Span) -> Diagnostic {
        let d = Diagnostic::error(span, self.message);
        match self.hint {
            Some(hint) => d.with_hint(hint),
            None => d,
        }
    }
}

fn classify_numeric(run: &str) -> Result<TokenKind, NumericError> {
    let unsigned = run.strip_prefix('-').unwrap_or(run);
    if is_date_like(unsigned) {
        if run.starts_with('-') {
            return Err(NumericError::new(
                format!("`{run}` is not a date"),
                Some("remove the `-`"),
            ));
        }
        return parse_timestamp(run)
            .map(TokenKind::DateTime)
            .ok_or_else(|| {
                NumericError::new(
                    format!("`{run}` is not a valid date or date-time"),
                    Some("write a date as 2026-10-01 or a date-time as 2026-10-01T12:00:00Z"),
                )
            });
    }
    if is_decimal(unsigned) {
        return match run.parse::<f64>() {
            Ok(n) if n.is_finite() => Ok(TokenKind::Number(n)),
            _ => Err(NumericError::new(
                format!("the number `{run}` is too large"),
                None,
            )),
        };
    }
    let digits = unsigned
        .find(|c: char| !c.is_ascii_digit())
        .unwrap_or(unsigned.len());
    let suffix = &unsigned[digits..];
    if digits > 0 && matches!(suffix, "km" | "mi") && !run.starts_with('-') {
        if let (Ok(amount), Some(unit)) = (
            unsigned[..digits].parse::<f64>(),
            DistanceUnit::from_word(suffix),
        ) {
            return Ok(TokenKind::Distance(GeoDistance { amount, unit }));
        }
    }
    if digits > 0 && suffix.chars().all(|c| c.is_ascii_alphabetic()) {
        let Some(unit) = DurationUnit::from_suffix(suffix) else {
            return Err(NumericError::new(
                format!("unknown unit `{suffix}` in `{run}`"),
                Some("time units are s, m, h, d, w; distances are written `5 km`, `3 mi`, `800 m`"),
            ));
        };
        if run.starts_with('-') {
            return Err(NumericError::new(
                format!("the duration `{run}` is negative"),
                Some("durations count back from now: write `in last 7d`, `more than 30d ago`"),
            ));
        }
        return match unsigned[..digits].parse::<u64>() {
            Ok(amount) => Ok(TokenKind::Duration(Duration { amount, unit })),
            Err(_) => Err(NumericError::new(
                format!("the duration `{run}` is too long"),
                None,
            )),
        };
    }
    Err(NumericError::new(
        format!("`{run}` is not a number, duration or date"),
        Some("numbers look like 42, -1.5 or 1e6; durations like 7d; dates like 2026-10-01"),
    ))
}

/// `YYYY-MM-DD` at the start: the run is meant as a date, valid or not.
fn is_date_like(run: &str) -> bool {
    let b = run.as_bytes();
    b.len() >= 10
        && b[..4].iter().all(u8::is_ascii_digit)
        && b[4] == b'-'
        && b[5..7].iter().all(u8::is_ascii_digit)
        && b[7] == b'-'
        && b[8..10].iter().all(u8::is_ascii_digit)
}

/// `digits ["." digits] [("e"|"E") ["+"|"-"] digits]`: what Rust prints for an f64 and more.
fn is_decimal(s: &str) -> bool {
    fn digits(s: &str) -> (&str, bool) {
        let n = s.find(|c: char| !c.is_ascii_digit()).unwrap_or(s.len());
        (&s[n..], n > 0)
    }
    let (rest, ok) = digits(s);
    if !ok {
        return false;
    }
    let rest = match rest.strip_prefix('.') {
        Some(frac) => match digits(frac) {
            (rest, true) => rest,
            _ => return false,
        },
        None => rest,
    };
    match rest.strip_prefix(['e', 'E']) {
        Some(exp) => {
            let exp = exp.strip_prefix(['+', '-']).unwrap_or(exp);
            matches!(digits(exp), ("", true))
        }
        None => rest.is_empty(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn kinds(text: &str) -> Vec<TokenKind> {
        let (tokens, diagnostics) = lex(text);
        assert!(diagnostics.is_empty(), "{diagnostics:?}");
        tokens.into_iter().map(|t| t.kind).collect()
    }

    #[test]
    fn numeric_runs_become_numbers_durations_and_dates() {
        use TokenKind::*;
        assert_eq!(
            kinds("-5 0.1 1e21 1000000000000000000000 7d 2026-01-01"),
            vec![
                Number(-5.0),
                Number(0.1),
                Number(1e21),
                Number(1e21),
                Duration(crate::ast::Duration {
                    amount: 7,
                    unit: DurationUnit::Days
                }),
                DateTime(parse_timestamp("2026-01-01").unwrap_or_default()),
                Eof
            ]
        );
    }

    #[test]
    fn strings_resolve_escapes_and_comments_are_skipped() {
        use TokenKind::*;
        assert_eq!(
            kinds(r#""a\"b\\\n\u{1F600}" # comment ( "#),
            vec![Str("a\"b\\\n\u{1F600}".into()), Eof]
        );
    }

    #[test]
    fn bad_unit_is_one_token_with_one_error() {
        let (tokens, diagnostics) = lex("in last 7x)");
        assert_eq!(tokens[2].kind, TokenKind::Error);
        assert_eq!((tokens[2].span.start, tokens[2].span.end), (8, 10));
        assert_eq!(diagnostics.len(), 1);
        assert_eq!(
            diagnostics[0].hint.as_deref(),
            Some("time units are s, m, h, d, w; distances are written `5 km`, `3 mi`, `800 m`")
        );
    }

    #[test]
    fn spans_cover_tokens() {
        let (tokens, _) = lex("ab >= \"é\"");
        let spans: Vec<(usize, usize)> =
            tokens.iter().map(|t| (t.span.start, t.span.end)).collect();
        assert_eq!(spans, vec![(0, 2), (3, 5), (6, 10), (10, 10)]);
        let (tokens, _) = lex("a # trailing comment\n\n");
        assert_eq!((tokens[1].span.start, tokens[1].span.end), (1, 1));
    }
}
