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

mod interfaces;
mod rules;
mod supplement;

use interfaces::{check_enums, check_interfaces};
use rules::check_rules;
use supplement::check_supplement;

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

    let hresults = check_supplement(&lookup, supplement, supplement_text, &mut report);
    check_interfaces(&lookup, contracts, contracts_text, &mut report);
    check_enums(&lookup, contracts, contracts_text, &mut report);
    check_rules(
        &lookup,
        contracts,
        contracts_text,
        supplement_text,
        &hresults,
        &mut report,
    );

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
