//! The derived objects through their COM vtables, built from the packaged crates.
#![allow(clippy::unwrap_used)]

use derive_user::{Handler, Replica};
use winsync::bindings::{IKnowledgeSyncProvider, ISyncMgrHandler, ISyncSessionState, SPR_SOURCE};
use winsync::framework::session_state::SessionState;
use winsync::hresults::SYNC_E_INVALID_OPERATION;

#[test]
fn provider_session_is_checked() {
    let provider: IKnowledgeSyncProvider = Replica::default().into();
    let state: ISyncSessionState = SessionState::new(None).to_interface();
    unsafe { provider.BeginSession(SPR_SOURCE, &state) }.ok().unwrap();
    let again = unsafe { provider.BeginSession(SPR_SOURCE, &state) };
    assert_eq!(again, SYNC_E_INVALID_OPERATION);
    unsafe { provider.EndSession(&state) }.ok().unwrap();
}

#[test]
fn handler_name_through_the_vtable() {
    let handler: ISyncMgrHandler = Handler.into();
    let name = unsafe { handler.GetName() }.unwrap();
    assert_eq!(unsafe { winsync::com::abi::take_co_task_wide(name) }.unwrap(), "packaged handler");
}
