//! An application callback that records what a destination reports: progress, recoverable
//! errors, conflicts (answered as told), applied and failed changes.

use std::sync::Mutex;

use windows_core::{HRESULT, Ref, Result, implement};
use winsync::bindings::{
    IChangeConflict, IRecoverableError, IRecoverableErrorData, ISyncCallback, ISyncCallback_Impl,
    ISyncCallback2, ISyncCallback2_Impl, ISyncChange, SFEA_FULL_ENUMERATION,
    SYNC_FULL_ENUMERATION_ACTION, SYNC_PROGRESS_STAGE, SYNC_PROVIDER_ROLE, SYNC_RESOLVE_ACTION,
};

/// One callback, as recorded.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Seen {
    Progress(SYNC_PROVIDER_ROLE, SYNC_PROGRESS_STAGE, u32, u32),
    /// `OnRecoverableError`: the stage, the provider, the first byte of the change's item ID,
    /// the error, the error data's pointer (0 for none).
    Recoverable {
        stage: SYNC_PROGRESS_STAGE,
        provider: SYNC_PROVIDER_ROLE,
        item: u8,
        error: HRESULT,
        data: usize,
    },
    /// `OnConflict`, with the first byte of the item ID.
    Conflict(u8),
    Applied(u32, u32),
    Failed(u32, u32),
}

/// What `OnConflict` does.
#[derive(Clone, Copy, Debug)]
pub enum OnConflict {
    /// Sets this action.
    Set(SYNC_RESOLVE_ACTION),
    /// Sets nothing, keeps the conflict (in `kept`) and records what setting a change unit's
    /// action with a NULL unit answered inside the callback (in `inside`).
    Keep,
}

#[implement(ISyncCallback, ISyncCallback2)]
pub struct Recorder {
    pub on_conflict: OnConflict,
    pub full: SYNC_FULL_ENUMERATION_ACTION,
    pub seen: Mutex<Vec<Seen>>,
    pub kept: Mutex<Vec<IChangeConflict>>,
    pub inside: Mutex<Vec<HRESULT>>,
    /// The first byte of the item ID of each change `OnChange` received, in order.
    pub changes: Mutex<Vec<u8>>,
}

pub fn recorder(on_conflict: OnConflict) -> windows_core::ComObject<Recorder> {
    recorder_choosing(on_conflict, SFEA_FULL_ENUMERATION)
}

pub fn recorder_choosing(
    on_conflict: OnConflict,
    full: SYNC_FULL_ENUMERATION_ACTION,
) -> windows_core::ComObject<Recorder> {
    windows_core::ComObject::new(Recorder {
        on_conflict,
        full,
        seen: Mutex::new(Vec::new()),
        kept: Mutex::new(Vec::new()),
        inside: Mutex::new(Vec::new()),
        changes: Mutex::new(Vec::new()),
    })
}

impl Recorder {
    pub fn seen(&self) -> Vec<Seen> {
        self.seen.lock().unwrap().clone()
    }

    fn push(&self, seen: Seen) {
        self.seen.lock().unwrap().push(seen);
    }
}

/// The first byte of a change's item ID (the tests' items differ in it).
pub fn item_of(change: &ISyncChange) -> Result<u8> {
    let mut id = [0u8; 24];
    let mut size = 24u32;
    unsafe { change.GetRootItemId(id.as_mut_ptr(), &mut size) }.ok()?;
    Ok(id[0])
}

impl ISyncCallback_Impl for Recorder_Impl {
    fn OnProgress(
        &self,
        provider: SYNC_PROVIDER_ROLE,
        stage: SYNC_PROGRESS_STAGE,
        completed: u32,
        total: u32,
    ) -> Result<()> {
        self.push(Seen::Progress(provider, stage, completed, total));
        Ok(())
    }
    fn OnChange(&self, change: Ref<ISyncChange>) -> Result<()> {
        let item = item_of(change.ok()?)?;
        self.changes.lock().unwrap().push(item);
        Ok(())
    }
    fn OnConflict(&self, conflict: Ref<IChangeConflict>) -> Result<()> {
        let conflict = conflict.ok()?;
        let source = unsafe { conflict.GetSourceProviderConflictingChange() }?;
        self.push(Seen::Conflict(item_of(&source)?));
        match self.on_conflict {
            OnConflict::Set(action) => unsafe { conflict.SetResolveActionForChange(action) }.ok(),
            OnConflict::Keep => {
                let answer = unsafe {
                    conflict.SetResolveActionForChangeUnit(
                        None::<&winsync::bindings::ISyncChangeUnit>,
                        winsync::bindings::SRA_MERGE,
                    )
                };
                self.inside.lock().unwrap().push(answer);
                self.kept.lock().unwrap().push(conflict.clone());
                Ok(())
            }
        }
    }
    fn OnFullEnumerationNeeded(&self, action: *mut SYNC_FULL_ENUMERATION_ACTION) -> Result<()> {
        unsafe { action.write(self.full) };
        Ok(())
    }
    fn OnRecoverableError(&self, error: Ref<IRecoverableError>) -> Result<()> {
        let error = error.ok()?;
        let (mut stage, mut provider) = (
            SYNC_PROGRESS_STAGE::default(),
            SYNC_PROVIDER_ROLE::default(),
        );
        unsafe { error.GetStage(&mut stage) }.ok()?;
        unsafe { error.GetProvider(&mut provider) }.ok()?;
        let change = unsafe { error.GetChangeWithRecoverableError() }?;
        let (mut code, mut data) = (HRESULT(0), None::<IRecoverableErrorData>);
        unsafe { error.GetRecoverableErrorDataForChange(&mut code, &mut data) }.ok()?;
        self.push(Seen::Recoverable {
            stage,
            provider,
            item: item_of(&change)?,
            error: code,
            data: data.map_or(0, |d| windows_core::Interface::as_raw(&d) as usize),
        });
        Ok(())
    }
}

impl ISyncCallback2_Impl for Recorder_Impl {
    fn OnChangeApplied(&self, applied: u32, failed: u32) -> Result<()> {
        self.push(Seen::Applied(applied, failed));
        Ok(())
    }
    fn OnChangeFailed(&self, applied: u32, failed: u32) -> Result<()> {
        self.push(Seen::Failed(applied, failed));
        Ok(())
    }
}

/// A recorder as the callback interface.
pub fn callback_of(recorder: &windows_core::ComObject<Recorder>) -> ISyncCallback {
    recorder.to_interface()
}
