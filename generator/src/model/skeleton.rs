//! The safe skeleton traits, checked enums and ABI adapters, described for the templates.
//!
//! Each method is modelled from two sources that must agree: the metadata (parameter names,
//! directions, optionality, array counts) and the `_Impl` trait windows-bindgen emitted (the
//! exact ABI types the adapter receives). A missing `_Impl` trait or method is an error, never
//! a silently smaller skeleton.

use std::collections::{BTreeMap, BTreeSet};

use quote::ToTokens;
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

impl TraitContext<'_> {
    fn skeleton_trait(&self, entry: &InterfaceEntry) -> Result<SkeletonTrait> {
        let (namespace, name) = (
            entry.namespace.get_ref().as_str(),
            entry.name.get_ref().as_str(),
        );
        let def = self
            .index
            .get(namespace, name)
            .find(|d| d.category() == TypeCategory::Interface)
            .ok_or_else(|| {
                Error::MissingBinding(format!("interface `{namespace}.{name}` in the metadata"))
            })?;
        let impl_trait = self.bindings.impl_trait(name).ok_or_else(|| {
            Error::MissingBinding(format!("`{name}_Impl` (windows-bindgen dropped it)"))
        })?;
        let base = def
            .interface_impls()
            .filter_map(|i| match i.interface(&[]) {
                windows_metadata::Type::ClassName(tn) => Some(tn.name),
                _ => None,
            })
            .find(|base| self.listed.contains(base.as_str()));
        let rust = naming::trait_name(name);
        let nullable: BTreeSet<&str> = entry
            .nullable
            .iter()
            .map(|n| n.get_ref().as_str())
            .collect();
        let objects: BTreeSet<&str> = entry.objects.iter().map(|n| n.get_ref().as_str()).collect();
        let queried: BTreeSet<&str> = entry.queried.iter().map(|n| n.get_ref().as_str()).collect();

        let mut methods = Vec::new();
        for method in def.methods() {
            let impl_fn = impl_trait
                .items
                .iter()
                .find_map(|item| match item {
                    syn::TraitItem::Fn(f) if f.sig.ident == method.name() => Some(f),
                    _ => None,
                })
                .ok_or_else(|| {
                    Error::MissingBinding(format!("`{name}_Impl::{}`", method.name()))
                })?;
            let mut skeleton = self.method(name, method, impl_fn, &nullable)?;
            if objects.contains(method.name()) {
                object_getter(&mut skeleton, name)?;
            }
            if queried.contains(method.name()) {
                queried_getter(&mut skeleton, name)?;
            }
            if entry.defaults && !entry.required.iter().any(|r| r.get_ref() == method.name()) {
                let not_implemented = entry
                    .not_implemented
                    .iter()
                    .any(|m| m.get_ref() == method.name());
                let (mut body, ok) = default_body(&skeleton, not_implemented);
                if objects.contains(method.name()) {
                    // No object: the adapter answers E_NOTIMPL.
                    body = "{ let _ = object_id; Ok(None) }".into();
                }
                skeleton.default_body = Some(body);
                skeleton.default_ok = ok;
            }
            methods.push(skeleton);
        }
        Ok(SkeletonTrait {
            windows: name.to_string(),
            namespace: namespace.to_string(),
            module: format!("{}_abi", naming::method_name(&rust)),
            rust,
            family: if namespace.ends_with("WindowsSync") {
                "Windows Sync Framework"
            } else {
                "Sync Center"
            },
            implemented_by: match entry.implemented_by.get_ref() {
                Implementor::User => "a sync component",
                Implementor::Host => "the host (Sync Framework or Sync Center, or a test double)",
            },
            source: entry.source.get_ref().clone(),
            summary: naming::one_line(&entry.summary),
            supertrait: base.map(|b| naming::trait_name(&b)),
            methods,
            rules: self
                .rules
                .iter()
                .filter(|r| r.interface.get_ref() == name && r.method.is_none())
                .map(RuleDoc::new)
                .collect(),
        })
    }

    fn method(
        &self,
        interface: &str,
        method: MethodDef,
        impl_fn: &syn::TraitItemFn,
        nullable: &BTreeSet<&str>,
    ) -> Result<SkeletonMethod> {
        let windows = method.name().to_string();
        let s_false = self
            .supplement
            .keeps_s_false
            .iter()
            .find(|k| k.interface.get_ref() == interface && *k.method.get_ref() == windows);
        let mut meta_list: Vec<ParamMeta> = method
            .params()
            .filter(|p| p.sequence() > 0)
            .map(|p| ParamMeta {
                name: p.name().to_string(),
                flags: p.flags(),
                count_of: match p.buffer_relationship() {
                    Some(BufferRelationship::ElementsParam(i)) => usize::try_from(i).ok(),
                    _ => None,
                },
                is_buffer: p.buffer_relationship().is_some(),
                in_array: false,
            })
            .collect();
        // `[in]` arrays whose count the metadata does not give (`[[in_array]]` in the
        // supplement): the count parameter's position.
        for entry in self
            .supplement
            .in_arrays
            .iter()
            .filter(|a| a.interface.get_ref() == interface && *a.method.get_ref() == windows)
        {
            let count = meta_list
                .iter()
                .position(|p| p.name == *entry.count.get_ref());
            if let Some(meta) = meta_list
                .iter_mut()
                .find(|p| p.name == *entry.param.get_ref())
            {
                meta.count_of = count;
                meta.in_array = count.is_some();
            }
        }
        let abi: Vec<(String, &syn::Type)> = impl_fn
            .sig
            .inputs
            .iter()
            .filter_map(|arg| match arg {
                syn::FnArg::Typed(t) => Some((t.pat.to_token_stream().to_string(), t.ty.as_ref())),
                syn::FnArg::Receiver(_) => None,
            })
            .collect();
        // `[out]` arrays of interface pointers whose count the metadata does not give
        // (`[[out_pointer]]` with `count` in the supplement): parameter → count parameter.
        let arrays: BTreeMap<&str, &str> = self
            .supplement
            .out_pointers
            .iter()
            .filter(|o| o.interface.get_ref() == interface && *o.method.get_ref() == windows)
            .filter_map(|o| {
                Some((
                    o.param.get_ref().as_str(),
                    o.count.as_ref()?.get_ref().as_str(),
                ))
            })
            .collect();
        let counts: BTreeSet<usize> = meta_list
            .iter()
            .filter_map(|m| m.count_of)
            .chain(
                arrays
                    .values()
                    .filter_map(|count| meta_list.iter().position(|p| p.name == *count)),
            )
            .collect();

        let mut m = SkeletonMethod {
            rust: naming::method_name(&windows),
            windows: windows.clone(),
            safe_params: Vec::new(),
            safe_return: String::new(),
            abi_params: abi
                .iter()
                .map(|(n, t)| format!("{n}: {}", tokens(*t)))
                .collect(),
            // A method that keeps S_FALSE returns HRESULT once the bindings are fixed.
            abi_return: if s_false.is_some() {
                "windows_core::HRESULT".to_string()
            } else {
                tokens(&impl_fn.sig.output)
                    .trim_start_matches("->")
                    .trim()
                    .to_string()
            },
            preludes: Vec::new(),
            call_args: Vec::new(),
            out_pattern: String::new(),
            writebacks: Vec::new(),
            ret_expr: String::new(),
            keeps_s_false: s_false.is_some(),
            s_false_meaning: s_false
                .map(|k| naming::one_line(&k.meaning))
                .unwrap_or_default(),
            answers_bool: false,
            checks: Vec::new(),
            raw_params: Vec::new(),
            rules: self
                .rules
                .iter()
                .filter(|r| {
                    r.interface.get_ref() == interface
                        && r.method.as_ref().is_some_and(|m| *m.get_ref() == windows)
                })
                .map(RuleDoc::new)
                .collect(),
            default_body: None,
            default_ok: false,
        };
        let mut outs: Vec<(String, String)> = Vec::new();
        let mut safe_names = BTreeSet::new();

        for (position, (abi_name, abi_ty)) in abi.iter().enumerate() {
            let meta = meta_list
                .iter()
                .find(|p| p.name.to_ascii_lowercase() == *abi_name);
            let Some(meta) = meta else {
                return Err(Error::MissingBinding(format!(
                    "a metadata parameter for `{interface}::{windows}({abi_name})`"
                )));
            };
            let metadata_position = meta_list
                .iter()
                .position(|p| p.name == meta.name)
                .unwrap_or(position);
            if counts.contains(&metadata_position) && is_integer(abi_ty) {
                // The element count of an array parameter: consumed by that parameter.
                continue;
            }
            let mut safe = naming::param_name(&meta.name);
            if safe_names.contains(&safe) && meta.name.starts_with("pcb") {
                // `pbInfo` and `pcbInfo`: the buffer and its size in bytes.
                safe = format!("{safe}_size");
            }
            if !safe_names.insert(safe.clone()) || safe == "this" {
                // Never the ABI name itself: an out value bound under it would shadow the
                // pointer its write-back needs.
                safe = format!("{abi_name}_value");
            }
            let nullable = nullable.contains(format!("{windows}.{}", meta.name).as_str())
                || meta.flags.contains(ParamAttributes::Optional);
            let kind = match arrays.get(meta.name.as_str()) {
                Some(count) => match self.classify(abi_ty, meta) {
                    Kind::InterfaceOut(interface) => Kind::InterfaceArrayOut {
                        interface,
                        count: count.to_ascii_lowercase(),
                    },
                    _ => {
                        return Err(Error::MissingBinding(format!(
                            "an `OutRef<_>` for the out array `{interface}::{windows}({})`",
                            meta.name
                        )));
                    }
                },
                None => match (option_pointee(abi_ty), meta.count_of) {
                    // `rgelt` of an `IEnumXXX::Next` whose count the metadata gives: windows-bindgen
                    // emits `*mut Option<I>`, the same layout as the `OutRef<I>` array above.
                    (Some(interface), Some(count)) if meta.flags.contains(ParamAttributes::Out) => {
                        Kind::InterfaceArrayOut {
                            interface,
                            count: meta_list
                                .get(count)
                                .map(|p| p.name.to_ascii_lowercase())
                                .unwrap_or_default(),
                        }
                    }
                    _ => self.classify(abi_ty, meta),
                },
            };
            self.lower(
                &mut m,
                &mut outs,
                kind,
                abi_name,
                &safe,
                &meta.name,
                nullable,
                &abi,
                &meta_names(method),
            );
        }

        // windows-bindgen lifts a trailing `[retval]` out-parameter into the return type.
        let lifted = result_payload(&impl_fn.sig.output);
        if let Some(payload) = lifted {
            if m.keeps_s_false {
                return Err(Error::MissingBinding(format!(
                    "a `Result<()>` `_Impl` return on `{interface}::{windows}`, which keeps S_FALSE"
                )));
            }
            let (safe_ty, convert) = self.retval(payload);
            outs.push((safe_ty, "value".into()));
            m.ret_expr = format!("Ok({convert})");
        } else if s_false.is_some_and(|k| k.yes_no) && outs.is_empty() {
            // The success code is the whole answer, yes (S_OK) or no (S_FALSE).
            outs.push(("bool".into(), "answer".into()));
            m.answers_bool = true;
            m.ret_expr = "Ok(::winsync::com::abi::s_ok_if(answer))".into();
            m.checks.push(format!(
                "`true` reaches the caller as S_OK and `false` as S_FALSE: {}",
                m.s_false_meaning
            ));
        } else if m.keeps_s_false {
            // The success code travels first, before any out-parameter.
            outs.insert(0, ("windows_core::HRESULT".into(), "hresult".into()));
            m.ret_expr = "Ok(hresult)".into();
            // Checked before any out-value is written.
            m.writebacks.insert(
                0,
                "let hresult = ::winsync::com::abi::s_ok_or_s_false(hresult)?;".into(),
            );
            m.checks.push(format!(
                "the success code the implementation returns reaches the caller: {}; a success \
                 code other than S_OK or S_FALSE is `E_UNEXPECTED` (the caller would misread it)",
                m.s_false_meaning
            ));
        } else {
            m.ret_expr = "Ok(())".into();
        }

        let (types, names): (Vec<String>, Vec<String>) = outs.into_iter().unzip();
        m.safe_return = match types.len() {
            0 => "windows_core::Result<()>".into(),
            1 => format!("windows_core::Result<{}>", types[0]),
            _ => format!("windows_core::Result<({})>", types.join(", ")),
        };
        m.out_pattern = match names.len() {
            0 => "()".into(),
            1 => names[0].clone(),
            _ => format!("({})", names.join(", ")),
        };
        Ok(m)
    }

    fn classify(&self, ty: &syn::Type, meta: &ParamMeta) -> Kind {
        let out = meta.flags.contains(ParamAttributes::Out);
        let input = meta.flags.contains(ParamAttributes::In);
        match ty {
            syn::Type::Reference(r) if last_ident(&r.elem).as_deref() == Some("PCWSTR") => {
                Kind::StringIn { by_ref: true }
            }
            syn::Type::Ptr(p) => {
                let pointee = p.elem.as_ref();
                let pointee_name = last_ident(pointee);
                if meta.in_array
                    && let Some(count) = meta.count_of
                {
                    return Kind::ConstArray {
                        ty: tokens(pointee),
                        count,
                    };
                }
                if p.const_token.is_some() {
                    if pointee_name.as_deref() == Some("PCWSTR") && meta.count_of.is_some() {
                        return Kind::StringArray {
                            count: meta.count_of.unwrap_or_default(),
                        };
                    }
                    if let Some(count) = meta.count_of
                        && !is_byte(pointee)
                        && self.is_struct_like(pointee)
                    {
                        // `count` elements (`pguidEventIDs` and `cEvents`): a slice.
                        return Kind::ConstArray {
                            ty: tokens(pointee),
                            count,
                        };
                    }
                    if !meta.is_buffer && !is_byte(pointee) && self.is_struct_like(pointee) {
                        return Kind::ConstRef(tokens(pointee));
                    }
                    return Kind::Raw;
                }
                if meta.is_buffer || is_byte(pointee) || matches!(pointee, syn::Type::Ptr(_)) {
                    return Kind::Raw;
                }
                match pointee_name.as_deref() {
                    Some("PWSTR") if out && !input => Kind::StringOut,
                    Some("BOOL") if out && !input => Kind::ValueOut(OutValue::Bool),
                    Some(name) if out && !input && self.enums.contains_key(name) => {
                        Kind::ValueOut(OutValue::Enum(self.enums[name].clone()))
                    }
                    Some(_)
                        if out
                            && !input
                            && (self.is_integer_like(pointee) || self.is_struct_like(pointee)) =>
                    {
                        Kind::ValueOut(OutValue::Plain(tokens(pointee)))
                    }
                    // An in/out enum (`pnCancelRequest`) is what the callee answers: an out value.
                    Some(name) if out && input && self.enums.contains_key(name) => {
                        Kind::ValueOut(OutValue::Enum(self.enums[name].clone()))
                    }
                    Some(_)
                        if out
                            && input
                            && (self.is_integer_like(pointee) || self.is_struct_like(pointee)) =>
                    {
                        Kind::InOut(tokens(pointee))
                    }
                    _ => Kind::Raw,
                }
            }
            syn::Type::Path(path) => {
                let Some(last) = path.path.segments.last() else {
                    return Kind::Raw;
                };
                let name = last.ident.to_string();
                match name.as_str() {
                    "Ref" => generic_arg(last).map_or(Kind::Raw, |i| Kind::InterfaceIn(tokens(i))),
                    "OutRef" => {
                        generic_arg(last).map_or(Kind::Raw, |i| Kind::InterfaceOut(tokens(i)))
                    }
                    "PCWSTR" => Kind::StringIn { by_ref: false },
                    "BOOL" => Kind::Bool,
                    _ if self.enums.contains_key(&name) => Kind::Enum(self.enums[&name].clone()),
                    _ => Kind::Plain(tokens(ty)),
                }
            }
            _ => Kind::Raw,
        }
    }

    /// An integer, or a type alias of one (`SYNCMGR_PRESENTER_CHOICE`, `SYNC_RESOLVE_ACTION`:
    /// windows-bindgen declares some enums as `pub type X = i32`).
    fn is_integer_like(&self, ty: &syn::Type) -> bool {
        is_integer(ty)
            || last_ident(ty)
                .and_then(|name| self.bindings.alias_target(&name))
                .is_some_and(|target| {
                    matches!(
                        target.as_str(),
                        "u8" | "i8"
                            | "u16"
                            | "i16"
                            | "u32"
                            | "i32"
                            | "u64"
                            | "i64"
                            | "usize"
                            | "isize"
                    )
                })
    }

    /// A struct, GUID, HRESULT or integer the safe side can take by reference or value.
    fn is_struct_like(&self, ty: &syn::Type) -> bool {
        match last_ident(ty).as_deref() {
            Some("GUID" | "HRESULT") => true,
            Some(name) => self.bindings.structs.contains(name),
            None => false,
        }
    }

    #[allow(clippy::too_many_arguments)]
    fn lower(
        &self,
        m: &mut SkeletonMethod,
        outs: &mut Vec<(String, String)>,
        kind: Kind,
        abi: &str,
        safe: &str,
        windows_param: &str,
        nullable: bool,
        abi_params: &[(String, &syn::Type)],
        meta_names: &[String],
    ) {
        let bound = if windows_param.contains("ID") || windows_param.contains("Id") {
            ID_BOUND
        } else {
            TEXT_BOUND
        };
        match kind {
            Kind::Plain(ty) => {
                m.safe_params.push(format!("{safe}: {ty}"));
                m.call_args.push(abi.to_string());
            }
            Kind::Bool => {
                m.safe_params.push(format!("{safe}: bool"));
                m.call_args.push(format!("{abi}.as_bool()"));
            }
            Kind::Enum(rust) => {
                m.safe_params.push(format!("{safe}: {rust}"));
                m.preludes
                    .push(format!("let {safe} = {rust}::try_from({abi})?;"));
                m.call_args.push(safe.to_string());
                m.checks.push(format!(
                    "`{windows_param}` is a valid value of [`{rust}`], else `E_INVALIDARG`"
                ));
            }
            Kind::InterfaceIn(interface) if nullable => {
                m.safe_params.push(format!("{safe}: Option<&{interface}>"));
                m.call_args.push(format!("{abi}.as_ref()"));
            }
            Kind::InterfaceIn(interface) => {
                m.safe_params.push(format!("{safe}: &{interface}"));
                m.preludes.push(format!("let {safe} = {abi}.ok()?;"));
                m.call_args.push(safe.to_string());
                m.checks
                    .push(format!("`{windows_param}` is not null, else `E_POINTER`"));
            }
            Kind::InterfaceArrayOut { interface, count } => {
                m.safe_params
                    .push(format!("{safe}: &mut [Option<{interface}>]"));
                m.preludes.push(format!(
                    "let mut {safe} = unsafe {{ ::winsync::com::abi::OutArray::<{interface}>::new(::core::mem::transmute_copy::<_, *mut *mut ::core::ffi::c_void>(&{abi}), {count}) }}?;"
                ));
                m.call_args.push(format!("{safe}.as_mut_slice()"));
                m.writebacks.push(format!("{safe}.keep();"));
                m.checks.push(format!(
                    "`{windows_param}` is not null, else `E_POINTER`; the slice is its `{count}` elements, all `None` on entry, filled from the front; on failure every element is released and NULL again"
                ));
            }
            Kind::InterfaceOut(interface) => {
                m.preludes
                    .push(format!("::winsync::com::abi::check_out({abi}.is_null())?;"));
                let value = if nullable {
                    format!("Option<{interface}>")
                } else {
                    interface.clone()
                };
                let write = if nullable {
                    safe.to_string()
                } else {
                    format!("Some({safe})")
                };
                m.writebacks.push(format!("{abi}.write({write})?;"));
                outs.push((value, safe.to_string()));
                m.checks.push(format!("`{windows_param}` is not null, else `E_POINTER` (checked before user code runs)"));
            }
            Kind::StringIn { by_ref } => {
                let pointer = if by_ref {
                    format!("*{abi}")
                } else {
                    abi.to_string()
                };
                if nullable {
                    m.safe_params.push(format!("{safe}: Option<&str>"));
                    m.preludes.push(format!("let {safe} = unsafe {{ ::winsync::com::abi::read_wide_opt({pointer}, {bound}) }}?;"));
                    m.call_args.push(format!("{safe}.as_deref()"));
                } else {
                    m.safe_params.push(format!("{safe}: &str"));
                    m.preludes.push(format!("let {safe} = unsafe {{ ::winsync::com::abi::read_wide({pointer}, {bound}) }}?;"));
                    m.call_args.push(format!("&{safe}"));
                    m.checks
                        .push(format!("`{windows_param}` is not null, else `E_POINTER`"));
                }
                m.checks.push(format!(
                    "`{windows_param}` is valid UTF-16 of at most `{}` units, else `E_INVALIDARG`",
                    bound.rsplit("::").next().unwrap_or(bound)
                ));
            }
            Kind::ConstArray { ty, count } => {
                let count_abi = meta_names
                    .get(count)
                    .and_then(|name| {
                        abi_params
                            .iter()
                            .find(|(n, _)| *n == name.to_ascii_lowercase())
                    })
                    .map_or_else(|| "0".to_string(), |(n, _)| n.clone());
                m.safe_params.push(format!("{safe}: &[{ty}]"));
                m.preludes.push(format!(
                    "let {safe} = unsafe {{ ::winsync::com::abi::read_array({abi}, {count_abi}) }}?;"
                ));
                m.call_args.push(safe.to_string());
                m.checks.push(format!(
                    "`{windows_param}` holds `{count_abi}` elements (it may be NULL only when there are none), else `E_POINTER`"
                ));
            }
            Kind::StringArray { count } => {
                let count_abi = meta_names
                    .get(count)
                    .and_then(|name| {
                        abi_params
                            .iter()
                            .find(|(n, _)| *n == name.to_ascii_lowercase())
                    })
                    .map_or_else(|| "0".to_string(), |(n, _)| n.clone());
                m.safe_params.push(format!("{safe}: &[String]"));
                m.preludes.push(format!(
                    "let {safe} = unsafe {{ ::winsync::com::abi::read_wide_array({abi}, {count_abi}, {bound}) }}?;"
                ));
                m.call_args.push(format!("&{safe}"));
                m.checks.push(format!(
                    "`{windows_param}` holds `{count_abi}` non-null, valid UTF-16 strings of bounded length, else `E_POINTER` / `E_INVALIDARG`"
                ));
            }
            Kind::StringOut => {
                m.preludes
                    .push(format!("::winsync::com::abi::check_out({abi}.is_null())?;"));
                m.writebacks.push(format!(
                    "unsafe {{ {abi}.write(::winsync::com::abi::co_task_wide(&{safe})?) }};"
                ));
                outs.push(("String".into(), safe.to_string()));
                m.checks.push(format!("`{windows_param}` is not null, else `E_POINTER`; the string is allocated with `CoTaskMemAlloc`"));
            }
            Kind::ValueOut(value) => {
                if !nullable {
                    m.preludes
                        .push(format!("::winsync::com::abi::check_out({abi}.is_null())?;"));
                }
                let (safe_ty, convert) = match value {
                    OutValue::Bool => ("bool".to_string(), format!("{safe}.into()")),
                    OutValue::Enum(rust) => (rust, format!("{safe}.into()")),
                    OutValue::Plain(ty) => (ty, safe.to_string()),
                };
                if nullable {
                    m.writebacks.push(format!(
                        "if !{abi}.is_null() {{ unsafe {{ {abi}.write({convert}) }}; }}"
                    ));
                    m.checks.push(format!(
                        "`{windows_param}` may be null: the value is then not written"
                    ));
                } else {
                    m.writebacks
                        .push(format!("unsafe {{ {abi}.write({convert}) }};"));
                    m.checks.push(format!("`{windows_param}` is not null, else `E_POINTER` (checked before user code runs)"));
                }
                outs.push((safe_ty, safe.to_string()));
            }
            Kind::ConstRef(ty) => {
                m.safe_params.push(format!("{safe}: &{ty}"));
                m.preludes.push(format!("let {safe} = unsafe {{ {abi}.as_ref() }}.ok_or_else(::winsync::com::abi::null_pointer)?;"));
                m.call_args.push(safe.to_string());
                m.checks
                    .push(format!("`{windows_param}` is not null, else `E_POINTER`"));
            }
            Kind::InOut(ty) if nullable => {
                m.safe_params.push(format!("{safe}: Option<&mut {ty}>"));
                m.preludes
                    .push(format!("let {safe} = unsafe {{ {abi}.as_mut() }};"));
                m.call_args.push(safe.to_string());
                m.checks
                    .push(format!("`{windows_param}` may be null (`None`)"));
            }
            Kind::InOut(ty) => {
                m.safe_params.push(format!("{safe}: &mut {ty}"));
                m.preludes.push(format!("let {safe} = unsafe {{ {abi}.as_mut() }}.ok_or_else(::winsync::com::abi::null_pointer)?;"));
                m.call_args.push(safe.to_string());
                m.checks
                    .push(format!("`{windows_param}` is not null, else `E_POINTER`"));
            }
            Kind::Raw => {
                let ty = abi_params
                    .iter()
                    .find(|(n, _)| n == abi)
                    .map(|(_, t)| tokens(*t))
                    .unwrap_or_default();
                m.safe_params.push(format!("{safe}: {ty}"));
                m.call_args.push(abi.to_string());
                m.raw_params.push(format!(
                    "`{safe}` is passed through as the raw `{ty}` of the ABI"
                ));
            }
        }
    }

    /// The safe type and conversion of a `[retval]` windows-bindgen lifted into `Result<T>`.
    fn retval(&self, payload: &syn::Type) -> (String, String) {
        match last_ident(payload).as_deref() {
            Some("PWSTR") => (
                "String".into(),
                "::winsync::com::abi::co_task_wide(&value)?".into(),
            ),
            Some("BOOL") => ("bool".into(), "value.into()".into()),
            Some(name) if self.enums.contains_key(name) => {
                (self.enums[name].clone(), "value.into()".into())
            }
            _ => (tokens(payload), "value".into()),
        }
    }
}

