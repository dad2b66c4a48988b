//! `CONTRACTS.md`: the contract report (every rule, where it is enforced, its source).

use std::collections::BTreeMap;

use askama::Template;

use super::format::{header_lines, one_line};
use super::rust::{RuleRow, rule_rows};
use crate::error::{Error, Result};
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

/// Renders the report for `contracts` and `supplement`.
pub fn report(contracts: &Contracts, supplement: &Supplement, inputs: &[String]) -> Result<String> {
    let rules = rule_rows(contracts);
    let mut counts: BTreeMap<&'static str, usize> = BTreeMap::new();
    for rule in &rules {
        *counts.entry(rule.enforced_by).or_default() += 1;
    }
    let mut groups: BTreeMap<String, Vec<RuleRow>> = BTreeMap::new();
    for rule in rule_rows(contracts) {
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
                (
                    format!("{}::{}", k.interface.get_ref(), k.method.get_ref()),
                    one_line(&k.meaning),
                    k.source.get_ref().clone(),
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
