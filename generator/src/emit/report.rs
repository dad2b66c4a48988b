//! `CONTRACTS.md`: the contract report (every rule, where it is enforced, its source).

use std::collections::BTreeMap;

use askama::Template;

use super::format::{header_lines, one_line};
use super::rust::{RuleRow, rule_rows};
use crate::error::{Error, Result};
use crate::model::docs::DocIndex;
use crate::parse::contracts::Contracts;
use crate::parse::supplement::Supplement;

#[derive(Template)]
#[template(path = "CONTRACTS.md.askama", escape = "none")]
struct ReportTemplate {
    header: String,
    rules: Vec<RuleRow>,
    counts: Vec<(&'static str, usize)>,
    groups: Vec<(String, Vec<RuleRow>)>,
    s_false: Vec<(String, String, String)>,
}

mod filters {
    /// Escapes `|` so that text stays inside its Markdown table cell.
    #[askama::filter_fn]
    pub fn escape_cell(
        text: impl std::fmt::Display,
        _: &dyn askama::Values,
    ) -> askama::Result<String> {
        Ok(text.to_string().replace('|', "\\|"))
    }
}

/// Renders the report for `contracts` and `supplement`; each source UID `pages` knows links
/// to its page.
pub fn report(
    contracts: &Contracts,
    supplement: &Supplement,
    inputs: &[String],
    pages: &DocIndex<'_>,
) -> Result<String> {
    let link = |mut row: RuleRow| {
        row.url = pages.uid(&row.source).map(|p| p.url.clone());
        row
    };
    let rules: Vec<RuleRow> = rule_rows(contracts).into_iter().map(link).collect();
    let mut counts: BTreeMap<&'static str, usize> = BTreeMap::new();
    for rule in &rules {
        *counts.entry(rule.enforced_by).or_default() += 1;
    }
    let mut groups: BTreeMap<String, Vec<RuleRow>> = BTreeMap::new();
    for rule in rules.iter().cloned() {
        groups.entry(rule.interface.clone()).or_default().push(rule);
    }
    let header = format!(
        "<!--\n{}\n-->",
        header_lines("the contract report", inputs).join("\n")
    );
    let template = ReportTemplate {
        header,
        rules,
        counts: counts.into_iter().collect(),
        groups: groups.into_iter().collect(),
        s_false: supplement
            .keeps_s_false
            .iter()
            .map(|k| {
                let source = k.source.get_ref();
                let cell = match pages.uid(source) {
                    Some(page) => format!("[`{source}`]({})", page.url),
                    None => format!("`{source}`"),
                };
                (
                    format!("{}::{}", k.interface.get_ref(), k.method.get_ref()),
                    one_line(&k.meaning),
                    cell,
                )
            })
            .collect(),
    };
    let mut text = template.render().map_err(|e| Error::Render {
        file: "CONTRACTS.md".into(),
        message: e.to_string(),
    })?;
    if !text.ends_with('\n') {
        text.push('\n');
    }
    Ok(text)
}
