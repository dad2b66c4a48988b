//! The bundled documentation dataset (`metadata/docs.json`), read.

use crate::error::{Diagnostic, Error, Result};
use crate::model::docs::DocSet;

/// Reads the dataset `text` (named `name` in errors).
///
/// # Errors
/// [`Error::Data`] at `name:line:col` when the text is not the dataset's JSON.
pub fn parse(name: &str, text: &str) -> Result<DocSet> {
    serde_json::from_str(text).map_err(|e| {
        Error::Data(vec![Diagnostic {
            file: name.to_owned(),
            line: e.line().max(1),
            column: e.column().max(1),
            message: format!("not a documentation dataset: {e}"),
        }])
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_bundled_dataset_reads_and_a_broken_one_is_located() {
        let set = parse(crate::bundled::DOCS_NAME, crate::bundled::DOCS).unwrap();
        assert!(!set.pages.is_empty());
        let error = parse(
            "d.json",
            "{\"source\": {\"repository\": \"\", \"licence\": \"\", \"note\": \"\"},\n \"pages\": [1]}",
        ).unwrap_err();
        let text = error.to_string();
        assert!(text.starts_with("d.json:2:"), "{text}");
    }
}