fn meta_names(method: MethodDef) -> Vec<String> {
    method
        .params()
        .filter(|p| p.sequence() > 0)
        .map(|p| p.name().to_string())
        .collect()
}

/// A body that does nothing, and whether it returns `Ok(())`: it does when there is nothing
/// to hand back and the method is not listed `not_implemented`, else it answers `E_NOTIMPL`
/// (the caller then does what it does without an implementation).
fn default_body(method: &SkeletonMethod, not_implemented: bool) -> (String, bool) {
    let names: Vec<&str> = method
        .safe_params
        .iter()
        .filter_map(|p| p.split(':').next())
        .map(str::trim)
        .collect();
    let unused = match names.len() {
        0 => String::new(),
        1 => format!("let _ = {};", names[0]),
        _ => format!("let _ = ({});", names.join(", ")),
    };
    // Nothing to hand back and no raw out-pointer left unwritten: doing nothing succeeds.
    let ok = method.safe_return == "windows_core::Result<()>"
        && method.raw_params.is_empty()
        && !not_implemented;
    let value = if ok {
        "Ok(())"
    } else {
        "Err(::winsync::com::abi::not_implemented())"
    };
    (format!("{{ {unused} {value} }}"), ok)
}

struct ParamMeta {
    name: String,
    flags: ParamAttributes,
    count_of: Option<usize>,
    /// A pointer to a buffer whose length another parameter gives (`NativeArrayInfo`,
    /// `MemorySize`): never a Rust reference, which would cover one element only.
    is_buffer: bool,
    /// An `[in]` array of `count_of` elements by the supplement's `[[in_array]]`.
    in_array: bool,
}

