//! Writes the code of a derive. Everything is named by absolute path through the runtime crate.

use crate::ast::{Input, Kind};
use proc_macro2::TokenStream;
use quote::{quote, quote_spanned};

/// The derive's output.
pub fn expand(input: &Input) -> TokenStream {
    let ident = &input.item.ident;
    let krate = input
        .krate
        .as_ref()
        .map_or_else(|| quote!(::winsync), |path| quote!(#path));
    // The trait impl carries the struct's span, so an unsatisfied bound
    // (`KnowledgeSyncProvider`, `Send`, ...) is reported on the struct.
    let span = ident.span();
    match input.kind {
        Kind::Provider => {
            let derived = quote_spanned!(span=> #krate::DerivedProvider);
            quote! {
                impl #derived for #ident {}
                impl ::core::convert::From<#ident> for #krate::bindings::IKnowledgeSyncProvider {
                    fn from(provider: #ident) -> Self {
                        #krate::DerivedProvider::into_provider(provider)
                    }
                }
                impl ::core::convert::From<#ident> for #krate::bindings::ISyncProvider {
                    fn from(provider: #ident) -> Self {
                        #krate::DerivedProvider::into_object(provider).to_interface()
                    }
                }
            }
        }
        Kind::Handler => {
            let derived = if input.item_container {
                quote_spanned!(span=> #krate::DerivedContainerHandler)
            } else {
                quote_spanned!(span=> #krate::DerivedHandler)
            };
            let trait_path = if input.item_container {
                quote!(#krate::DerivedContainerHandler)
            } else {
                quote!(#krate::DerivedHandler)
            };
            quote! {
                impl #derived for #ident {}
                impl ::core::convert::From<#ident> for #krate::bindings::ISyncMgrHandler {
                    fn from(handler: #ident) -> Self {
                        #trait_path::into_handler(handler)
                    }
                }
            }
        }
        Kind::Callback => {
            let derived = quote_spanned!(span=> #krate::DerivedCallback);
            quote! {
                impl #derived for #ident {}
                impl ::core::convert::From<#ident> for #krate::bindings::ISyncCallback {
                    fn from(callback: #ident) -> Self {
                        #krate::DerivedCallback::into_callback(callback)
                    }
                }
                impl ::core::convert::From<#ident> for #krate::bindings::ISyncCallback2 {
                    fn from(callback: #ident) -> Self {
                        #krate::DerivedCallback::into_object(callback).to_interface()
                    }
                }
            }
        }
    }
}
