//! Filters (windows-bindgen syntax) resolved to the exact items to emit.
//!
//! Filters are expanded here into fully-qualified item names before windows-bindgen sees them:
//! a namespace filter makes windows-bindgen scan top-down, and that mode silently drops `_Impl`
//! traits whose methods use types from other namespaces. Precise names make it build the
//! type closure instead, which keeps every `_Impl` trait.

use std::collections::BTreeSet;

use windows_metadata::reader::{Index, Item};

use super::property_keys::{self, PropertyKey};
use crate::error::{Error, Result};
use crate::extract;

/// The items to emit.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Selection {
    /// Fully-qualified item names (`Namespace.Name`), sorted.
    pub items: BTreeSet<String>,
    /// Method-level filters (`Namespace.Type::Method`, optionally with `!`), passed on as given.
    pub method_filters: Vec<String>,
    /// Items a filter matched but that neither windows-bindgen 0.100 nor the generator can
    /// emit, with the reason.
    pub skipped: Vec<(String, &'static str)>,
    /// `PROPERTYKEY` constants a filter matched: windows-bindgen 0.100 cannot emit them, the
    /// generator does ([`super::property_keys`]); their `PROPERTYKEY` type is in `items`.
    pub property_keys: Vec<PropertyKey>,
}

impl Selection {
    /// The filter lines handed to windows-bindgen.
    pub fn bindgen_filters(&self) -> Vec<String> {
        self.items
            .iter()
            .cloned()
            .chain(self.method_filters.iter().cloned())
            .collect()
    }

    /// Whether `namespace.name` is selected.
    pub fn contains(&self, namespace: &str, name: &str) -> bool {
        self.items.contains(&format!("{namespace}.{name}"))
    }
}

/// The default selection: all of winsync and the Sync Center part of the Shell, plus the
/// standard HRESULT constants the adapters use and the COM plumbing of an in-process server
/// ([`extract::COM_SERVER_ITEMS`]).
pub fn default_filters() -> Vec<String> {
    let mut filters = vec![extract::WINDOWS_SYNC_NAMESPACE.to_string()];
    filters.push(format!("{}.*SyncMgr", extract::SHELL_NAMESPACE));
    for name in extract::FOUNDATION_HRESULTS {
        filters.push(format!("{}.{name}", extract::FOUNDATION_NAMESPACE));
    }
    for (namespace, name) in extract::COM_SERVER_ITEMS {
        filters.push(format!("{namespace}.{name}"));
    }
    filters
}

