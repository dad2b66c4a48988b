//! Which vtable parameters are `[out]` interface pointers: the parameters the bindings fix sets
//! to NULL before an implementation runs, so that every failure leaves NULL behind (COM's rule
//! for `[out]` interface pointers; `_COM_Outptr_` in the headers).
//!
//! A parameter qualifies when the metadata marks it `[out]` and not `[in]` and windows-bindgen
//! passes it to the vtable shim as `*mut *mut c_void` (an interface pointer, or a `void**` with
//! a `riid` beside it). An `[out]` array of interface pointers (an enumerator's `rgelt`) carries
//! the name of the parameter that counts its elements. Where the metadata is wrong (`[in, out]`
//! for what the page calls `[out]`, an array without its count), `supplement.toml`'s
//! `[[out_pointer]]` entries correct it.

use std::collections::BTreeMap;

use windows_metadata::ParamAttributes;
use windows_metadata::reader::{BufferRelationship, Index, TypeCategory};

use crate::parse::supplement::OutPointerEntry;

/// One `[out]` interface-pointer parameter of a method.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OutPointer {
    /// The parameter's name as windows-bindgen writes it (lower case).
    pub name: String,
    /// For an array: the name of the parameter holding its element count.
    pub count: Option<String>,
}

/// `(interface, method)` → its `[out]` parameters, as the metadata declares them.
#[derive(Debug, Clone, Default)]
pub struct OutParams {
    methods: BTreeMap<(String, String), Vec<MetaParam>>,
}

#[derive(Debug, Clone)]
struct MetaParam {
    name: String,
    out_only: bool,
    count: Option<String>,
    /// The caller may pass NULL (`supplement.toml`'s `optional`).
    optional: bool,
}

impl OutParams {
    /// Reads the parameters of every method of every interface named in `interfaces` (the
    /// interfaces whose vtables the bindings hold), with the corrections of `supplement`. An
    /// interface the metadata does not have contributes nothing.
    pub fn read<'a>(
        index: &Index,
        interfaces: impl IntoIterator<Item = &'a str>,
        supplement: &[OutPointerEntry],
    ) -> Self {
        let wanted: std::collections::BTreeSet<&str> = interfaces.into_iter().collect();
        let mut methods = BTreeMap::new();
        // Bare names collide in the full Win32 metadata: the sync families' interfaces first,
        // so that their methods win.
        let mut defs: Vec<_> = index
            .types()
            .filter(|def| def.category() == TypeCategory::Interface && wanted.contains(def.name()))
            .collect();
        defs.sort_by_key(|def| !crate::model::validate::is_sync_namespace(def.namespace()));
        for def in defs {
            for method in def.methods() {
                let params: Vec<_> = method.params().filter(|p| p.sequence() > 0).collect();
                let names: Vec<String> = params.iter().map(|p| p.name().to_lowercase()).collect();
                let list = params
                    .iter()
                    .map(|p| {
                        let flags = p.flags();
                        MetaParam {
                            name: p.name().to_lowercase(),
                            out_only: flags.contains(ParamAttributes::Out)
                                && !flags.contains(ParamAttributes::In),
                            count: match p.buffer_relationship() {
                                Some(BufferRelationship::ElementsParam(i)) => {
                                    usize::try_from(i).ok().and_then(|i| names.get(i).cloned())
                                }
                                _ => None,
                            },
                            optional: false,
                        }
                    })
                    .collect();
                methods
                    .entry((def.name().to_string(), method.name().to_string()))
                    .or_insert(list);
            }
        }
        for entry in supplement {
            let key = (
                entry.interface.get_ref().clone(),
                entry.method.get_ref().clone(),
            );
            let name = entry.param.get_ref().to_lowercase();
            if let Some(param) = methods
                .get_mut(&key)
                .and_then(|params: &mut Vec<MetaParam>| params.iter_mut().find(|p| p.name == name))
            {
                param.out_only = true;
                param.optional = entry.optional;
                if let Some(count) = &entry.count {
                    param.count = Some(count.get_ref().to_lowercase());
                }
            }
        }
        Self { methods }
    }

    /// Declares a method's parameters by hand (unit tests): `(name, [out] only, count)`.
    #[cfg(test)]
    pub(crate) fn declare(
        &mut self,
        interface: &str,
        method: &str,
        params: &[(&str, bool, Option<&str>)],
    ) {
        self.methods.insert(
            (interface.to_string(), method.to_string()),
            params
                .iter()
                .map(|(name, out_only, count)| MetaParam {
                    name: name.to_lowercase(),
                    out_only: *out_only,
                    count: count.map(str::to_lowercase),
                    optional: false,
                })
                .collect(),
        );
    }

    /// Whether the caller of `interface::method` may pass NULL for `param` (lower case).
    pub fn is_optional(&self, interface: &str, method: &str, param: &str) -> bool {
        self.methods
            .get(&(interface.to_string(), method.to_string()))
            .and_then(|params| params.iter().find(|p| p.name == param))
            .is_some_and(|p| p.optional)
    }

    /// Of a shim's `*mut *mut c_void` parameters (`candidates`, by name), those that are
    /// `[out]` interface pointers of `interface::method`.
    pub fn out_pointers(
        &self,
        interface: &str,
        method: &str,
        candidates: &[String],
    ) -> Vec<OutPointer> {
        let Some(params) = self
            .methods
            .get(&(interface.to_string(), method.to_string()))
        else {
            return Vec::new();
        };
        candidates
            .iter()
            .filter_map(|candidate| {
                let param = params.iter().find(|p| &p.name == candidate)?;
                param.out_only.then(|| OutPointer {
                    name: candidate.clone(),
                    count: param.count.clone(),
                })
            })
            .collect()
    }
}
