//! Checks `contracts.toml` and `supplement.toml` against the metadata: every interface, method,
//! parameter, enum, enum value and HRESULT they name must exist. All problems are collected and
//! reported together, each as `file:line:col: what is wrong`.

use std::collections::{BTreeMap, BTreeSet};

use windows_metadata::Type;
use windows_metadata::reader::{Index, Item, MethodDef, TypeCategory, TypeDef};

use crate::error::{Error, Result};
use crate::model::getters::{ends_with_queried_pair, is_object_getter};
use crate::model::selection::closest;
use crate::parse::contracts::{Contracts, SpannedStr};
use crate::parse::span::SourceText;
use crate::parse::supplement::Supplement;

/// Checks both files; `Ok` when every name resolves.
///
/// # Errors
/// [`Error::Data`] with one diagnostic per problem, in file order.
pub fn validate(
    index: &Index,
    contracts: &Contracts,
    contracts_text: &SourceText,
    supplement: &Supplement,
    supplement_text: &SourceText,
) -> Result<()> {
    let lookup = Lookup::new(index);
    let mut diagnostics = Vec::new();
    let mut report = |text: &SourceText, at: &SpannedStr, message: String| {
        diagnostics.push(text.diagnostic(at.span(), message));
    };

    // supplement.toml
    let mut hresults: BTreeSet<String> = lookup.metadata_hresults.clone();
    for hresult in &supplement.hresults {
        for name in std::iter::once(&hresult.name).chain(&hresult.aliases) {
            if !hresults.insert(name.get_ref().clone()) {
                report(
                    supplement_text,
                    name,
                    format!("HRESULT `{}` is defined twice", name.get_ref()),
                );
            }
        }
    }
    let mut s_false = BTreeSet::new();
    for entry in &supplement.keeps_s_false {
        let key = (
            entry.interface.get_ref().as_str(),
            entry.method.get_ref().as_str(),
        );
        if !s_false.insert(key) {
            report(
                supplement_text,
                &entry.method,
                format!("`{}::{}` is listed twice", key.0, key.1),
            );
            continue;
        }
        if is_root_interface(entry.interface.get_ref()) {
            report(
                supplement_text,
                &entry.interface,
                format!(
                    "`{}` is implemented by windows-core, not by the bindings: its results cannot be kept",
                    entry.interface.get_ref()
                ),
            );
            continue;
        }
        let Some(def) = lookup.interface(supplement_text, &entry.interface, &mut report) else {
            continue;
        };
        let Some(method) = lookup.method(supplement_text, def, &entry.method, &mut report) else {
            continue;
        };
        if !def.methods().any(|own| own == method) {
            let declared_by = match method.parent() {
                windows_metadata::reader::MemberRefParent::TypeDef(base) => base.name(),
                _ => "a base interface",
            };
            report(
                supplement_text,
                &entry.interface,
                format!(
                    "`{}::{}` is inherited from `{declared_by}`: list it there (the fix edits the \
                     `_Impl` trait of the interface that declares the method)",
                    key.0, key.1
                ),
            );
            continue;
        }
        if entry.yes_no
            && let Some(param) = method.params().find(|p| {
                p.sequence() > 0 && p.direction() != windows_metadata::reader::ParamDirection::Input
            })
        {
            report(
                supplement_text,
                &entry.method,
                format!(
                    "`{}::{}` hands back `{}`: `yes_no` needs a method whose success code is its \
                     whole answer",
                    key.0,
                    key.1,
                    param.name()
                ),
            );
            continue;
        }
        if let Some(param) = lifted_retval(method) {
            report(
                supplement_text,
                &entry.method,
                format!(
                    "`{}::{}` hands its result back through `{param}`, which windows-bindgen turns into the \
                     return value: the method cannot return S_FALSE as data",
                    key.0, key.1
                ),
            );
        }
    }
    // `[[out_pointer]]` and `[[in_array]]` name a parameter (and its count) of a method.
    let parameter_entries = supplement
        .out_pointers
        .iter()
        .map(|o| (&o.interface, &o.method, &o.param, o.count.as_ref()))
        .chain(
            supplement
                .in_arrays
                .iter()
                .map(|a| (&a.interface, &a.method, &a.param, Some(&a.count))),
        );
    let mut listed_params = BTreeSet::new();
    for (interface, method_name, param, count) in parameter_entries {
        let key = (
            interface.get_ref().as_str(),
            method_name.get_ref().as_str(),
            param.get_ref().as_str(),
        );
        if !listed_params.insert(key) {
            report(
                supplement_text,
                param,
                format!(
                    "`{}::{}` parameter `{}` is listed twice",
                    key.0, key.1, key.2
                ),
            );
        }
        let Some(def) = lookup.interface(supplement_text, interface, &mut report) else {
            continue;
        };
        let Some(method) = def.methods().find(|m| m.name() == method_name.get_ref()) else {
            report(
                supplement_text,
                method_name,
                unknown(
                    &format!("method of `{}`", def.name()),
                    method_name.get_ref(),
                    method_names(def, method_name.get_ref()),
                ),
            );
            continue;
        };
        for name in std::iter::once(param).chain(count) {
            if !method
                .params()
                .any(|p| p.sequence() > 0 && p.name() == name.get_ref())
            {
                report(
                    supplement_text,
                    name,
                    unknown(
                        "parameter",
                        name.get_ref(),
                        param_names(method, name.get_ref()),
                    ),
                );
            }
        }
    }

    // contracts.toml: interfaces
    let listed: BTreeSet<&str> = contracts
        .interfaces
        .iter()
        .map(|i| i.name.get_ref().as_str())
        .collect();
    let mut seen_interfaces = BTreeSet::new();
    for entry in &contracts.interfaces {
        if !seen_interfaces.insert(entry.name.get_ref().as_str()) {
            report(
                contracts_text,
                &entry.name,
                format!("[[interface]] `{}` is listed twice", entry.name.get_ref()),
            );
            continue;
        }
        if is_root_interface(entry.name.get_ref()) {
            report(
                contracts_text,
                &entry.name,
                format!(
                    "`{}` is the base of every interface and is implemented by windows-core: it gets no skeleton",
                    entry.name.get_ref()
                ),
            );
            continue;
        }
        let found = index
            .get(entry.namespace.get_ref(), entry.name.get_ref())
            .find(|d| d.category() == TypeCategory::Interface);
        let Some(def) = found else {
            let candidates = lookup.interfaces.keys().cloned();
            report(
                contracts_text,
                &entry.name,
                unknown(
                    "interface",
                    &format!("{}.{}", entry.namespace.get_ref(), entry.name.get_ref()),
                    closest(entry.name.get_ref(), candidates),
                ),
            );
            continue;
        };
        for base in bases(def) {
            if base != "IUnknown" && !listed.contains(base.as_str()) {
                report(
                    contracts_text,
                    &entry.name,
                    format!(
                        "`{}` extends `{base}`, which must be listed as an [[interface]] too",
                        entry.name.get_ref()
                    ),
                );
            }
        }
        for (listed, field) in entry
            .required
            .iter()
            .map(|m| (m, "required"))
            .chain(entry.not_implemented.iter().map(|m| (m, "not_implemented")))
        {
            if !def.methods().any(|m| m.name() == listed.get_ref()) {
                report(
                    contracts_text,
                    listed,
                    unknown(
                        "method",
                        listed.get_ref(),
                        method_names(def, listed.get_ref()),
                    ),
                );
            } else if !entry.defaults {
                report(
                    contracts_text,
                    listed,
                    format!(
                        "`{field}` only applies with `defaults = true`: `{}` has no defaults",
                        entry.name.get_ref()
                    ),
                );
            }
        }
        for listed in &entry.not_implemented {
            if entry
                .required
                .iter()
                .any(|r| r.get_ref() == listed.get_ref())
            {
                report(
                    contracts_text,
                    listed,
                    format!(
                        "`{}` is both required (no default) and not_implemented (a default)",
                        listed.get_ref()
                    ),
                );
            }
        }
        for nullable in &entry.nullable {
            let Some((method, param)) = nullable.get_ref().split_once('.') else {
                report(
                    contracts_text,
                    nullable,
                    format!("`{}` must be `Method.param`", nullable.get_ref()),
                );
                continue;
            };
            match def.methods().find(|m| m.name() == method) {
                Some(m) => {
                    if !m.params().any(|p| p.sequence() > 0 && p.name() == param) {
                        report(
                            contracts_text,
                            nullable,
                            unknown("parameter", nullable.get_ref(), param_names(m, param)),
                        );
                    }
                }
                None => report(
                    contracts_text,
                    nullable,
                    unknown("method", nullable.get_ref(), method_names(def, method)),
                ),
            }
        }
        for listed in &entry.queried {
            match def.methods().find(|m| m.name() == listed.get_ref()) {
                Some(m) if !ends_with_queried_pair(m) => report(
                    contracts_text,
                    listed,
                    format!(
                        "`{}::{}` does not end in an interface id (`REFIID`) and a `void**` \
                         out-pointer, which `queried` needs",
                        entry.name.get_ref(),
                        listed.get_ref()
                    ),
                ),
                Some(_)
                    if entry
                        .objects
                        .iter()
                        .any(|o| o.get_ref() == listed.get_ref()) =>
                {
                    report(
                        contracts_text,
                        listed,
                        format!(
                            "`{}` is listed in both `objects` and `queried`",
                            listed.get_ref()
                        ),
                    );
                }
                Some(_) => {}
                None => report(
                    contracts_text,
                    listed,
                    unknown(
                        "method",
                        listed.get_ref(),
                        method_names(def, listed.get_ref()),
                    ),
                ),
            }
        }
        for listed in &entry.objects {
            match def.methods().find(|m| m.name() == listed.get_ref()) {
                Some(m) if !is_object_getter(m) => report(
                    contracts_text,
                    listed,
                    format!(
                        "`{}::{}` is no GetObject-style method: `objects` needs exactly an object \
                         id (`REFGUID`), an interface id (`REFIID`) and a `void**` out-pointer",
                        entry.name.get_ref(),
                        listed.get_ref()
                    ),
                ),
                Some(_) => {}
                None => report(
                    contracts_text,
                    listed,
                    unknown(
                        "method",
                        listed.get_ref(),
                        method_names(def, listed.get_ref()),
                    ),
                ),
            }
        }
    }

    // contracts.toml: enums
    let mut seen_enums = BTreeSet::new();
    for entry in &contracts.enums {
        if !seen_enums.insert(entry.name.get_ref().as_str()) {
            report(
                contracts_text,
                &entry.name,
                format!("[[enum]] `{}` is listed twice", entry.name.get_ref()),
            );
            continue;
        }
        let found = index
            .get(entry.namespace.get_ref(), entry.name.get_ref())
            .find(|d| d.category() == TypeCategory::Enum);
        let Some(def) = found else {
            report(
                contracts_text,
                &entry.name,
                unknown(
                    "enum",
                    entry.name.get_ref(),
                    closest(entry.name.get_ref(), lookup.enums.keys().cloned()),
                ),
            );
            continue;
        };
        let values = enum_values(def);
        for invalid in &entry.invalid {
            if !values.contains(invalid.get_ref()) {
                report(
                    contracts_text,
                    invalid,
                    unknown(
                        "value",
                        invalid.get_ref(),
                        closest(invalid.get_ref(), values.iter().cloned()),
                    ),
                );
            }
        }
        if let Some(prefix) = &entry.strip_prefix {
            for value in values
                .iter()
                .filter(|v| !entry.invalid.iter().any(|i| i.get_ref() == *v))
            {
                if !value.starts_with(prefix.get_ref().as_str()) {
                    report(
                        contracts_text,
                        prefix,
                        format!(
                            "value `{value}` of `{}` does not start with `{}`",
                            entry.name.get_ref(),
                            prefix.get_ref()
                        ),
                    );
                }
            }
        }
    }

    // contracts.toml: rules
    for rule in &contracts.rules {
        let Some(def) = lookup.interface(contracts_text, &rule.interface, &mut report) else {
            continue;
        };
        let method = rule
            .method
            .as_ref()
            .and_then(|m| lookup.method(contracts_text, def, m, &mut report));
        let mut value_enum: Option<TypeDef> = None;
        if let Some(param) = &rule.param {
            match (&rule.method, method) {
                (None, _) => report(
                    contracts_text,
                    param,
                    "a rule with `param` needs `method`".into(),
                ),
                (Some(_), None) => {}
                (Some(_), Some(m)) => {
                    let position = m
                        .params()
                        .filter(|p| p.sequence() > 0)
                        .position(|p| p.name() == param.get_ref());
                    match position {
                        Some(i) => value_enum = lookup.enum_of(m.signature(&[]).types.get(i)),
                        None => report(
                            contracts_text,
                            param,
                            unknown(
                                "parameter",
                                param.get_ref(),
                                param_names(m, param.get_ref()),
                            ),
                        ),
                    }
                }
            }
        }
        for value in &rule.values {
            let known = match value_enum {
                Some(def) => enum_values(def).contains(value.get_ref()),
                None => lookup.enum_values.contains(value.get_ref()),
            };
            if !known {
                let candidates: Vec<String> = match value_enum {
                    Some(def) => enum_values(def).into_iter().collect(),
                    None => lookup.enum_values.iter().cloned().collect(),
                };
                report(
                    contracts_text,
                    value,
                    unknown(
                        "enum value",
                        value.get_ref(),
                        closest(value.get_ref(), candidates.into_iter()),
                    ),
                );
            }
        }
        if let Some(returns) = &rule.returns
            && !hresults.contains(returns.get_ref())
        {
            let suggestions = closest(returns.get_ref(), hresults.iter().cloned());
            let message = if suggestions.is_empty() {
                format!(
                    "unknown HRESULT `{}`: neither the metadata nor {} defines it",
                    returns.get_ref(),
                    supplement_text.name
                )
            } else {
                unknown("HRESULT", returns.get_ref(), suggestions)
            };
            report(contracts_text, returns, message);
        }
    }

    diagnostics.sort_by(|a, b| (&a.file, a.line, a.column).cmp(&(&b.file, b.line, b.column)));
    if diagnostics.is_empty() {
        Ok(())
    } else {
        Err(Error::Data(diagnostics))
    }
}