enum Kind {
    Plain(String),
    Bool,
    Enum(String),
    InterfaceIn(String),
    InterfaceOut(String),
    /// An `[out]` array of interface pointers and the ABI name of its count parameter.
    InterfaceArrayOut {
        interface: String,
        count: String,
    },
    StringIn {
        by_ref: bool,
    },
    StringArray {
        count: usize,
    },
    /// A `*const T` array of `count` elements (the metadata position of its count).
    ConstArray {
        ty: String,
        count: usize,
    },
    StringOut,
    ValueOut(OutValue),
    ConstRef(String),
    InOut(String),
    Raw,
}

enum OutValue {
    Bool,
    Enum(String),
    Plain(String),
}

/// Tokens as Rust source, spaced the way rustfmt would for pointers and paths.
fn tokens(t: &impl ToTokens) -> String {
    t.to_token_stream()
        .to_string()
        .replace("* mut ", "*mut ")
        .replace("* const ", "*const ")
        .replace(" :: ", "::")
        .replace(" < ", "<")
        .replace(" >", ">")
        .replace("< ", "<")
}

fn last_ident(ty: &syn::Type) -> Option<String> {
    match ty {
        syn::Type::Path(p) => p.path.segments.last().map(|s| s.ident.to_string()),
        _ => None,
    }
}

