//! Checks the derive input; every problem is a compile error at its span.

use crate::ast::Input;

/// The derives apply to non-generic structs (the COM object owns the value and must name a
/// concrete type).
pub fn validate(input: &Input) -> syn::Result<()> {
    let item = input.item;
    let name = input.kind.derive_name();
    match &item.data {
        syn::Data::Struct(_) => {}
        syn::Data::Enum(data) => {
            return Err(syn::Error::new(
                data.enum_token.span,
                format!(
                    "`#[derive({name})]` applies to structs, not enums: wrap the enum in a struct"
                ),
            ));
        }
        syn::Data::Union(data) => {
            return Err(syn::Error::new(
                data.union_token.span,
                format!("`#[derive({name})]` applies to structs, not unions"),
            ));
        }
    }
    if let Some(param) = item.generics.params.first() {
        return Err(syn::Error::new_spanned(
            param,
            format!(
                "`#[derive({name})]` applies to structs without generic parameters: the COM object needs a concrete type"
            ),
        ));
    }
    Ok(())
}
