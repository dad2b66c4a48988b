//! `supplement.toml`: what the upstream metadata lacks (schema in the file's header comment).

use serde::Deserialize;

use super::contracts::{SpannedStr, check_source, finish, parse_toml};
use super::span::SourceText;
use crate::error::Result;

/// The parsed `supplement.toml`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Supplement {
    /// HRESULTs missing from the metadata.
    #[serde(default, rename = "hresult")]
    pub hresults: Vec<HresultEntry>,
    /// Methods whose S_FALSE carries meaning.
    #[serde(default)]
    pub keeps_s_false: Vec<KeepsSFalseEntry>,
    /// Interface out-pointers the metadata declares wrongly.
    #[serde(default, rename = "out_pointer")]
    pub out_pointers: Vec<OutPointerEntry>,
    /// `[in]` arrays whose element count the metadata does not give.
    #[serde(default, rename = "in_array")]
    pub in_arrays: Vec<InArrayEntry>,
}

/// `[[in_array]]`: an `[in]` pointer that is an array of `count` elements on the page, where
/// the metadata gives no count (the skeleton then takes a slice, not a reference to one
/// element).
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct InArrayEntry {
    /// Metadata interface name.
    pub interface: SpannedStr,
    /// Metadata method name.
    pub method: SpannedStr,
    /// Metadata parameter name of the array.
    pub param: SpannedStr,
    /// The parameter holding its element count.
    pub count: SpannedStr,
    /// Page UID.
    pub source: SpannedStr,
}

/// `[[out_pointer]]`: an interface out-pointer the metadata declares wrongly: `[out]` on the
/// page where the metadata says `[in, out]`, or an `[out]` array whose element count the
/// metadata does not give.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OutPointerEntry {
    /// Metadata interface name.
    pub interface: SpannedStr,
    /// Metadata method name.
    pub method: SpannedStr,
    /// Metadata parameter name.
    pub param: SpannedStr,
    /// For an array: the parameter holding its element count.
    #[serde(default)]
    pub count: Option<SpannedStr>,
    /// The caller may pass NULL for it (no result wanted): a `[retval]` shim then runs the
    /// implementation and writes nothing, instead of answering `E_POINTER`.
    #[serde(default)]
    pub optional: bool,
    /// Page UID.
    pub source: SpannedStr,
}

/// `[[hresult]]`: an HRESULT the metadata does not carry.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct HresultEntry {
    /// Header name, e.g. `SYNC_E_INVALID_OPERATION`.
    pub name: SpannedStr,
    /// The 32-bit value, e.g. `0x80041001`.
    pub value: serde_spanned::Spanned<u32>,
    /// Other spellings accepted in `contracts.toml`.
    #[serde(default)]
    pub aliases: Vec<SpannedStr>,
    /// Page UID or `header:NAME.h`.
    pub source: SpannedStr,
}

/// `[[keeps_s_false]]`: a method whose S_FALSE carries meaning.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct KeepsSFalseEntry {
    /// Metadata interface name.
    pub interface: SpannedStr,
    /// Metadata method name.
    pub method: SpannedStr,
    /// What S_FALSE means.
    pub meaning: String,
    /// The success code is the whole answer, yes (S_OK) or no (S_FALSE): the skeleton returns
    /// `bool`. Only for a method that hands back nothing else.
    #[serde(default)]
    pub yes_no: bool,
    /// Page UID.
    pub source: SpannedStr,
}

/// Parses `supplement.toml`; errors come back as `file:line:col` diagnostics.
pub fn parse(source: &SourceText) -> Result<Supplement> {
    let supplement: Supplement = parse_toml(source)?;
    let mut diagnostics = Vec::new();
    for uid in supplement
        .hresults
        .iter()
        .map(|h| &h.source)
        .chain(supplement.keeps_s_false.iter().map(|k| &k.source))
        .chain(supplement.out_pointers.iter().map(|o| &o.source))
        .chain(supplement.in_arrays.iter().map(|a| &a.source))
    {
        check_source(source, uid, &mut diagnostics);
    }
    for hresult in &supplement.hresults {
        for name in std::iter::once(&hresult.name).chain(&hresult.aliases) {
            if !crate::model::naming::is_constant_name(name.get_ref()) {
                diagnostics.push(source.diagnostic(
                    name.span(),
                    format!(
                        "`{}` is not a constant name like `SYNC_E_INVALID_OPERATION`",
                        name.get_ref()
                    ),
                ));
            }
        }
        if *hresult.value.get_ref() & 0x8000_0000 == 0 {
            diagnostics.push(source.diagnostic(
                hresult.value.span(),
                format!(
                    "{} must be a failure code (high bit set)",
                    hresult.name.get_ref()
                ),
            ));
        }
    }
    finish(supplement, diagnostics)
}