/// `IUnknown` and `IInspectable`: windows-core implements them; no entry may name them.
fn is_root_interface(name: &str) -> bool {
    matches!(name, "IUnknown" | "IInspectable")
}

/// The parameter windows-bindgen lifts into the `_Impl` method's return value, if any, by
/// windows-bindgen 0.100's rule: the last parameter, output only, not optional or reserved, not
/// a buffer, a pointer; marked `[retval]`, or every other parameter input only and the pointee
/// small (here: a number, a pointer, an interface, a string or handle type; larger structs are
/// left to the skeleton model's own check).
fn lifted_retval(method: MethodDef) -> Option<String> {
    use windows_metadata::reader::ParamDirection;
    let params: Vec<_> = method.params().filter(|p| p.sequence() > 0).collect();
    let last = params.last()?;
    let signature = method.signature(&[]);
    let returns_hresult =
        matches!(&signature.return_type, Type::ValueName(name) if name.name == "HRESULT");
    let Some(Type::PtrMut(pointee, _)) = signature.types.last() else {
        return None;
    };
    if !returns_hresult
        || last.direction() != ParamDirection::Output
        || last.is_optional()
        || last.is_reserved()
        || last.buffer_relationship().is_some()
    {
        return None;
    }
    if last.is_retval_attribute() {
        return Some(last.name().to_string());
    }
    let others_input = params[..params.len() - 1]
        .iter()
        .all(|p| p.direction() == ParamDirection::Input);
    let small = match pointee.as_ref() {
        Type::Void => false,
        Type::ClassName(_) | Type::PtrMut(..) | Type::PtrConst(..) => true,
        Type::ValueName(name) => matches!(
            name.name.as_str(),
            "PWSTR" | "PSTR" | "BSTR" | "HRESULT" | "BOOL" | "HWND"
        ),
        other => !matches!(
            other,
            Type::Array(_) | Type::ArrayFixed(..) | Type::Generic(..)
        ),
    };
    (others_input && small).then(|| last.name().to_string())
}

