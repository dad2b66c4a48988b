//! The items Sync Center has queued for a handler while it synchronizes
//! (`NF:syncmgr.ISyncMgrSyncCallback.QueryForAdditionalItems`): the `IEnumString` of their
//! ids and the `IEnumUnknown` of the interfaces passed to `StartHandlerSync` or
//! `StartItemSync`, read into an [`AdditionalItems`] by the checked session
//! ([`crate::sync_center::session::SyncSession::query_for_additional_items`]) and served from
//! lists by the Sync Center double ([`crate::sync_center::double`]).
//!
//! The enumerators themselves (their vtables, the lists behind them, the checked id reader) are
//! in the crate-private module `sync_center::enumerators`.
//!
//! Reading follows the rule of the page (`syncmgr-session.query-for-additional-items.item-ids`):
//! every id `Next` hands out is freed with `CoTaskMemFree` once read, and an id longer than
//! `MAX_SYNCMGR_ID - 1` UTF-16 units is refused with `E_INVALIDARG` naming the rule.

use windows_core::{IUnknown, Interface, Result};

use crate::bindings::{IEnumString, IEnumUnknown, S_FALSE};
use crate::contracts as rules;
use crate::sync_center::enumerators;

pub(crate) use enumerators::{string_enumerator, unknown_enumerator};

/// What `QueryForAdditionalItems` handed out when items were pending: the items to
/// synchronize after the current synchronization, and the interfaces passed to
/// `StartHandlerSync` / `StartItemSync` for them
/// (`NF:syncmgr.ISyncMgrSyncCallback.QueryForAdditionalItems`).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct AdditionalItems {
    /// The pending items' ids, in the enumerator's order, each at most `MAX_SYNCMGR_ID - 1`
    /// UTF-16 units.
    pub item_ids: Vec<String>,
    /// The pending interfaces (none when Sync Center handed out no `IEnumUnknown`).
    pub punks: Vec<IUnknown>,
}

/// Reads both enumerators to their end, freeing every id.
///
/// # Errors
/// An enumerator's failure; `E_INVALIDARG` naming the rule for an id longer than
/// `MAX_SYNCMGR_ID - 1` units or not valid UTF-16, `E_POINTER` for a NULL id counted as
/// fetched.
pub(crate) fn read(
    ids: Option<IEnumString>,
    punks: Option<IEnumUnknown>,
) -> Result<AdditionalItems> {
    let mut items = AdditionalItems::default();
    if let Some(ids) = ids {
        items.item_ids = enumerators::read_ids(
            &ids,
            "a pending item id",
            &rules::SYNCMGR_SESSION_QUERY_FOR_ADDITIONAL_ITEMS_ITEM_IDS,
        )?;
    }
    if let Some(punks) = punks {
        loop {
            let (mut punk, mut fetched) = (std::ptr::null_mut(), 0u32);
            // SAFETY: a call on a live interface with two writable locals.
            let code = unsafe { enumerators::next_unknown(&punks, &mut punk, &mut fetched) };
            code.ok()?;
            if fetched == 0 {
                break;
            }
            if !punk.is_null() {
                // SAFETY: Next hands out an AddRef'd interface pointer: ours to release.
                items.punks.push(unsafe { IUnknown::from_raw(punk) });
            }
            if code == S_FALSE {
                break;
            }
        }
    }
    Ok(items)
}
