//! `contracts.toml`: the session contracts as data (schema in the file's header comment).
//!
//! Parsing checks the file's shape (fields, types, the closed vocabularies of
//! `implemented_by` and `enforced_by`, the form of page UIDs); [`crate::model::validate`] then
//! checks every name against the metadata. Both report `file:line:col`.

use serde::Deserialize;
use serde_spanned::Spanned;

use super::span::SourceText;
use crate::error::{Diagnostic, Error, Result};

/// A string with the byte range it was read from.
pub type SpannedStr = Spanned<String>;

/// The parsed `contracts.toml`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Contracts {
    /// Interfaces rendered as safe skeleton traits.
    #[serde(default, rename = "interface")]
    pub interfaces: Vec<InterfaceEntry>,
    /// Enums rendered as checked Rust enums.
    #[serde(default, rename = "enum")]
    pub enums: Vec<EnumEntry>,
    /// Contract rules.
    #[serde(default, rename = "rule")]
    pub rules: Vec<RuleEntry>,
}

/// Who implements an interface.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Implementor {
    /// A sync component (provider, handler, application callback).
    User,
    /// Sync Framework, Sync Center, or a test double of them.
    Host,
}

/// `[[interface]]`: an interface that gets a safe skeleton trait.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct InterfaceEntry {
    /// Metadata type name, e.g. `IKnowledgeSyncProvider`.
    pub name: SpannedStr,
    /// Metadata namespace.
    pub namespace: SpannedStr,
    /// Who implements it.
    pub implemented_by: Spanned<Implementor>,
    /// Page UID, e.g. `NN:winsync.IKnowledgeSyncProvider`.
    pub source: SpannedStr,
    /// One sentence: what the interface is for.
    pub summary: String,
    /// Whether the skeleton methods get a default body that does nothing.
    #[serde(default)]
    pub defaults: bool,
    /// With `defaults`: methods that keep no default (the implementation's essential job).
    #[serde(default)]
    pub required: Vec<SpannedStr>,
    /// With `defaults`: methods whose default answers `E_NOTIMPL` although they hand back
    /// nothing (doing nothing would claim work that was not done).
    #[serde(default)]
    pub not_implemented: Vec<SpannedStr>,
    /// `Method.param` pointer parameters that may be null.
    #[serde(default)]
    pub nullable: Vec<SpannedStr>,
    /// Sync Center `GetObject` methods (an object id, `riid`, `ppv`): the skeleton takes the
    /// runtime's `ObjectId` and returns its typed `SyncMgrObject` instead of a raw `ppv`.
    #[serde(default)]
    pub objects: Vec<SpannedStr>,
    /// Methods ending in `(REFIID riid, void** ppv)` (`BindToConflict`, ...): the skeleton
    /// returns the object as `IUnknown`, which the adapter queries for `riid` into `ppv`.
    #[serde(default)]
    pub queried: Vec<SpannedStr>,
}

/// `[[enum]]`: an enum exposed as a checked Rust enum.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EnumEntry {
    /// Metadata enum name, e.g. `SYNC_PROVIDER_ROLE`.
    pub name: SpannedStr,
    /// Metadata namespace.
    pub namespace: SpannedStr,
    /// Prefix removed from value names before UpperCamelCase.
    #[serde(default)]
    pub strip_prefix: Option<SpannedStr>,
    /// Values that exist in the header but are never valid on the wire.
    #[serde(default)]
    pub invalid: Vec<SpannedStr>,
    /// Page UID, e.g. `NE:winsync.SYNC_PROVIDER_ROLE`.
    pub source: SpannedStr,
}

/// Where the project enforces a rule.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Enforcement {
    /// The generated ABI adapters (argument conversion before user code runs).
    Adapter,
    /// The `#[derive(SyncProvider)]` glue.
    Provider,
    /// The checked ISyncSessionState host object.
    SessionState,
    /// The `#[derive(SyncCallback)]` glue.
    Callback,
    /// The `#[derive(SyncMgrHandler)]` glue.
    Handler,
    /// The checked wrapper over ISyncMgrSyncCallback given to `synchronize`.
    SyncmgrSession,
    /// The checking Sync Center test double.
    SyncCenterDouble,
    /// The `SyncItems` list of a container handler's items.
    SyncItems,
    /// The knowledge objects of the runtime (`ISyncKnowledge` and its family over the engine).
    Knowledge,
    /// The change-batch objects of the runtime (`ISyncChangeBatch` and its family, changes,
    /// builders, conflicts, load contexts over the engine).
    Batch,
    /// The runtime's provider built on the engine (`ReplicaProvider`).
    Replica,
    /// The runtime's session driver (the documented two-provider sequence).
    Driver,
    /// The runtime's checked handler collection (`HandlerCollection`, `handler_collection`).
    HandlerCollection,
    /// The runtime's Sync Center objects: typed `GetObject` answers, UI operations, event and
    /// conflict stores (`sync_center::objects`, `sync_center::events`, `sync_center::conflicts`).
    SyncCenterObjects,
    /// The runtime's checked client of Sync Center's `ISyncMgrControl` (`SyncCenterControl`).
    SyncCenterControl,
    /// Stated in the skeleton docs only.
    Documented,
}