/// Resolves `filters` against `index`.
///
/// A filter is a namespace (`Windows.Win32.System.WindowsSync`), a fully-qualified item
/// (`Windows.Win32.UI.Shell.ISyncMgrHandler`), a bare item name (`ISyncMgrHandler`), a method
/// (`Windows.Win32.UI.Shell.ISyncMgrHandler::GetName`), or the project's Sync Center shorthand
/// `Windows.Win32.UI.Shell.*SyncMgr` (the items [`extract::is_sync_center_item`] accepts).
/// A leading `!` excludes. With no including filter the [`default_filters`] are the base.
///
/// # Errors
/// [`Error::UnknownFilter`] for a name the metadata does not define, with the closest names;
/// [`Error::Selection`] when nothing is left.
pub fn resolve(index: &Index, filters: &[String]) -> Result<Selection> {
    let (excludes, includes): (Vec<&String>, Vec<&String>) =
        filters.iter().partition(|f| f.starts_with('!'));
    let defaults = default_filters();
    let includes: Vec<&String> = if includes.is_empty() {
        defaults.iter().collect()
    } else {
        includes
    };

    let mut selection = Selection::default();
    for filter in includes {
        let filter = filter.trim();
        if filter.contains("::") {
            // The type is emitted with the named methods; its other methods become opaque
            // vtable slots.
            let (namespace, name, filter) = resolve_method_filter(index, filter)?;
            selection.items.insert(format!("{namespace}.{name}"));
            selection.method_filters.push(filter);
            continue;
        }
        for (namespace, name) in matches(index, filter)? {
            match property_key(index, &namespace, &name) {
                Some(Ok((key, (type_namespace, type_name)))) => {
                    selection
                        .items
                        .insert(format!("{type_namespace}.{type_name}"));
                    selection.property_keys.push(key);
                }
                Some(Err(reason)) => selection
                    .skipped
                    .push((format!("{namespace}.{name}"), reason)),
                None => {
                    selection.items.insert(format!("{namespace}.{name}"));
                }
            }
        }
    }
    for filter in excludes {
        let filter = filter.trim_start_matches('!').trim();
        if filter.contains("::") {
            let (_, _, filter) = resolve_method_filter(index, filter)?;
            selection.method_filters.push(format!("!{filter}"));
            continue;
        }
        for (namespace, name) in matches(index, filter)? {
            selection.items.remove(&format!("{namespace}.{name}"));
            selection
                .property_keys
                .retain(|k| k.namespace != namespace || k.name != name);
        }
    }
    if selection.items.is_empty() {
        return Err(Error::Selection("the filters select no item".into()));
    }
    selection.skipped.sort();
    selection.skipped.dedup();
    selection
        .property_keys
        .sort_by(|a, b| (&a.namespace, &a.name).cmp(&(&b.namespace, &b.name)));
    selection
        .property_keys
        .dedup_by(|a, b| a.namespace == b.namespace && a.name == b.name);
    Ok(selection)
}

/// Items `filter` names, or an error with suggestions.
fn matches(index: &Index, filter: &str) -> Result<Vec<(String, String)>> {
    if let Some(namespace) = filter.strip_suffix(".*SyncMgr") {
        let found: Vec<_> = index
            .namespace_items(namespace)
            .filter(|(name, _)| extract::is_sync_center_item(name))
            .map(|(name, _)| (namespace.to_string(), name.to_string()))
            .collect();
        return non_empty(index, filter, found);
    }
    // A namespace, or a namespace prefix (`Windows.Win32.System`).
    let namespaces: Vec<&str> = index
        .namespaces()
        .filter(|ns| *ns == filter || ns.starts_with(&format!("{filter}.")))
        .collect();
    if !namespaces.is_empty() {
        let mut found = Vec::new();
        for namespace in namespaces {
            found.extend(
                index
                    .namespace_items(namespace)
                    .map(|(name, _)| (namespace.to_string(), name.to_string())),
            );
        }
        return non_empty(index, filter, found);
    }
    // A fully-qualified item.
    if let Some((namespace, name)) = filter.rsplit_once('.')
        && index.get_item(namespace, name).next().is_some()
    {
        return Ok(vec![(namespace.to_string(), name.to_string())]);
    }
    // A bare item name, in whichever namespace defines it.
    let found: Vec<_> = index
        .iter_items()
        .filter(|(_, name, _)| *name == filter)
        .map(|(namespace, name, _)| (namespace.to_string(), name.to_string()))
        .collect::<BTreeSet<_>>()
        .into_iter()
        .collect();
    non_empty(index, filter, found)
}

fn non_empty(
    index: &Index,
    filter: &str,
    found: Vec<(String, String)>,
) -> Result<Vec<(String, String)>> {
    if found.is_empty() {
        Err(unknown(index, filter))
    } else {
        Ok(found)
    }
}