fn unknown(what: &str, name: &str, suggestions: Vec<String>) -> String {
    if suggestions.is_empty() {
        format!("unknown {what} `{name}`: the metadata has none of that name")
    } else {
        format!(
            "unknown {what} `{name}`; did you mean {}?",
            suggestions
                .iter()
                .map(|s| format!("`{s}`"))
                .collect::<Vec<_>>()
                .join(", ")
        )
    }
}

fn bases(def: TypeDef) -> Vec<String> {
    def.interface_impls()
        .filter_map(|i| match i.interface(&[]) {
            Type::ClassName(tn) => Some(tn.name),
            _ => None,
        })
        .collect()
}

fn enum_values(def: TypeDef) -> BTreeSet<String> {
    def.fields()
        .filter(|f| f.constant().is_some())
        .map(|f| f.name().to_string())
        .collect()
}

fn param_names(method: MethodDef, wanted: &str) -> Vec<String> {
    closest(
        wanted,
        method
            .params()
            .filter(|p| p.sequence() > 0)
            .map(|p| p.name().to_string()),
    )
}

fn method_names(def: TypeDef, wanted: &str) -> Vec<String> {
    closest(wanted, def.methods().map(|m| m.name().to_string()))
}

/// Whether `namespace` is one of the two families' (Windows Sync, the Shell's Sync Center).
pub(crate) fn is_sync_namespace(namespace: &str) -> bool {
    namespace == crate::extract::WINDOWS_SYNC_NAMESPACE
        || namespace == crate::extract::SHELL_NAMESPACE
}