/// `[[rule]]`: one rule of a session contract.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RuleEntry {
    /// Unique kebab-case id with an area prefix.
    pub id: SpannedStr,
    /// Metadata interface name.
    pub interface: SpannedStr,
    /// Metadata method name.
    #[serde(default)]
    pub method: Option<SpannedStr>,
    /// Metadata parameter name.
    #[serde(default)]
    pub param: Option<SpannedStr>,
    /// Enum value names the rule is about.
    #[serde(default)]
    pub values: Vec<SpannedStr>,
    /// The HRESULT the rule requires.
    #[serde(default)]
    pub returns: Option<SpannedStr>,
    /// Where it is enforced.
    pub enforced_by: Spanned<Enforcement>,
    /// Page UID.
    pub source: SpannedStr,
    /// The rule in the page's terms.
    pub text: String,
    /// For a rule enforced by `documented` only: why nothing the project has can check it.
    /// A documented rule without a reason is one the project could check and does not yet.
    #[serde(default)]
    pub reason: Option<SpannedStr>,
}

impl RuleEntry {
    /// Where the rule is enforced, as the docs and the report say it.
    pub fn enforcement_phrase(&self) -> &'static str {
        match (*self.enforced_by.get_ref(), &self.reason) {
            (Enforcement::Documented, None) => "nothing yet (documentation only, checkable)",
            (enforcement, _) => crate::model::skeleton::enforcement_phrase(enforcement),
        }
    }
}

/// Parses `contracts.toml`; syntax and shape errors come back as `file:line:col` diagnostics.
pub fn parse(source: &SourceText) -> Result<Contracts> {
    let contracts: Contracts = parse_toml(source)?;
    let mut diagnostics = Vec::new();
    let uids = contracts
        .interfaces
        .iter()
        .map(|i| &i.source)
        .chain(contracts.enums.iter().map(|e| &e.source))
        .chain(contracts.rules.iter().map(|r| &r.source));
    for uid in uids {
        check_source(source, uid, &mut diagnostics);
    }
    let mut seen = std::collections::BTreeMap::new();
    for rule in &contracts.rules {
        if let Some(first) = seen.insert(rule.id.get_ref().clone(), rule.id.span()) {
            let (line, _) = source.location(first.start);
            diagnostics.push(source.diagnostic(
                rule.id.span(),
                format!(
                    "rule id `{}` is already used on line {line}",
                    rule.id.get_ref()
                ),
            ));
        }
        if let Some(reason) = &rule.reason {
            if *rule.enforced_by.get_ref() != Enforcement::Documented {
                diagnostics.push(source.diagnostic(
                    reason.span(),
                    "`reason` says why nothing can check a rule: it belongs to rules enforced by \"documented\" only".to_string(),
                ));
            } else if reason.get_ref().trim().is_empty() {
                diagnostics.push(
                    source.diagnostic(
                        reason.span(),
                        "`reason` is empty: say why nothing the project has can check the rule"
                            .to_string(),
                    ),
                );
            }
        }
        if !is_kebab_id(rule.id.get_ref()) {
            diagnostics.push(source.diagnostic(
                rule.id.span(),
                format!(
                    "rule id `{}` must be kebab-case with an area prefix, e.g. `provider.end-session.without-begin`",
                    rule.id.get_ref()
                ),
            ));
        }
    }
    finish(contracts, diagnostics)
}

/// Parses TOML into `T`, turning the parser's error into a located diagnostic.
pub(crate) fn parse_toml<T: serde::de::DeserializeOwned>(source: &SourceText) -> Result<T> {
    toml::from_str(&source.text).map_err(|error| {
        let span = error.span().unwrap_or(0..0);
        Error::Data(vec![
            source.diagnostic(span, error.message().trim().to_string()),
        ])
    })
}