/// Checks `Namespace.Type::Method` (or `Type::Method` with a bare type name the metadata
/// defines once) and returns the type's namespace and name and the filter fully qualified.
fn resolve_method_filter(index: &Index, filter: &str) -> Result<(String, String, String)> {
    let (type_name, method) = filter.split_once("::").unwrap_or((filter, ""));
    let (namespace, name) = match type_name.rsplit_once('.') {
        Some((namespace, name)) => (namespace.to_string(), name.to_string()),
        None => {
            let types: BTreeSet<String> = index
                .iter_items()
                .filter(|(_, name, item)| *name == type_name && matches!(item, Item::Type(_)))
                .map(|(namespace, _, _)| namespace.to_string())
                .collect();
            match types.len() {
                1 => (
                    types.into_iter().next().unwrap_or_default(),
                    type_name.to_string(),
                ),
                0 => return Err(unknown(index, type_name)),
                _ => {
                    return Err(Error::UnknownFilter {
                        name: filter.to_string(),
                        suggestions: types
                            .into_iter()
                            .map(|namespace| format!("{namespace}.{type_name}::{method}"))
                            .collect(),
                    });
                }
            }
        }
    };
    let qualified = format!("{namespace}.{name}");
    let Some(def) = index.get(&namespace, &name).next() else {
        return Err(unknown(index, &qualified));
    };
    if def.methods().any(|m| m.name() == method) {
        Ok((namespace, name, format!("{qualified}::{method}")))
    } else {
        Err(Error::UnknownFilter {
            name: filter.to_string(),
            suggestions: closest(
                method,
                def.methods().map(|m| format!("{qualified}::{}", m.name())),
            ),
        })
    }
}

/// The method filters (`[!]Namespace.Type::Method`) naming a type in `types`: those would
/// leave a type that gets a skeleton trait without its `_Impl` trait.
pub fn method_filters_on<'a>(
    selection: &'a Selection,
    types: &'a BTreeSet<String>,
) -> impl Iterator<Item = (&'a str, &'a str)> + 'a {
    selection.method_filters.iter().filter_map(|filter| {
        let filter = filter.trim_start_matches('!');
        let (type_name, _) = filter.split_once("::")?;
        types.contains(type_name).then_some((filter, type_name))
    })
}

/// Why windows-bindgen 0.100 cannot emit an item, if it cannot: it panics on PROPERTYKEY
/// constants (`types/cpp_const.rs`).
/// The property key `namespace.name` is, with its `PROPERTYKEY` type; `None` for any other
/// item; the reason when its values cannot be read.
#[allow(clippy::type_complexity)]
fn property_key(
    index: &Index,
    namespace: &str,
    name: &str,
) -> Option<Result<(PropertyKey, (String, String)), &'static str>> {
    index.get_item(namespace, name).find_map(|item| match item {
        Item::Const(field) => {
            let ty = property_keys::property_key_type(&field)?;
            Some(property_keys::read(namespace, &field).map(|key| (key, ty)))
        }
        _ => None,
    })
}

fn unknown(index: &Index, filter: &str) -> Error {
    let candidates = index.namespaces().map(str::to_string).chain(
        index
            .iter_items()
            .map(|(namespace, name, _)| format!("{namespace}.{name}")),
    );
    Error::UnknownFilter {
        name: filter.to_string(),
        suggestions: closest(filter, candidates),
    }
}

/// The (at most five) candidates closest to `wanted`, comparing last path segments by
/// Jaro-Winkler similarity, best first.
pub fn closest(wanted: &str, candidates: impl Iterator<Item = String>) -> Vec<String> {
    let last = |s: &str| {
        s.rsplit(['.', ':'])
            .next()
            .unwrap_or(s)
            .to_ascii_lowercase()
    };
    let wanted_last = last(wanted);
    let mut scored: Vec<(f64, String)> = candidates
        .map(|candidate| {
            let whole = strsim::jaro_winkler(
                &wanted.to_ascii_lowercase(),
                &candidate.to_ascii_lowercase(),
            );
            let leaf = strsim::jaro_winkler(&wanted_last, &last(&candidate));
            (whole.max(leaf), candidate)
        })
        .filter(|(score, _)| *score >= 0.8)
        .collect();
    scored.sort_by(|a, b| b.0.total_cmp(&a.0).then_with(|| a.1.cmp(&b.1)));
    scored.dedup_by(|a, b| a.1 == b.1);
    scored.into_iter().take(5).map(|(_, name)| name).collect()
}
