//! Microsoft's documentation of the APIs, as the generator bundles it (`metadata/docs.json`,
//! written by `winsync-gen extract-docs` from the reference pages; see `metadata/DOCS.md`).
//!
//! One [`DocPage`] per page, already rustdoc Markdown; [`DocIndex`] finds the page of a
//! generated item by its Windows name: `IKnowledgeSyncProvider`,
//! `IKnowledgeSyncProvider.EndSession`, `SYNC_VERSION`, an enum's constant `SPR_SOURCE`.

use std::collections::HashMap;

use serde::{Deserialize, Serialize};

/// The bundled dataset.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq, Eq)]
pub struct DocSet {
    /// Where the text comes from and under which licence.
    pub source: DocSource,
    /// The pages, sorted by UID.
    pub pages: Vec<DocPage>,
}

/// The dataset's origin.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq, Eq)]
pub struct DocSource {
    /// The repository the pages come from.
    pub repository: String,
    /// The documentation's licence.
    pub licence: String,
    /// What was done to the pages.
    pub note: String,
}

/// One page, converted.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq, Eq)]
pub struct DocPage {
    /// The page's `UID`: `NN:` interface, `NF:` method or function, `NE:` enum, `NS:`
    /// struct; a winsync enum documented under its MIDL name and a struct under its tag name
    /// (`_SYNC_VERSION`) carry the name the bindings use.
    pub uid: String,
    /// Other UIDs of the same item (the MIDL or tag name the page was filed under).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub aliases: Vec<String>,
    /// The page on learn.microsoft.com.
    pub url: String,
    /// The commit of `MicrosoftDocs/sdk-api` the page was taken from.
    pub commit: String,
    /// `## -description`.
    pub description: String,
    /// `### -param`: each parameter's name (as the page spells it), direction and text.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub params: Vec<DocParam>,
    /// `### -field`: a struct's fields or an enum's constants.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub fields: Vec<DocField>,
    /// The return codes the `## -returns` table lists.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub returns: Vec<DocReturn>,
    /// The rest of `## -returns` (prose).
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub returns_text: String,
    /// `## -remarks`.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub remarks: String,
    /// `## -see-also`: one Markdown line per entry.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub see_also: Vec<String>,
}

/// A parameter.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq, Eq)]
pub struct DocParam {
    /// The name as the page spells it (`pSessionState`).
    pub name: String,
    /// `in`, `out`, `in, out`, `in, optional`... (empty when the page gives none).
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub direction: String,
    /// What it is.
    pub text: String,
}

/// A struct field or an enum constant.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq, Eq)]
pub struct DocField {
    /// The name as the page spells it.
    pub name: String,
    /// What it is.
    pub text: String,
}

/// A return code.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq, Eq)]
pub struct DocReturn {
    /// `S_OK`, `SYNC_E_INVALID_OPERATION`, or a phrase (`Provider-determined error codes`).
    pub code: String,
    /// What it means (may be empty).
    pub meaning: String,
}

impl DocPage {
    /// The Windows name the page documents: `IKnowledgeSyncProvider.EndSession` for
    /// `NF:winsync.IKnowledgeSyncProvider.EndSession`, `SYNC_VERSION` for
    /// `NS:winsync.SYNC_VERSION`.
    #[must_use]
    pub fn item_name(&self) -> &str {
        item_name(&self.uid)
    }

    /// The page's kind: `NN`, `NF`, `NE`, `NS`.
    #[must_use]
    pub fn kind(&self) -> &str {
        self.uid.split(':').next().unwrap_or("")
    }

    /// Whether every part of the page is empty (an unfilled template).
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.description.is_empty()
            && self.params.iter().all(|p| p.text.is_empty())
            && self.fields.iter().all(|f| f.text.is_empty())
            && self.remarks.is_empty()
    }
}

/// `NF:winsync.IKnowledgeSyncProvider.EndSession` → `IKnowledgeSyncProvider.EndSession`.
#[must_use]
pub fn item_name(uid: &str) -> &str {
    let after_kind = uid.split_once(':').map_or(uid, |(_, rest)| rest);
    after_kind
        .split_once('.')
        .map_or(after_kind, |(_, rest)| rest)
}

/// The dataset indexed by the names the bindings use.
#[derive(Debug, Default)]
pub struct DocIndex<'d> {
    /// Item name (`IFoo`, `IFoo.Method`, `SYNC_VERSION`, `Function`) → page.
    by_name: HashMap<&'d str, &'d DocPage>,
    /// Enum constant name → (enum page, field).
    constants: HashMap<&'d str, (&'d DocPage, &'d DocField)>,
    /// Every UID and alias.
    uids: HashMap<&'d str, &'d DocPage>,
}

impl<'d> DocIndex<'d> {
    /// Indexes `set`.
    #[must_use]
    pub fn new(set: &'d DocSet) -> Self {
        let mut index = Self::default();
        for page in &set.pages {
            index.by_name.insert(page.item_name(), page);
            index.uids.insert(page.uid.as_str(), page);
            for alias in &page.aliases {
                index.uids.insert(alias.as_str(), page);
            }
            if page.kind() == "NE" {
                for field in &page.fields {
                    index.constants.insert(field.name.as_str(), (page, field));
                }
            }
        }
        index
    }

    /// The page of an interface, struct, enum or function named `name`.
    #[must_use]
    pub fn item(&self, name: &str) -> Option<&'d DocPage> {
        self.by_name.get(name).copied()
    }

    /// The page of `interface::method`.
    #[must_use]
    pub fn method(&self, interface: &str, method: &str) -> Option<&'d DocPage> {
        self.by_name
            .get(format!("{interface}.{method}").as_str())
            .copied()
    }

    /// The enum page that documents the constant `name`, and the constant's entry.
    #[must_use]
    pub fn constant(&self, name: &str) -> Option<(&'d DocPage, &'d DocField)> {
        self.constants.get(name).copied()
    }

    /// The page a UID (or alias) names.
    #[must_use]
    pub fn uid(&self, uid: &str) -> Option<&'d DocPage> {
        self.uids.get(uid).copied()
    }

    /// How many pages are indexed.
    #[must_use]
    pub fn len(&self) -> usize {
        self.by_name.len()
    }

    /// Whether no page is indexed.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.by_name.is_empty()
    }
}