/// `I` of a `*mut Option<I>` parameter.
fn option_pointee(ty: &syn::Type) -> Option<String> {
    let syn::Type::Ptr(pointer) = ty else {
        return None;
    };
    let syn::Type::Path(path) = pointer.elem.as_ref() else {
        return None;
    };
    let last = path.path.segments.last()?;
    if pointer.const_token.is_some() || last.ident != "Option" {
        return None;
    }
    generic_arg(last).map(tokens)
}

fn generic_arg(segment: &syn::PathSegment) -> Option<&syn::Type> {
    match &segment.arguments {
        syn::PathArguments::AngleBracketed(args) => args.args.iter().find_map(|a| match a {
            syn::GenericArgument::Type(t) => Some(t),
            _ => None,
        }),
        _ => None,
    }
}

/// A byte pointer is a buffer in these APIs (the metadata does not always say so), never one
/// byte: it stays a raw pointer.
fn is_byte(ty: &syn::Type) -> bool {
    matches!(last_ident(ty).as_deref(), Some("u8" | "i8"))
}

fn is_integer(ty: &syn::Type) -> bool {
    matches!(
        last_ident(ty).as_deref(),
        Some("u8" | "i8" | "u16" | "i16" | "u32" | "i32" | "u64" | "i64" | "usize" | "isize")
    )
}

