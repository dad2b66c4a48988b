//! Shared by the change-unit tests of providers built on the engine: an in-memory store that
//! keeps items as change units (and can be told to fail loading or saving one), nodes over it
//! and over a store without change units, an application callback that resolves unit conflicts
//! with per-unit actions and records what it sees, and a data retriever "of another
//! implementation" that hands each load a context of its own and records the recoverable
//! errors the source sets on it.
#![allow(dead_code)]

use std::collections::{BTreeMap, BTreeSet};
use std::sync::{Arc, Mutex};

use windows_core::{HRESULT, IUnknown, Interface, Ref, Result, implement};
use winsync::bindings::{
    IChangeConflict, ID_PARAMETERS, IKnowledgeSyncProvider, ILoadChangeContext,
    ILoadChangeContext_Impl, IRecoverableError, IRecoverableErrorData, ISyncCallback,
    ISyncCallback_Impl, ISyncCallback2, ISyncCallback2_Impl, ISyncChange, ISyncChangeUnit,
    ISynchronousDataRetriever, ISynchronousDataRetriever_Impl, SFEA_FULL_ENUMERATION,
    SYNC_FULL_ENUMERATION_ACTION, SYNC_PROGRESS_STAGE, SYNC_PROVIDER_ROLE, SYNC_RESOLVE_ACTION,
};
use winsync::engine::IdFormats;
use winsync::engine::sync::ItemError;
use winsync::framework::driver::{SyncOptions, SyncReport, synchronize};
use winsync::framework::provider::ProviderObject;
use winsync::framework::replica::data::{
    IUnitLoadContext, IUnitLoadContext_Impl, unit_id, unit_of,
};
use winsync::framework::replica::{ItemStore, ReplicaProvider};

/// An item as its change units (unit ID → bytes).
pub type Units = BTreeMap<Vec<u8>, Vec<u8>>;

/// A store that keeps each item as change units; the whole item travels as their encoding. A
/// unit the item does not hold loads as empty, and an empty unit is not held.
#[derive(Default)]
pub struct UnitMemory {
    pub items: Mutex<BTreeMap<Vec<u8>, Units>>,
    /// Units whose load fails (item, unit).
    pub fail_load: Mutex<BTreeSet<(Vec<u8>, Vec<u8>)>>,
    /// Units whose save fails (item, unit).
    pub fail_save: Mutex<BTreeSet<(Vec<u8>, Vec<u8>)>>,
}

pub fn encode(units: &Units) -> Vec<u8> {
    let mut out = Vec::new();
    for (unit, data) in units {
        out.push(u8::try_from(unit.len()).unwrap());
        out.extend_from_slice(unit);
        out.extend_from_slice(&u32::try_from(data.len()).unwrap().to_le_bytes());
        out.extend_from_slice(data);
    }
    out
}

pub fn decode(mut bytes: &[u8]) -> std::result::Result<Units, ItemError> {
    let bad = || ItemError("not an encoding of change units".into());
    let mut units = Units::new();
    while let Some((&n, rest)) = bytes.split_first() {
        let (unit, rest) = rest.split_at_checked(usize::from(n)).ok_or_else(bad)?;
        let (len, rest) = rest.split_at_checked(4).ok_or_else(bad)?;
        let len = u32::from_le_bytes(len.try_into().unwrap()) as usize;
        let (data, rest) = rest.split_at_checked(len).ok_or_else(bad)?;
        if !data.is_empty() {
            units.insert(unit.to_vec(), data.to_vec());
        }
        bytes = rest;
    }
    Ok(units)
}

impl UnitMemory {
    pub fn snapshot(&self) -> BTreeMap<Vec<u8>, Units> {
        self.items.lock().unwrap().clone()
    }
}