/// Checks that `uid` is a page UID (`NF:winsync.IKnowledgeSyncProvider.EndSession`) or a header
/// reference (`header:synchronizationerrors.h`).
pub(crate) fn check_source(
    source: &SourceText,
    uid: &SpannedStr,
    diagnostics: &mut Vec<Diagnostic>,
) {
    if !is_source_uid(uid.get_ref()) {
        diagnostics.push(source.diagnostic(
            uid.span(),
            format!(
                "`{}` is not a page UID (like `NF:winsync.IKnowledgeSyncProvider.EndSession`) or `header:NAME.h`",
                uid.get_ref()
            ),
        ));
    }
}

/// Whether `text` is a page UID or `header:NAME.h`.
pub fn is_source_uid(text: &str) -> bool {
    if let Some(header) = text.strip_prefix("header:") {
        return header.ends_with(".h") && header.len() > 2;
    }
    let Some((kind, rest)) = text.split_once(':') else {
        return false;
    };
    let Some((header, item)) = rest.split_once('.') else {
        return false;
    };
    matches!(kind, "NF" | "NN" | "NE" | "NS" | "NC" | "NL" | "NI")
        && !header.is_empty()
        && header
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
        && !item.is_empty()
        && item
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '.')
}

fn is_kebab_id(id: &str) -> bool {
    id.contains('.')
        && id.split('.').all(|part| {
            !part.is_empty()
                && part
                    .chars()
                    .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
        })
}

pub(crate) fn finish<T>(value: T, mut diagnostics: Vec<Diagnostic>) -> Result<T> {
    diagnostics.sort_by_key(|d| (d.line, d.column));
    if diagnostics.is_empty() {
        Ok(value)
    } else {
        Err(Error::Data(diagnostics))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn uids_and_headers_are_recognised() {
        assert!(is_source_uid(
            "NF:winsync.IKnowledgeSyncProvider.EndSession"
        ));
        assert!(is_source_uid("NN:syncmgr.ISyncMgrSyncCallback"));
        assert!(is_source_uid("header:synchronizationerrors.h"));
        assert!(!is_source_uid("winsync.IKnowledgeSyncProvider"));
        assert!(!is_source_uid("NF:WinSync.X"));
        assert!(!is_source_uid("header:"));
    }

    #[test]
    fn syntax_errors_are_located() {
        let text = SourceText::new(
            "c.toml",
            "[[rule]]\nid = \"a.b\"\nenforced_by = \"nowhere\"\n",
        );
        let Err(Error::Data(diagnostics)) = parse(&text) else {
            panic!("a bad enforcement point must be rejected");
        };
        assert_eq!(diagnostics.len(), 1);
        assert_eq!((diagnostics[0].line, diagnostics[0].column), (3, 15));
        assert!(
            diagnostics[0].message.contains("nowhere"),
            "{}",
            diagnostics[0]
        );
    }

    fn rule(enforced_by: &str, reason: &str) -> String {
        format!(
            "[[rule]]\nid = \"a.b\"\ninterface = \"I\"\nenforced_by = \"{enforced_by}\"\nsource = \"NN:winsync.I\"\ntext = \"t\"\n{reason}"
        )
    }

    #[test]
    fn reasons_belong_to_documented_rules_and_say_something() {
        let ok = SourceText::new(
            "c.toml",
            rule("documented", "reason = \"no call shows it\"\n"),
        );
        let contracts = parse(&ok).expect("a documented rule with a reason");
        assert_eq!(
            contracts.rules[0].enforcement_phrase(),
            "documentation only (nothing can check it)"
        );
        let open = SourceText::new("c.toml", rule("documented", ""));
        let contracts = parse(&open).expect("a documented rule without a reason");
        assert!(
            contracts.rules[0]
                .enforcement_phrase()
                .starts_with("nothing yet")
        );
        for (enforced_by, reason, message) in [
            ("driver", "reason = \"x\"\n", "belongs to rules enforced by"),
            ("documented", "reason = \"  \"\n", "`reason` is empty"),
        ] {
            let text = SourceText::new("c.toml", rule(enforced_by, reason));
            let Err(Error::Data(diagnostics)) = parse(&text) else {
                panic!("{enforced_by} with {reason:?} must be rejected");
            };
            assert_eq!(diagnostics.len(), 1, "{diagnostics:?}");
            assert_eq!((diagnostics[0].line, diagnostics[0].column), (7, 10));
            assert!(
                diagnostics[0].message.contains(message),
                "{}",
                diagnostics[0]
            );
        }
    }
}