/// Name lookups over the whole index.
struct Lookup<'a> {
    index: &'a Index,
    interfaces: BTreeMap<String, TypeDef<'a>>,
    enums: BTreeMap<String, TypeDef<'a>>,
    enum_values: BTreeSet<String>,
    metadata_hresults: BTreeSet<String>,
}

impl<'a> Lookup<'a> {
    fn new(index: &'a Index) -> Self {
        let mut lookup = Self {
            index,
            interfaces: BTreeMap::new(),
            enums: BTreeMap::new(),
            enum_values: BTreeSet::new(),
            metadata_hresults: BTreeSet::new(),
        };
        for def in index.types() {
            match def.category() {
                TypeCategory::Interface => {
                    // Bare names collide in the full Win32 metadata (another `IRangeException`
                    // lives outside the sync namespaces): the sync families' interface wins.
                    match lookup.interfaces.entry(def.name().to_string()) {
                        std::collections::btree_map::Entry::Vacant(entry) => {
                            entry.insert(def);
                        }
                        std::collections::btree_map::Entry::Occupied(mut entry) => {
                            if !is_sync_namespace(entry.get().namespace())
                                && is_sync_namespace(def.namespace())
                            {
                                entry.insert(def);
                            }
                        }
                    }
                }
                TypeCategory::Enum => {
                    lookup.enum_values.extend(enum_values(def));
                    lookup.enums.insert(def.name().to_string(), def);
                }
                _ => {}
            }
        }
        for (_, name, item) in index.iter_items() {
            if let Item::Const(field) = item
                && matches!(field.ty(), Type::ValueName(tn) if tn.name == "HRESULT")
            {
                lookup.metadata_hresults.insert(name.to_string());
            }
        }
        lookup
    }