/// `T` of a `windows_core::Result<T>` return, unless `T` is `()`.
fn result_payload(output: &syn::ReturnType) -> Option<&syn::Type> {
    let syn::ReturnType::Type(_, ty) = output else {
        return None;
    };
    let syn::Type::Path(path) = ty.as_ref() else {
        return None;
    };
    let last = path.path.segments.last()?;
    if last.ident != "Result" {
        return None;
    }
    match generic_arg(last)? {
        syn::Type::Tuple(t) if t.elems.is_empty() => None,
        other => Some(other),
    }
}

/// What the bindings declare, by name.
pub(crate) struct BindingsIndex<'a> {
    impl_traits: BTreeMap<String, &'a syn::ItemTrait>,
    /// `struct Name(pub repr)` newtypes: name → repr.
    newtypes: BTreeMap<String, String>,
    /// `type Name = target`.
    aliases: BTreeMap<String, String>,
    /// Every struct name (value types, handles and interfaces).
    structs: BTreeSet<String>,
}

impl<'a> BindingsIndex<'a> {
    pub(crate) fn new(items: impl IntoIterator<Item = &'a syn::Item>) -> Self {
        let mut index = Self {
            impl_traits: BTreeMap::new(),
            newtypes: BTreeMap::new(),
            aliases: BTreeMap::new(),
            structs: BTreeSet::new(),
        };
        for item in items {
            match item {
                syn::Item::Trait(t) => {
                    if let Some(name) = t.ident.to_string().strip_suffix("_Impl") {
                        index.impl_traits.insert(name.to_string(), t);
                    }
                }
                syn::Item::Struct(s) => {
                    let name = s.ident.to_string();
                    if let syn::Fields::Unnamed(fields) = &s.fields
                        && fields.unnamed.len() == 1
                        && let Some(field) = fields.unnamed.first()
                        && is_integer(&field.ty)
                    {
                        index.newtypes.insert(name.clone(), tokens(&field.ty));
                    }
                    index.structs.insert(name);
                }
                syn::Item::Type(t) => {
                    index
                        .aliases
                        .insert(t.ident.to_string(), tokens(t.ty.as_ref()));
                }
                _ => {}
            }
        }
        index
    }

    pub(crate) fn impl_trait(&self, interface: &str) -> Option<&'a syn::ItemTrait> {
        self.impl_traits.get(interface).copied()
    }

    fn newtype_repr(&self, name: &str) -> Option<String> {
        self.newtypes.get(name).cloned()
    }

    fn alias_target(&self, name: &str) -> Option<String> {
        self.aliases.get(name).cloned()
    }

    fn has_type(&self, name: &str) -> bool {
        self.structs.contains(name) || self.aliases.contains_key(name)
    }
}
