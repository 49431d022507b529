//! Diagnostics: what went wrong where, with a hint, rendered one-line or with the source shown.

use std::fmt;

use ariadne::{CharSet, Config, Label, Report, ReportKind, Source};
use serde::{Deserialize, Serialize};

use crate::ast::Span;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Severity {
    /// The segment cannot be evaluated (or would not mean what was written).
    Error,
    /// The segment is valid but probably not what was meant.
    Warning,
}

impl Severity {
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Error => "error",
            Severity::Warning => "warning",
        }
    }
}

/// One problem found in a segment, located by a byte span of its source text.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Diagnostic {
    pub severity: Severity,
    pub span: Span,
    pub message: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub hint: Option<String>,
}

impl Diagnostic {
    pub fn error(span: Span, message: impl Into<String>) -> Diagnostic {
        Diagnostic {
            severity: Severity::Error,
            span,
            message: message.into(),
            hint: None,
        }
    }

    pub fn warning(span: Span, message: impl Into<String>) -> Diagnostic {
        Diagnostic {
            severity: Severity::Warning,
            span,
            message: message.into(),
            hint: None,
        }
    }

    pub fn with_hint(mut self, hint: impl Into<String>) -> Diagnostic {
        self.hint = Some(hint.into());
        self
    }

    pub fn is_error(&self) -> bool {
        self.severity == Severity::Error
    }

    /// The 1-based line and column of the start of the span; columns count chars, not bytes,
    /// so that they match what an editor shows.
    pub fn line_col(&self, text: &str) -> (usize, usize) {
        line_col(text, self.span.start)
    }

    /// `name:line:col: error: message`, followed by `\n  hint: ...` when there is a hint.
    pub fn to_line(&self, source_name: &str, text: &str) -> String {
        let (line, col) = self.line_col(text);
        let mut out = format!(
            "{source_name}:{line}:{col}: {}: {}",
            self.severity.as_str(),
            self.message
        );
        if let Some(hint) = &self.hint {
            out.push_str("\n  hint: ");
            out.push_str(hint);
        }
        out
    }
}

/// `error: message (hint: ...)`. Without the source text there is no line and column; use
/// [`Diagnostic::to_line`] or [`render`] when the text is at hand.
impl fmt::Display for Diagnostic {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.severity.as_str(), self.message)?;
        if let Some(hint) = &self.hint {
            write!(f, " (hint: {hint})")?;
        }
        Ok(())
    }
}

/// True when any diagnostic is an error (warnings do not stop a segment from being used).
pub fn has_errors(diagnostics: &[Diagnostic]) -> bool {
    diagnostics.iter().any(Diagnostic::is_error)
}

/// 1-based line and char column of byte `offset` in `text` (clamped to the text).
pub(crate) fn line_col(text: &str, offset: usize) -> (usize, usize) {
    let offset = floor_char_boundary(text, offset);
    let before = &text[..offset];
    let line = before.matches('\n').count() + 1;
    let line_start = before.rfind('\n').map_or(0, |i| i + 1);
    (line, before[line_start..].chars().count() + 1)
}

fn floor_char_boundary(text: &str, offset: usize) -> usize {
    let mut offset = offset.min(text.len());
    while !text.is_char_boundary(offset) {
        offset -= 1;
    }
    offset
}

/// Renders every diagnostic with the offending source line and a caret underline, without
/// colour so the output is the same on a terminal, in a log and in a test expectation.
pub fn render(diagnostics: &[Diagnostic], source_name: &str, text: &str) -> String {
    // ariadne counts in chars; a trailing space gives "end of input" a column to point at.
    let padded = format!("{text} ");
    let source = Source::from(padded.as_str());
    let config = Config::default()
        .with_color(false)
        .with_char_set(CharSet::Ascii);
    let mut out = Vec::new();
    for diagnostic in diagnostics {
        let range = char_range(text, diagnostic.span);
        let kind = match diagnostic.severity {
            Severity::Error => ReportKind::Error,
            Severity::Warning => ReportKind::Warning,
        };
        let mut report = Report::build(kind, (source_name, range.clone()))
            .with_config(config)
            .with_message(&diagnostic.message)
            .with_label(Label::new((source_name, range)).with_message(&diagnostic.message));
        if let Some(hint) = &diagnostic.hint {
            report = report.with_help(hint);
        }
        // Writing into a Vec cannot fail; a failure would only lose this one report.
        let _ = report.finish().write((source_name, &source), &mut out);
    }
    // ariadne pads lines with spaces; trailing whitespace is noise in logs and expectations.
    String::from_utf8_lossy(&out)
        .lines()
        .map(str::trim_end)
        .fold(String::new(), |mut s, l| {
            s.push_str(l);
            s.push('\n');
            s
        })
}

/// The char range ariadne underlines for a byte span: clamped to the text, and never empty,
/// because an empty label draws no caret (a point such as "end of input" gets one column).
fn char_range(text: &str, span: Span) -> std::ops::Range<usize> {
    let start = floor_char_boundary(text, span.start);
    let end = floor_char_boundary(text, span.end.max(start));
    let char_start = text[..start].chars().count();
    let char_len = text[start..end].chars().count().max(1);
    char_start..char_start + char_len
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn line_col_counts_chars_from_one() {
        let text = "a = 1\nbé = \"x\" and";
        assert_eq!(line_col(text, 0), (1, 1));
        assert_eq!(line_col(text, 6), (2, 1));
        // `=` after the two-byte `é` is the fourth char of line 2.
        assert_eq!(line_col(text, 10), (2, 4));
        assert_eq!(line_col(text, 999), (2, 13));
    }

    #[test]
    fn one_line_form_names_the_place_and_hint() {
        let d = Diagnostic::error(Span::new(4, 5), "bad").with_hint("fix it");
        assert_eq!(
            d.to_line("seg", "abc\nxyz"),
            "seg:2:1: error: bad\n  hint: fix it"
        );
        assert_eq!(d.to_string(), "error: bad (hint: fix it)");
    }
}