impl ItemStore for UnitMemory {
    fn load(&self, item: &[u8]) -> std::result::Result<Vec<u8>, ItemError> {
        let items = self.items.lock().unwrap();
        items
            .get(item)
            .map(encode)
            .ok_or_else(|| ItemError("no such item".into()))
    }
    fn save(&self, item: &[u8], data: &[u8]) -> std::result::Result<(), ItemError> {
        let units = decode(data)?;
        self.items.lock().unwrap().insert(item.to_vec(), units);
        Ok(())
    }
    fn delete(&self, item: &[u8]) -> std::result::Result<(), ItemError> {
        self.items.lock().unwrap().remove(item);
        Ok(())
    }
    fn load_unit(&self, item: &[u8], unit: &[u8]) -> std::result::Result<Vec<u8>, ItemError> {
        if self
            .fail_load
            .lock()
            .unwrap()
            .contains(&(item.to_vec(), unit.to_vec()))
        {
            return Err(ItemError("the unit cannot be loaded".into()));
        }
        let items = self.items.lock().unwrap();
        Ok(items
            .get(item)
            .ok_or_else(|| ItemError("no such item".into()))?
            .get(unit)
            .cloned()
            .unwrap_or_default())
    }
    fn save_unit(
        &self,
        item: &[u8],
        unit: &[u8],
        data: &[u8],
    ) -> std::result::Result<(), ItemError> {
        if self
            .fail_save
            .lock()
            .unwrap()
            .contains(&(item.to_vec(), unit.to_vec()))
        {
            return Err(ItemError("the unit cannot be saved".into()));
        }
        let mut items = self.items.lock().unwrap();
        let units = items
            .get_mut(item)
            .ok_or_else(|| ItemError("no such item".into()))?;
        if data.is_empty() {
            units.remove(unit);
        } else {
            units.insert(unit.to_vec(), data.to_vec());
        }
        Ok(())
    }
    fn merge_unit(
        &self,
        item: &[u8],
        unit: &[u8],
        data: &[u8],
    ) -> std::result::Result<(), ItemError> {
        let mut merged = self.load_unit(item, unit)?;
        merged.push(b'+');
        merged.extend_from_slice(data);
        self.save_unit(item, unit, &merged)
    }
}

/// A store without change units (the trait's defaults).
#[derive(Default)]
pub struct Plain(pub Mutex<BTreeMap<Vec<u8>, Vec<u8>>>);

impl ItemStore for Plain {
    fn load(&self, item: &[u8]) -> std::result::Result<Vec<u8>, ItemError> {
        let items = self.0.lock().unwrap();
        items
            .get(item)
            .cloned()
            .ok_or_else(|| ItemError("no such item".into()))
    }
    fn save(&self, item: &[u8], data: &[u8]) -> std::result::Result<(), ItemError> {
        self.0.lock().unwrap().insert(item.to_vec(), data.to_vec());
        Ok(())
    }
    fn delete(&self, item: &[u8]) -> std::result::Result<(), ItemError> {
        self.0.lock().unwrap().remove(item);
        Ok(())
    }
}

pub type Node<S> = windows_core::ComObject<ProviderObject<ReplicaProvider<S>>>;

pub fn node<S: ItemStore + Default>(id: u8) -> Node<S> {
    ProviderObject::new(
        ReplicaProvider::new(IdFormats::GUID_GID, &[id; 16], S::default(), 3).unwrap(),
    )
}

pub fn item(n: u8) -> [u8; 24] {
    let mut id = [0; 24];
    id[0] = n;
    id
}

/// One session from `from` to `to`, through the driver.
pub fn sync<S: ItemStore, T: ItemStore>(
    from: &Node<S>,
    to: &Node<T>,
    callback: &ISyncCallback,
    policy: i32,
) -> SyncReport {
    let source: IKnowledgeSyncProvider = from.to_interface();
    let destination: IKnowledgeSyncProvider = to.to_interface();
    let options = SyncOptions {
        resolution_policy: policy,
        ..SyncOptions::default()
    };
    synchronize(&source, &destination, Some(callback), &options).unwrap()
}

/// What the application saw of one conflict: the conflicting units' actions it could read
/// back, and the answers to setting an action on units not in conflict.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Seen {
    pub item: u8,
    /// Unit ID → the action `GetResolveActionForChangeUnit` answered after setting it.
    pub units: Vec<(Vec<u8>, SYNC_RESOLVE_ACTION)>,
    /// Units of the source change the conflict refused an action for (not in conflict).
    pub refused: Vec<(Vec<u8>, HRESULT)>,
}

/// What `GetRecoverableErrorDataForChangeUnit` answers for one unit: (unit, error code,
/// whether error data came).
pub type UnitAnswer = (Vec<u8>, HRESULT, bool);

