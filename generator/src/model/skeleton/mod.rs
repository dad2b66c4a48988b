//! The safe skeleton traits, checked enums and ABI adapters, described for the templates.
//!
//! Each method is modelled from two sources that must agree: the metadata (parameter names,
//! directions, optionality, array counts) and the `_Impl` trait windows-bindgen emitted (the
//! exact ABI types the adapter receives). A missing `_Impl` trait or method is an error, never
//! a silently smaller skeleton.

use std::collections::{BTreeMap, BTreeSet};

use windows_metadata::reader::{BufferRelationship, Index, MethodDef, TypeCategory};
use windows_metadata::{ParamAttributes, Value};

use super::getters::{object_getter, queried_getter};
use super::naming;
use crate::error::{Error, Result};
use crate::model::selection::Selection;
use crate::parse::contracts::{Contracts, Enforcement, Implementor, InterfaceEntry, RuleEntry};
use crate::parse::supplement::Supplement;

/// Everything the skeleton templates render.
#[derive(Debug, Clone)]
pub struct SkeletonModel {
    /// Checked Rust enums.
    pub enums: Vec<CheckedEnum>,
    /// Safe traits with their adapters, bases before derived interfaces.
    pub traits: Vec<SkeletonTrait>,
}

/// A Rust enum over a metadata enum, with checked conversions.
#[derive(Debug, Clone)]
pub struct CheckedEnum {
    /// Rust name, e.g. `SyncProviderRole`.
    pub rust: String,
    /// Bindings name, e.g. `SYNC_PROVIDER_ROLE`.
    pub raw: String,
    /// `Namespace.Name` in the metadata.
    pub windows: String,
    /// Page UID.
    pub source: String,
    /// Whether the bindings declare it as a newtype (`struct X(pub i32)`) rather than an alias.
    pub newtype: bool,
    /// The underlying integer type, e.g. `i32`.
    pub repr: String,
    /// Valid values.
    pub variants: Vec<Variant>,
    /// Values the header defines that are never valid on the wire.
    pub invalid: Vec<String>,
}

/// One value of a [`CheckedEnum`].
#[derive(Debug, Clone)]
pub struct Variant {
    /// Rust name, e.g. `Source`.
    pub rust: String,
    /// Bindings constant, e.g. `SPR_SOURCE`.
    pub raw: String,
    /// Its integer value.
    pub value: i64,
}

/// A safe trait for one COM interface.
#[derive(Debug, Clone)]
pub struct SkeletonTrait {
    /// Windows name, e.g. `IKnowledgeSyncProvider`.
    pub windows: String,
    /// Metadata namespace.
    pub namespace: String,
    /// Rust trait name, e.g. `KnowledgeSyncProvider`.
    pub rust: String,
    /// Module holding the adapters, e.g. `knowledge_sync_provider_abi`.
    pub module: String,
    /// `Windows Sync Framework` or `Sync Center`.
    pub family: &'static str,
    /// Who implements it, as a phrase for the docs.
    pub implemented_by: &'static str,
    /// Page UID.
    pub source: String,
    /// One sentence from the contracts.
    pub summary: String,
    /// The safe trait of the base interface, if it has one.
    pub supertrait: Option<String>,
    /// Methods in vtable order.
    pub methods: Vec<SkeletonMethod>,
    /// Rules about the interface as a whole.
    pub rules: Vec<RuleDoc>,
}

