//! Byte offsets in a text file turned into `file:line:col` diagnostics.

use std::ops::Range;

use crate::error::Diagnostic;

/// A named text with the offsets of its line starts.
#[derive(Debug, Clone)]
pub struct SourceText {
    /// The name shown in diagnostics (a path, or the bundled file's name).
    pub name: String,
    /// The whole text.
    pub text: String,
    line_starts: Vec<usize>,
}

impl SourceText {
    /// Indexes `text`, to be reported as `name`.
    pub fn new(name: impl Into<String>, text: impl Into<String>) -> Self {
        let text = text.into();
        Self {
            name: name.into(),
            line_starts: line_starts(&text),
            text,
        }
    }

    /// 1-based line and column (in characters) of byte `offset`.
    pub fn location(&self, offset: usize) -> (usize, usize) {
        let offset = offset.min(self.text.len());
        let line = self.line_starts.partition_point(|start| *start <= offset);
        let start = self.line_starts[line.saturating_sub(1)];
        let column = self
            .text
            .get(start..offset)
            .map_or(1, |s| s.chars().count() + 1);
        (line, column)
    }

    /// A diagnostic at the start of `span`.
    pub fn diagnostic(&self, span: Range<usize>, message: impl Into<String>) -> Diagnostic {
        let (line, column) = self.location(span.start);
        Diagnostic {
            file: self.name.clone(),
            line,
            column,
            message: message.into(),
        }
    }
}

/// Byte offsets of the starts of `text`'s lines: 0, then one past every `\n`.
pub(crate) fn line_starts(text: &str) -> Vec<usize> {
    std::iter::once(0)
        .chain(text.match_indices('\n').map(|(i, _)| i + 1))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn locations_are_one_based_lines_and_character_columns() {
        let text = SourceText::new("f.toml", "a = 1\nbé = 2\n");
        assert_eq!(text.location(0), (1, 1));
        assert_eq!(text.location(4), (1, 5));
        assert_eq!(text.location(6), (2, 1));
        // `=` after the two-byte `é` is the fourth character of line 2.
        assert_eq!(text.location(10), (2, 4));
        assert_eq!(text.diagnostic(6..7, "bad").to_string(), "f.toml:2:1: bad");
    }
}