/// The application: per-unit actions (unit ID → action, else `change`), recording conflicts,
/// recoverable errors (the provider whose side failed) and the `ISyncCallback2` totals.
#[implement(ISyncCallback, ISyncCallback2)]
pub struct UnitApp {
    pub change: Option<SYNC_RESOLVE_ACTION>,
    pub per_unit: BTreeMap<Vec<u8>, SYNC_RESOLVE_ACTION>,
    pub conflicts: Mutex<Vec<Seen>>,
    pub errors: Mutex<Vec<SYNC_PROVIDER_ROLE>>,
    /// Per recoverable error, what `GetRecoverableErrorDataForChangeUnit` answers for each
    /// unit of its change: (unit, error code, whether error data came).
    pub unit_errors: Mutex<Vec<Vec<UnitAnswer>>>,
    /// Per recoverable error, what `GetRecoverableErrorDataForChangeUnit` answers for a NULL
    /// unit and for a NULL `phrError` (with whether `ppErrorData` was left NULL).
    pub null_answers: Mutex<Vec<(HRESULT, HRESULT, bool)>>,
    pub changes: Mutex<u32>,
    pub totals: Mutex<(u32, u32)>,
}

pub fn app(
    change: Option<SYNC_RESOLVE_ACTION>,
    per_unit: &[(u8, SYNC_RESOLVE_ACTION)],
) -> windows_core::ComObject<UnitApp> {
    windows_core::ComObject::new(UnitApp {
        change,
        per_unit: per_unit.iter().map(|(u, a)| (vec![*u], *a)).collect(),
        conflicts: Mutex::new(Vec::new()),
        errors: Mutex::new(Vec::new()),
        unit_errors: Mutex::new(Vec::new()),
        null_answers: Mutex::new(Vec::new()),
        changes: Mutex::new(0),
        totals: Mutex::new((0, 0)),
    })
}

/// The change units of a change.
pub fn units_of(change: &ISyncChange) -> Result<Vec<ISyncChangeUnit>> {
    let units = unsafe { change.GetChangeUnits() }?;
    let mut all = Vec::new();
    loop {
        let mut next = [None];
        let mut fetched = 0;
        unsafe { units.Next(1, next.as_mut_ptr(), &mut fetched) }.ok()?;
        match next[0].take() {
            Some(unit) if fetched == 1 => all.push(unit),
            _ => return Ok(all),
        }
    }
}

impl ISyncCallback_Impl for UnitApp_Impl {
    fn OnProgress(
        &self,
        _: SYNC_PROVIDER_ROLE,
        _: SYNC_PROGRESS_STAGE,
        _: u32,
        _: u32,
    ) -> Result<()> {
        Ok(())
    }
    fn OnChange(&self, change: Ref<ISyncChange>) -> Result<()> {
        change.ok()?;
        *self.changes.lock().unwrap() += 1;
        Ok(())
    }
    fn OnConflict(&self, conflict: Ref<IChangeConflict>) -> Result<()> {
        let conflict = conflict.ok()?;
        let source = unsafe { conflict.GetSourceProviderConflictingChange() }?;
        let mut item = [0u8; 24];
        let mut size = 24;
        unsafe { source.GetRootItemId(item.as_mut_ptr(), &mut size) }.ok()?;
        if let Some(action) = self.change {
            unsafe { conflict.SetResolveActionForChange(action) }.ok()?;
        }
        let mut seen = Seen {
            item: item[0],
            units: Vec::new(),
            refused: Vec::new(),
        };
        for unit in units_of(&source)? {
            let id = unit_id(&unit)?;
            let action = self.per_unit.get(&id).copied().or(self.change);
            let set = unsafe { conflict.SetResolveActionForChangeUnit(&unit, action.unwrap_or(0)) };
            if set.is_err() {
                seen.refused.push((id, set));
                continue;
            }
            let mut read = -1;
            unsafe { conflict.GetResolveActionForChangeUnit(&unit, &mut read) }.ok()?;
            seen.units.push((id, read));
        }
        self.conflicts.lock().unwrap().push(seen);
        Ok(())
    }
    fn OnFullEnumerationNeeded(&self, action: *mut SYNC_FULL_ENUMERATION_ACTION) -> Result<()> {
        unsafe { action.write(SFEA_FULL_ENUMERATION) };
        Ok(())
    }
    fn OnRecoverableError(&self, error: Ref<IRecoverableError>) -> Result<()> {
        let error = error.ok()?;
        let mut role = 0;
        unsafe { error.GetProvider(&mut role) }.ok()?;
        self.errors.lock().unwrap().push(role);
        let change = unsafe { error.GetChangeWithRecoverableError() }?;
        let mut answers = Vec::new();
        for unit in units_of(&change)? {
            let mut code = HRESULT(-1);
            let mut data = None;
            unsafe { error.GetRecoverableErrorDataForChangeUnit(&unit, &mut code, &mut data) }
                .ok()?;
            answers.push((unit_id(&unit)?, code, data.is_some()));
        }
        self.unit_errors.lock().unwrap().push(answers);
        let (mut code, mut data) = (HRESULT(-1), None);
        let null_unit =
            unsafe { error.GetRecoverableErrorDataForChangeUnit(None, &mut code, &mut data) };
        let any_unit = units_of(&change)?.remove(0);
        let null_error = unsafe {
            error.GetRecoverableErrorDataForChangeUnit(&any_unit, std::ptr::null_mut(), &mut data)
        };
        self.null_answers
            .lock()
            .unwrap()
            .push((null_unit, null_error, data.is_none()));
        Ok(())
    }
}