/// One method of a [`SkeletonTrait`] and its adapter.
#[derive(Debug, Clone)]
pub struct SkeletonMethod {
    /// Windows name, e.g. `BeginSession`.
    pub windows: String,
    /// Rust name, e.g. `begin_session`.
    pub rust: String,
    /// Safe parameters as `name: Type`.
    pub safe_params: Vec<String>,
    /// The safe method's return type.
    pub safe_return: String,
    /// The `_Impl` method's parameters as `name: Type`.
    pub abi_params: Vec<String>,
    /// The `_Impl` method's return type.
    pub abi_return: String,
    /// Statements converting and checking arguments before user code runs.
    pub preludes: Vec<String>,
    /// Arguments of the safe call.
    pub call_args: Vec<String>,
    /// The pattern binding the safe call's `Ok` value.
    pub out_pattern: String,
    /// Statements writing results through out-pointers.
    pub writebacks: Vec<String>,
    /// The adapter's final expression on success.
    pub ret_expr: String,
    /// Whether the method returns its HRESULT as data (S_FALSE carries meaning).
    pub keeps_s_false: bool,
    /// What S_FALSE means, when [`Self::keeps_s_false`].
    pub s_false_meaning: String,
    /// Whether the method's success code is its whole answer, yes (S_OK) or no (S_FALSE)
    /// (`yes_no` in `supplement.toml`): the safe side returns `bool`.
    pub answers_bool: bool,
    /// What the adapter checks, one line each, for the docs.
    pub checks: Vec<String>,
    /// Parameters passed through with their raw ABI type, for the docs.
    pub raw_params: Vec<String>,
    /// The method's contract rules.
    pub rules: Vec<RuleDoc>,
    /// The default body of the trait method, when the interface has `defaults = true`.
    pub default_body: Option<String>,
    /// Whether that default returns `Ok(())` (else `E_NOTIMPL`).
    pub default_ok: bool,
}

/// A rule as the docs show it.
#[derive(Debug, Clone)]
pub struct RuleDoc {
    /// Rule id.
    pub id: String,
    /// The rule.
    pub text: String,
    /// The HRESULT it requires, if any.
    pub returns: Option<String>,
    /// Page UID.
    pub source: String,
    /// Where it is enforced, as a phrase.
    pub enforced_by: &'static str,
}

/// Where a rule is enforced, as the docs and the report say it. (An enforcement point the
/// project has not built yet must say so here: the report never claims a check that does not
/// run.)
pub fn enforcement_phrase(enforcement: Enforcement) -> &'static str {
    match enforcement {
        Enforcement::Adapter => "the generated ABI adapter",
        Enforcement::Provider => "the `#[derive(SyncProvider)]` glue",
        Enforcement::SessionState => "the checked session state host object",
        Enforcement::Callback => "the `#[derive(SyncCallback)]` glue",
        Enforcement::Handler => "the `#[derive(SyncMgrHandler)]` glue",
        Enforcement::SyncmgrSession => "the checked Sync Center session",
        Enforcement::SyncCenterDouble => "the checking Sync Center double",
        Enforcement::SyncItems => "the `SyncItems` item list",
        Enforcement::Knowledge => "the runtime's knowledge objects",
        Enforcement::Batch => "the runtime's change-batch objects",
        Enforcement::Replica => "the runtime's provider built on the engine",
        Enforcement::Driver => "the runtime's session driver",
        Enforcement::HandlerCollection => "the runtime's checked handler collection",
        Enforcement::SyncCenterObjects => {
            "the runtime's Sync Center objects (UI operations, event and conflict stores)"
        }
        Enforcement::SyncCenterControl => {
            "the runtime's checked Sync Center control client (`SyncCenterControl`)"
        }
        Enforcement::Documented => "documentation only (nothing can check it)",
    }
}

impl RuleDoc {
    fn new(rule: &RuleEntry) -> Self {
        Self {
            id: rule.id.get_ref().clone(),
            text: naming::one_line(&rule.text),
            returns: rule.returns.as_ref().map(|r| r.get_ref().clone()),
            source: rule.source.get_ref().clone(),
            enforced_by: rule.enforcement_phrase(),
        }
    }
}

/// The longest wide string an adapter reads from a parameter, in UTF-16 units without the NUL.
/// Sync Center ids are bounded by `MAX_SYNCMGR_ID` (64, NUL included); other strings by the
/// length of a `UNICODE_STRING`.
const ID_BOUND: &str = "::winsync::com::abi::MAX_ID_CHARS";
const TEXT_BOUND: &str = "::winsync::com::abi::MAX_TEXT_CHARS";

