//! The Rust outputs rendered from askama templates (`templates/` at the repository root):
//! skeleton traits with their adapters and checked enums, the supplement's HRESULTs, the rule
//! table, and the module file tying them together.

use askama::Template;
use heck::ToShoutySnakeCase;

use super::format::{one_line, rust_file, rust_header};
use crate::error::{Error, Result};
use crate::model::skeleton::SkeletonModel;
use crate::parse::contracts::{Contracts, Enforcement};
use crate::parse::supplement::Supplement;

#[derive(Template)]
#[template(path = "skeletons.rs.askama", escape = "none")]
struct SkeletonsTemplate<'a> {
    model: &'a SkeletonModel,
}

#[derive(Template)]
#[template(path = "hresults.rs.askama", escape = "none")]
struct HresultsTemplate {
    hresults: Vec<HresultRow>,
}

struct HresultRow {
    name: String,
    value: String,
    source: String,
    aliases: Vec<String>,
}

#[derive(Template)]
#[template(path = "contracts.rs.askama", escape = "none")]
struct ContractsTemplate {
    rules: Vec<RuleRow>,
}

/// A rule as the Rust table and the report show it.
#[derive(Clone)]
pub(crate) struct RuleRow {
    pub(crate) constant: String,
    pub(crate) id: String,
    pub(crate) interface: String,
    pub(crate) method: Option<String>,
    pub(crate) param: Option<String>,
    pub(crate) values: Vec<String>,
    pub(crate) returns: Option<String>,
    pub(crate) enforcement: String,
    pub(crate) enforced_by: &'static str,
    pub(crate) source: String,
    pub(crate) text: String,
    /// Why nothing can check a documented rule.
    pub(crate) reason: Option<String>,
    /// The source page's address, when the documentation dataset has the page (the report
    /// links it).
    pub(crate) url: Option<String>,
}

#[derive(Template)]
#[template(path = "mod.rs.askama", escape = "none")]
struct ModTemplate {
    has_skeletons: bool,
}

fn render(template: &impl Template, file: &str) -> Result<String> {
    template.render().map_err(|e| Error::Render {
        file: file.to_string(),
        message: e.to_string(),
    })
}

/// `skeletons.rs`.
pub fn skeletons(model: &SkeletonModel, inputs: &[String]) -> Result<String> {
    let text = render(&SkeletonsTemplate { model }, "skeletons.rs")?;
    rust_file(
        "skeletons.rs",
        &rust_header(
            "safe skeleton traits, checked enums and ABI adapters",
            inputs,
        ),
        &text,
    )
}

/// `hresults.rs`.
pub fn hresults(supplement: &Supplement, inputs: &[String]) -> Result<String> {
    let hresults = supplement
        .hresults
        .iter()
        .map(|h| HresultRow {
            name: h.name.get_ref().clone(),
            value: format!("0x{:08X}", h.value.get_ref()),
            source: h.source.get_ref().clone(),
            aliases: h.aliases.iter().map(|a| a.get_ref().clone()).collect(),
        })
        .collect();
    let text = render(&HresultsTemplate { hresults }, "hresults.rs")?;
    rust_file(
        "hresults.rs",
        &rust_header("HRESULTs the Win32 metadata lacks", inputs),
        &text,
    )
}

/// The rules of `contracts`, in file order.
pub(crate) fn rule_rows(contracts: &Contracts) -> Vec<RuleRow> {
    contracts
        .rules
        .iter()
        .map(|r| {
            let enforcement: Enforcement = *r.enforced_by.get_ref();
            RuleRow {
                constant: r.id.get_ref().replace('.', "_").to_shouty_snake_case(),
                id: r.id.get_ref().clone(),
                interface: r.interface.get_ref().clone(),
                method: r.method.as_ref().map(|m| m.get_ref().clone()),
                param: r.param.as_ref().map(|p| p.get_ref().clone()),
                values: r.values.iter().map(|v| v.get_ref().clone()).collect(),
                returns: r.returns.as_ref().map(|v| v.get_ref().clone()),
                enforcement: format!("{enforcement:?}"),
                enforced_by: r.enforcement_phrase(),
                source: r.source.get_ref().clone(),
                text: one_line(&r.text),
                reason: r.reason.as_ref().map(|r| one_line(r.get_ref())),
                url: None,
            }
        })
        .collect()
}

/// `contracts.rs`.
pub fn contracts(contracts: &Contracts, inputs: &[String]) -> Result<String> {
    let text = render(
        &ContractsTemplate {
            rules: rule_rows(contracts),
        },
        "contracts.rs",
    )?;
    rust_file(
        "contracts.rs",
        &rust_header("the session contract rules as data", inputs),
        &text,
    )
}

/// `mod.rs`.
pub fn module(has_skeletons: bool, inputs: &[String]) -> Result<String> {
    let text = render(&ModTemplate { has_skeletons }, "mod.rs")?;
    rust_file(
        "mod.rs",
        &rust_header("the generated modules", inputs),
        &text,
    )
}
