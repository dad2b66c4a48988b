//! The engine's change target for a destination in a COM session: data loaded through the
//! source's data retriever and saved in the provider's [`ItemStore`], conflicts put to the
//! application through `ISyncCallback::OnConflict`, and the callbacks the pages list around
//! each change (`OnChange` before, `ISyncCallback2::OnChangeApplied` / `OnChangeFailed` after,
//! with running totals: `NF:winsync.ISyncCallback2.OnChangeApplied`).

use std::sync::Arc;

use windows_core::{IUnknown, Interface, Result};
use winsync_engine::batch::ItemChange;
use winsync_engine::sync::{ChangeTarget, Conflict, ItemError, ResolveAction, Save, SaveKind};
use winsync_engine::{IdFormats, Knowledge};

use super::ItemStore;
use super::conflict::ConflictObject;
use super::data::{IItemData, RetrieverState, bytes_of, item_data, load_context};
use crate::bindings::{
    ISyncCallback, ISyncCallback2, ISyncChange, ISynchronousDataRetriever,
    SRA_ACCEPT_DESTINATION_PROVIDER, SRA_ACCEPT_SOURCE_PROVIDER, SRA_MERGE, SRA_TRANSFER_AND_DEFER,
};
use crate::framework::batch::change::{ChangeData, change};

/// A destination's target for one batch.
pub struct ComTarget<'a, S: ItemStore> {
    pub(super) store: &'a Arc<S>,
    pub(super) formats: IdFormats,
    /// The source replica (the batch's owner).
    pub(super) source: Arc<[u8]>,
    /// The destination replica.
    pub(super) destination: Arc<[u8]>,
    pub(super) retriever: Option<ISynchronousDataRetriever>,
    /// The loader behind `retriever` when it is this runtime's (called directly, by item ID).
    pub(super) direct: Option<Arc<RetrieverState>>,
    pub(super) callback: &'a ISyncCallback,
    pub(super) callback2: Option<ISyncCallback2>,
    /// Running totals for `ISyncCallback2`, starting from the session's statistics.
    pub(super) applied: u32,
    pub(super) failed: u32,
}

impl<S: ItemStore> ComTarget<'_, S> {
    fn sync_change(&self, change: &ItemChange, made_with: Option<&Arc<Knowledge>>) -> ISyncChange {
        self::change(Arc::new(ChangeData {
            formats: self.formats,
            owner: self.source.clone(),
            change: change.clone(),
            made_with: made_with.cloned(),
            from_source: true,
        }))
    }

    /// The source's data of a change, through the retriever (or its loader, when it is this
    /// runtime's and the item IDs are in the same formats).
    fn load(&self, item: &[u8], change: &ISyncChange) -> std::result::Result<Vec<u8>, ItemError> {
        if let Some(direct) = self.direct.as_ref().filter(|d| d.formats == self.formats) {
            return (direct.load)(item).map_err(|e| ItemError(e.message()));
        }
        let retriever = self.retriever.as_ref().ok_or_else(|| {
            ItemError("the source handed out no ISynchronousDataRetriever".into())
        })?;
        let context = load_context(change.clone());
        let interface: crate::bindings::ILoadChangeContext = context.to_interface();
        // SAFETY: live interfaces.
        let data =
            unsafe { retriever.LoadChangeData(&interface) }.map_err(|e| ItemError(e.message()))?;
        if let Some(error) = context.recoverable_error() {
            return Err(ItemError(format!(
                "the source could not load the change: {error}"
            )));
        }
        let data: IItemData = data
            .cast()
            .map_err(|_| ItemError("the source's data is not IItemData".into()))?;
        bytes_of(&data).map_err(|e| ItemError(e.message()))
    }

    fn report(&mut self, ok: bool) {
        if ok {
            self.applied += 1;
        } else {
            self.failed += 1;
        }
        if let Some(callback) = &self.callback2 {
            // SAFETY: a live interface. What the application answers does not change the
            // change's fate.
            let _ = unsafe {
                if ok {
                    callback.OnChangeApplied(self.applied, self.failed)
                } else {
                    callback.OnChangeFailed(self.applied, self.failed)
                }
            };
        }
    }
}

impl<S: ItemStore> ChangeTarget for ComTarget<'_, S> {
    fn save(&mut self, save: &Save<'_>) -> std::result::Result<(), ItemError> {
        let sync_change = save
            .change
            .map(|change| self.sync_change(change, save.made_with));
        if let Some(sync_change) = &sync_change {
            // SAFETY: a live interface; OnChange only informs.
            let _ = unsafe { self.callback.OnChange(sync_change) };
        }
        let result = match (save.kind, &sync_change) {
            (SaveKind::Create | SaveKind::Update, Some(change)) => self
                .load(save.item, change)
                .and_then(|bytes| self.store.save(save.item, &bytes)),
            (SaveKind::Merge, Some(change)) => self
                .load(save.item, change)
                .and_then(|bytes| self.store.merge(save.item, &bytes)),
            (SaveKind::Delete | SaveKind::DeleteAndForget, _) => self.store.delete(save.item),
            (_, None) => Err(ItemError("a save of data without a change".into())),
        };
        self.report(result.is_ok());
        result
    }

    fn resolve(&mut self, conflict: &Conflict<'_>) -> ResolveAction {
        let source = self.sync_change(conflict.source, Some(conflict.made_with));
        let mut local = ItemChange::new(
            conflict.item,
            conflict.destination.change_version,
            conflict.destination.creation_version,
            if conflict.destination.deleted {
                winsync_engine::batch::ChangeFlags::DELETED
            } else {
                winsync_engine::batch::ChangeFlags::NONE
            },
        );
        local.work = 0;
        let destination = change(Arc::new(ChangeData {
            formats: self.formats,
            owner: self.destination.clone(),
            change: local,
            made_with: None,
            from_source: false,
        }));
        let source_item: Box<[u8]> = conflict.item.into();
        let retriever = self.retriever.clone();
        let source_change = source.clone();
        let store = self.store.clone();
        let item = source_item.clone();
        let object = ConflictObject::new(
            source,
            destination,
            Box::new(move || {
                let retriever = retriever
                    .as_ref()
                    .ok_or_else(|| windows_core::Error::from_hresult(crate::bindings::E_POINTER))?;
                let context = load_context(source_change.clone());
                let interface: crate::bindings::ILoadChangeContext = context.to_interface();
                // SAFETY: live interfaces.
                unsafe { retriever.LoadChangeData(&interface) }
            }),
            Box::new(move || {
                let bytes = store
                    .load(&item)
                    .map_err(|e| windows_core::Error::new(crate::bindings::E_FAIL, e.0))?;
                item_data(bytes).cast::<IUnknown>()
            }),
        );
        let interface: crate::bindings::IChangeConflict = object.to_interface();
        // SAFETY: a live interface; the application sets the action inside OnConflict.
        let answered: Result<()> = unsafe { self.callback.OnConflict(&interface) }.ok();
        match (answered, object.action()) {
            (Ok(()), Some(SRA_ACCEPT_SOURCE_PROVIDER)) => ResolveAction::AcceptSource,
            (Ok(()), Some(SRA_ACCEPT_DESTINATION_PROVIDER)) => ResolveAction::AcceptDestination,
            (Ok(()), Some(SRA_MERGE)) => ResolveAction::Merge,
            (Ok(()), Some(SRA_TRANSFER_AND_DEFER)) => ResolveAction::TransferAndDefer,
            // SRA_DEFER, no action set, or a failed callback: the change comes again.
            _ => ResolveAction::Defer,
        }
    }
}
