//! The derives of `winsync`, re-exported there: use them as
//! `winsync::SyncProvider`, `winsync::SyncCallback` and
//! `winsync::SyncMgrHandler`.
//!
//! Each derive is a pipeline: `ast` reads the input into a typed model, `validate` checks
//! it and reports every problem with its span, `expand` writes the code. The generated code
//! refers to the runtime and to the generated items by absolute path (`::winsync::...`,
//! or the path given with `#[sync_provider(crate = path)]`); this crate never reads metadata.

mod ast;
mod expand;
mod validate;

use proc_macro::TokenStream;

/// Makes a struct that implements `winsync::skeletons::KnowledgeSyncProvider` (and so
/// `SyncProvider`) available as a COM object exposing `IKnowledgeSyncProvider` and
/// `ISyncProvider`, with the session contract checked before its code runs (see
/// `winsync::framework::provider`).
///
/// Under concurrent callers the implementation never sees two sessions at once: a
/// BeginSession while another session is beginning, active or ending is
/// `SYNC_E_INVALID_OPERATION`, a failing `begin_session` ends only its own session, an
/// EndSession racing its own BeginSession is refused, and EndSession releases the session
/// state before the next session can begin.
///
/// Generates `impl DerivedProvider` (`into_provider()`, `into_object()`) and
/// `From<YourType>` for `IKnowledgeSyncProvider` and `ISyncProvider`.
///
/// Attribute: `#[sync_provider(crate = path)]` when the runtime crate is not `::winsync`.
/// Errors (spanned): not a struct; a generic struct; an unknown attribute; the struct does not
/// implement `KnowledgeSyncProvider + Send + Sync + 'static`.
#[proc_macro_derive(SyncProvider, attributes(sync_provider))]
pub fn derive_sync_provider(input: TokenStream) -> TokenStream {
    derive(input, ast::Kind::Provider)
}

/// Makes a struct that implements `winsync::skeletons::SyncCallback2` (and so
/// `SyncCallback`; both traits' methods default to doing nothing) available as a COM object
/// exposing `ISyncCallback` and `ISyncCallback2`: invalid enum values coming in are
/// `E_INVALIDARG`, panics are `E_UNEXPECTED` (see `winsync::framework::callback`).
///
/// Generates `impl DerivedCallback` (`into_callback()`, `into_object()`) and `From<YourType>`
/// for `ISyncCallback` and `ISyncCallback2`.
///
/// Attribute: `#[sync_callback(crate = path)]` when the runtime crate is not `::winsync`.
/// Errors (spanned): as for `SyncProvider`, with `SyncCallback2`.
#[proc_macro_derive(SyncCallback, attributes(sync_callback))]
pub fn derive_sync_callback(input: TokenStream) -> TokenStream {
    derive(input, ast::Kind::Callback)
}

/// Makes a struct that implements `winsync::skeletons::SyncMgrHandler` available as the
/// COM object Sync Center loads, `ISyncMgrHandler` (and `ISyncMgrSyncItemContainer` with
/// `#[sync_mgr_handler(item_container)]`, when the struct also implements
/// `SyncMgrSyncItemContainer`): string getters hand out `CoTaskMemAlloc` strings, null
/// out-pointers are `E_POINTER`, incoming item ids are read with the `MAX_SYNCMGR_ID` bound,
/// panics are `E_UNEXPECTED`, and items left without a final status when `synchronize`
/// returns are closed: CANCELED when Sync Center asked to cancel them, FAILED otherwise (see
/// `winsync::sync_center::handler`; the checked `winsync::sync_center::session::SyncSession`
/// refuses SUCCEEDED for a canceled item).
///
/// Generates `impl DerivedHandler` (or `DerivedContainerHandler`: `into_handler()`,
/// `into_object()`) and `From<YourType>` for `ISyncMgrHandler` (what
/// `winsync::sync_center_dll!` serves). A container handler's items are usually a
/// `winsync::sync_center::items::SyncItems` list.
///
/// Attributes: `#[sync_mgr_handler(item_container)]`, `#[sync_mgr_handler(crate = path)]`.
/// Errors (spanned): as for `SyncProvider`, with `SyncMgrHandler`.
#[proc_macro_derive(SyncMgrHandler, attributes(sync_mgr_handler))]
pub fn derive_sync_mgr_handler(input: TokenStream) -> TokenStream {
    derive(input, ast::Kind::Handler)
}

fn derive(input: TokenStream, kind: ast::Kind) -> TokenStream {
    let input = syn::parse_macro_input!(input as syn::DeriveInput);
    match ast::Input::from_syn(&input, kind)
        .and_then(|input| validate::validate(&input).map(|()| input))
    {
        Ok(input) => expand::expand(&input).into(),
        Err(error) => error.to_compile_error().into(),
    }
}