    fn interface(
        &self,
        text: &SourceText,
        name: &SpannedStr,
        report: &mut impl FnMut(&SourceText, &SpannedStr, String),
    ) -> Option<TypeDef<'a>> {
        let found = self.interfaces.get(name.get_ref()).copied();
        if found.is_none() {
            report(
                text,
                name,
                unknown(
                    "interface",
                    name.get_ref(),
                    closest(name.get_ref(), self.interfaces.keys().cloned()),
                ),
            );
        }
        found
    }

    /// The method `name` of `def` or of one of its bases.
    fn method(
        &self,
        text: &SourceText,
        def: TypeDef<'a>,
        name: &SpannedStr,
        report: &mut impl FnMut(&SourceText, &SpannedStr, String),
    ) -> Option<MethodDef<'a>> {
        let mut current = Some(def);
        let mut candidates = Vec::new();
        // The walk up the base interfaces stops at an interface seen before: corrupt metadata
        // can make an interface its own base.
        let mut seen = BTreeSet::new();
        while let Some(interface) = current {
            if !seen.insert(interface.name().to_string()) {
                break;
            }
            if let Some(method) = interface.methods().find(|m| m.name() == name.get_ref()) {
                return Some(method);
            }
            candidates.extend(interface.methods().map(|m| m.name().to_string()));
            current = bases(interface)
                .first()
                .and_then(|base| self.interfaces.get(base).copied());
        }
        report(
            text,
            name,
            unknown(
                &format!("method of `{}`", def.name()),
                name.get_ref(),
                closest(name.get_ref(), candidates.into_iter()),
            ),
        );
        None
    }

    /// The enum a parameter type names, if it is one.
    fn enum_of(&self, ty: Option<&Type>) -> Option<TypeDef<'a>> {
        let mut ty = ty?;
        while let Type::PtrMut(inner, _) | Type::PtrConst(inner, _) = ty {
            ty = inner;
        }
        match ty {
            Type::ValueName(tn) => self
                .index
                .get(&tn.namespace, &tn.name)
                .find(|d| d.category() == TypeCategory::Enum),
            _ => None,
        }
    }
}

