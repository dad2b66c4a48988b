//! What the windows-bindgen output declares, by name: the `_Impl` traits, newtypes,
//! aliases and structs the skeleton model looks up.

use super::params::*;
use super::*;

/// What the bindings declare, by name.
pub(crate) struct BindingsIndex<'a> {
    impl_traits: BTreeMap<String, &'a syn::ItemTrait>,
    /// `struct Name(pub repr)` newtypes: name → repr.
    newtypes: BTreeMap<String, String>,
    /// `type Name = target`.
    aliases: BTreeMap<String, String>,
    /// Every struct name (value types, handles and interfaces).
    pub(super) structs: BTreeSet<String>,
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

    pub(super) fn newtype_repr(&self, name: &str) -> Option<String> {
        self.newtypes.get(name).cloned()
    }

    pub(super) fn alias_target(&self, name: &str) -> Option<String> {
        self.aliases.get(name).cloned()
    }

    pub(super) fn has_type(&self, name: &str) -> bool {
        self.structs.contains(name) || self.aliases.contains_key(name)
    }
}