impl ISyncCallback2_Impl for UnitApp_Impl {
    fn OnChangeApplied(&self, applied: u32, failed: u32) -> Result<()> {
        *self.totals.lock().unwrap() = (applied, failed);
        Ok(())
    }
    fn OnChangeFailed(&self, applied: u32, failed: u32) -> Result<()> {
        *self.totals.lock().unwrap() = (applied, failed);
        Ok(())
    }
}

/// What a source set on a load context: (change unit, or `None` for the change; error).
pub type Log = Arc<Mutex<Vec<(Option<Vec<u8>>, HRESULT)>>>;

/// A data retriever of another implementation: forwards each load to `inner` with a context
/// of its own that forwards to the destination's and records the recoverable errors set.
#[implement(ISynchronousDataRetriever)]
pub struct Recording {
    pub inner: ISynchronousDataRetriever,
    pub log: Log,
}

pub fn recording(inner: &IUnknown, log: &Log) -> IUnknown {
    let retriever: ISynchronousDataRetriever = Recording {
        inner: inner.cast().unwrap(),
        log: log.clone(),
    }
    .into();
    retriever.cast().unwrap()
}

impl ISynchronousDataRetriever_Impl for Recording_Impl {
    fn GetIdParameters(&self, parameters: *mut ID_PARAMETERS) -> Result<()> {
        unsafe { self.inner.GetIdParameters(parameters) }.ok()
    }
    fn LoadChangeData(&self, context: Ref<ILoadChangeContext>) -> Result<IUnknown> {
        let context = context.ok()?;
        let wrapped: ILoadChangeContext = RecordingContext {
            inner: context.clone(),
            unit: unit_of(context)?,
            log: self.log.clone(),
        }
        .into();
        unsafe { self.inner.LoadChangeData(&wrapped) }
    }
}

/// The context [`Recording`] hands on.
#[implement(ILoadChangeContext, IUnitLoadContext)]
pub struct RecordingContext {
    pub inner: ILoadChangeContext,
    pub unit: Option<Vec<u8>>,
    pub log: Log,
}

impl ILoadChangeContext_Impl for RecordingContext_Impl {
    fn GetSyncChange(&self) -> Result<ISyncChange> {
        unsafe { self.inner.GetSyncChange() }
    }
    fn SetRecoverableErrorOnChange(
        &self,
        error: HRESULT,
        data: Ref<IRecoverableErrorData>,
    ) -> Result<()> {
        self.log.lock().unwrap().push((None, error));
        unsafe { self.inner.SetRecoverableErrorOnChange(error, data.as_ref()) }.ok()
    }
    fn SetRecoverableErrorOnChangeUnit(
        &self,
        error: HRESULT,
        unit: Ref<ISyncChangeUnit>,
        data: Ref<IRecoverableErrorData>,
    ) -> Result<()> {
        let unit = unit.ok()?;
        self.log.lock().unwrap().push((Some(unit_id(unit)?), error));
        unsafe {
            self.inner
                .SetRecoverableErrorOnChangeUnit(error, unit, data.as_ref())
        }
        .ok()
    }
}

impl IUnitLoadContext_Impl for RecordingContext_Impl {
    unsafe fn GetChangeUnitId(&self, pb: *mut u8, pcb: *mut u32) -> HRESULT {
        let Some(unit) = &self.unit else {
            return winsync::bindings::E_NOINTERFACE;
        };
        let needed = unit.len() as u32;
        let capacity = unsafe { *pcb };
        unsafe { *pcb = needed };
        if pb.is_null() || capacity < needed {
            return HRESULT(0x8007_00EA_u32 as i32);
        }
        unsafe { std::ptr::copy_nonoverlapping(unit.as_ptr(), pb, unit.len()) };
        winsync::bindings::S_OK
    }
}