/// Builds the model for every contract interface present in `selection`.
///
/// # Errors
/// [`Error::MissingBinding`] when the bindings lack an `_Impl` trait or method the model needs.
pub fn build<'a>(
    index: &Index,
    bindings: impl IntoIterator<Item = &'a syn::Item>,
    contracts: &Contracts,
    supplement: &Supplement,
    selection: &Selection,
) -> Result<SkeletonModel> {
    let bindings = BindingsIndex::new(bindings);
    let mut enums = Vec::new();
    for entry in &contracts.enums {
        let (namespace, name) = (entry.namespace.get_ref(), entry.name.get_ref());
        if !selection.contains(namespace, name) && !bindings.has_type(name) {
            continue;
        }
        enums.push(checked_enum(index, &bindings, entry)?);
    }
    let enum_names: BTreeMap<String, String> = enums
        .iter()
        .map(|e| (e.raw.clone(), e.rust.clone()))
        .collect();

    let listed: BTreeSet<&str> = contracts
        .interfaces
        .iter()
        .map(|i| i.name.get_ref().as_str())
        .collect();
    let mut traits = Vec::new();
    for entry in &contracts.interfaces {
        if !selection.contains(entry.namespace.get_ref(), entry.name.get_ref()) {
            continue;
        }
        let context = TraitContext {
            index,
            bindings: &bindings,
            enums: &enum_names,
            supplement,
            rules: &contracts.rules,
            listed: &listed,
        };
        traits.push(context.skeleton_trait(entry)?);
    }
    // Bases first, so supertraits are declared before use (not required by Rust, but read well).
    traits.sort_by_key(|t| {
        (
            t.supertrait.is_some(),
            t.namespace.clone(),
            t.windows.clone(),
        )
    });
    Ok(SkeletonModel { enums, traits })
}

fn checked_enum(
    index: &Index,
    bindings: &BindingsIndex,
    entry: &crate::parse::contracts::EnumEntry,
) -> Result<CheckedEnum> {
    let (namespace, name) = (entry.namespace.get_ref(), entry.name.get_ref());
    let def = index
        .get(namespace, name)
        .find(|d| d.category() == TypeCategory::Enum)
        .ok_or_else(|| {
            Error::MissingBinding(format!("enum `{namespace}.{name}` in the metadata"))
        })?;
    let values: Vec<(String, i64)> = def
        .fields()
        .filter_map(|f| {
            f.constant()
                .map(|c| (f.name().to_string(), value_i64(&c.value())))
        })
        .collect();
    let invalid: Vec<String> = entry.invalid.iter().map(|v| v.get_ref().clone()).collect();
    let valid: Vec<&(String, i64)> = values
        .iter()
        .filter(|(n, _)| !invalid.contains(n))
        .collect();
    let prefix = entry.strip_prefix.as_ref().map_or_else(
        || naming::common_prefix(&valid.iter().map(|(n, _)| n.as_str()).collect::<Vec<_>>()),
        |p| p.get_ref().clone(),
    );
    let repr = bindings
        .newtype_repr(name)
        .or_else(|| bindings.alias_target(name))
        .ok_or_else(|| Error::MissingBinding(format!("the type `{name}`")))?;
    Ok(CheckedEnum {
        rust: naming::enum_name(name),
        raw: name.clone(),
        windows: format!("{namespace}.{name}"),
        source: entry.source.get_ref().clone(),
        newtype: bindings.newtype_repr(name).is_some(),
        repr,
        variants: valid
            .iter()
            // Two names for one value (`SYNCMGR_HT_MIN` = `SYNCMGR_HT_UNSPECIFIED`): the first wins.
            .filter(|(raw, value)| {
                valid
                    .iter()
                    .find(|(_, v)| v == value)
                    .is_some_and(|(first, _)| first == raw)
            })
            .map(|(raw, value)| Variant {
                rust: naming::variant_name(raw, &prefix),
                raw: raw.clone(),
                value: *value,
            })
            .collect(),
        invalid,
    })
}

fn value_i64(value: &Value) -> i64 {
    match value {
        Value::I8(v) => (*v).into(),
        Value::U8(v) => (*v).into(),
        Value::I16(v) => (*v).into(),
        Value::U16(v) => (*v).into(),
        Value::I32(v) => (*v).into(),
        Value::U32(v) => (*v).into(),
        Value::I64(v) => *v,
        Value::U64(v) => i64::from_ne_bytes(v.to_ne_bytes()),
        _ => 0,
    }
}

struct TraitContext<'a> {
    index: &'a Index,
    bindings: &'a BindingsIndex<'a>,
    enums: &'a BTreeMap<String, String>,
    supplement: &'a Supplement,
    rules: &'a [RuleEntry],
    listed: &'a BTreeSet<&'a str>,
}

mod bindings_index;
mod method;
mod params;

pub(crate) use bindings_index::BindingsIndex;