/// Every page UID (`NN:`, `NF:`, `NE:`, `NS:`) a source of `contracts` names is a page of the
/// documentation dataset `docs` (so that the report can link it and the text is there).
///
/// # Errors
/// [`Error::Data`] with a `file:line:col` diagnostic per source the dataset lacks.
pub fn sources_have_pages(
    contracts: &Contracts,
    contracts_text: &SourceText,
    docs: &crate::model::docs::DocIndex<'_>,
) -> Result<()> {
    let sources = contracts
        .interfaces
        .iter()
        .map(|i| &i.source)
        .chain(contracts.enums.iter().map(|e| &e.source))
        .chain(contracts.rules.iter().map(|r| &r.source));
    let mut diagnostics = Vec::new();
    for source in sources {
        let uid = source.get_ref();
        let is_page = ["NN:", "NF:", "NE:", "NS:"]
            .iter()
            .any(|k| uid.starts_with(k));
        if is_page && docs.uid(uid).is_none() {
            diagnostics.push(contracts_text.diagnostic(
                source.span(),
                format!(
                    "source `{uid}` is not a page of the documentation dataset ({}): a \
                     misspelt UID, or a page extract-docs has not read",
                    crate::bundled::DOCS_NAME
                ),
            ));
        }
    }
    if diagnostics.is_empty() {
        Ok(())
    } else {
        Err(Error::Data(diagnostics))
    }
}
