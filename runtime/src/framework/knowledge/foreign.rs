//! Reading knowledge another implementation made, through its public interfaces: the owner
//! (`NF:winsync.ISyncKnowledge.GetOwnerReplicaId`), the ID formats
//! (`NF:winsync.ISyncKnowledge2.GetIdParameters`), the scope vector and the range, single-item
//! and change-unit exceptions (`NF:winsync.ISyncKnowledge.GetScopeVector`,
//! `.GetRangeExceptions`, `.GetSingleItemExceptions`, `.GetChangeUnitExceptions`), and the
//! replica IDs behind the vectors' keys (`NF:winsync.IReplicaKeyMap.LookupReplicaId`).
//!
//! The foreign object's replica keys are its own: each key met in a vector is looked up once
//! and given a key in the engine's map (owner first, so it has key 0), and every vector is
//! translated. Knowledge projected onto named columns has no place in the exceptions view
//! (see [`winsync_engine::Knowledge::fragments`]); such knowledge reads as what its
//! exceptions present.
//!
//! A foreign object is untrusted: every enumeration stops at [`MAX_ELEMENTS`] elements in all,
//! every ID is checked against its format, every buffer size against the format's bound.

use std::collections::BTreeMap;

use windows_core::{Error, GUID, HRESULT, Interface, Result};
use winsync_engine::{ClockVector, IdFormat, IdFormats, Knowledge, ReplicaKeyMap};

use super::wire::{engine, formats_of, read_pcb_id};
use crate::bindings::{
    E_INVALIDARG, E_NOINTERFACE, IChangeUnitException, IClockVector, IClockVectorElement,
    ID_PARAMETERS, IEnumChangeUnitExceptions, IEnumClockVector, IEnumRangeExceptions,
    IEnumSingleItemExceptions, IRangeException, IReplicaKeyMap, ISingleItemException,
    ISyncKnowledge, ISyncKnowledge2, S_FALSE,
};
use crate::hresults::SYNC_E_ID_FORMAT_MISMATCH;

/// The most vector elements and exceptions read from one foreign object, in all: a bound
/// against an enumerator that never ends.
pub const MAX_ELEMENTS: usize = 1 << 24;

/// How many items one `Next` call asks for.
const BATCH: u32 = 256;

/// The engine knowledge `knowledge` presents. `expected` gives the ID formats when the object
/// does not implement `ISyncKnowledge2` (which alone reports them); when it does, its formats
/// must equal `expected`.
///
/// # Errors
/// The object's own failures; `SYNC_E_ID_FORMAT_MISMATCH` for formats other than `expected`
/// or IDs not of their format; `E_INVALIDARG` for data that is not knowledge (a key the map
/// does not know, a range whose start is above its end, more than [`MAX_ELEMENTS`] elements).
pub fn read(knowledge: &ISyncKnowledge, expected: Option<&IdFormats>) -> Result<Knowledge> {
    let formats = formats(knowledge, expected)?;
    let mut reader = Reader {
        formats,
        budget: MAX_ELEMENTS,
    };
    let owner = reader.id(&formats.replica, "owner replica ID", |buffer, size| {
        // SAFETY: a live interface; the buffer and size are valid.
        unsafe { knowledge.GetOwnerReplicaId(buffer, size) }
    })?;
    let scope = {
        let mut raw: *mut core::ffi::c_void = core::ptr::null_mut();
        // SAFETY: as above; `raw` is writable.
        unsafe { knowledge.GetScopeVector(&IClockVector::IID, &mut raw) }.ok()?;
        // SAFETY: the object handed out an IClockVector with one reference.
        let vector = unsafe { take::<IClockVector>(raw) }?;
        reader.clock_vector(&vector)?
    };
    let ranges = reader.range_exceptions(knowledge)?;
    let items = reader.single_item_exceptions(knowledge)?;
    let units = reader.change_unit_exceptions(knowledge)?;

    // The foreign keys met, each given an engine key; the owner first.
    // SAFETY: a live interface.
    let foreign_map = unsafe { knowledge.GetReplicaKeyMap() }?;
    let mut map = ReplicaKeyMap::new();
    engine(map.find_or_add(&owner))?;
    let mut table: BTreeMap<u32, u32> = BTreeMap::new();
    let vectors = std::iter::once(&scope)
        .chain(ranges.iter().map(|r| &r.2))
        .chain(items.iter().map(|i| &i.1))
        .chain(units.iter().map(|u| &u.2));
    for vector in vectors {
        for &(key, _) in vector {
            if let std::collections::btree_map::Entry::Vacant(entry) = table.entry(key) {
                let id = reader.replica_of(&foreign_map, key)?;
                entry.insert(engine(map.find_or_add(&id))?);
            }
        }
    }
    let translate = |elements: &[(u32, u64)]| {
        engine(ClockVector::from_elements(
            elements.iter().map(|&(key, tick)| (table[&key], tick)),
        ))
    };
    let ranges = ranges
        .iter()
        .map(|(start, end, v)| Ok((start.clone(), end.clone(), translate(v)?)))
        .collect::<Result<Vec<_>>>()?;
    let items = items
        .iter()
        .map(|(item, v)| Ok((item.clone(), translate(v)?)))
        .collect::<Result<Vec<_>>>()?;
    let units = units
        .iter()
        .map(|(item, unit, v)| Ok((item.clone(), unit.clone(), translate(v)?)))
        .collect::<Result<Vec<_>>>()?;
    engine(Knowledge::from_parts(
        formats,
        &owner,
        map,
        translate(&scope)?,
        &ranges,
        &items,
        &units,
    ))
}

/// The object's ID formats (`ISyncKnowledge2`), or `expected`.
fn formats(knowledge: &ISyncKnowledge, expected: Option<&IdFormats>) -> Result<IdFormats> {
    let Ok(knowledge2) = knowledge.cast::<ISyncKnowledge2>() else {
        return expected.copied().ok_or_else(|| {
            Error::new(
                E_NOINTERFACE,
                "the knowledge object does not implement ISyncKnowledge2, so its ID formats are unknown",
            )
        });
    };
    let mut parameters = ID_PARAMETERS {
        dwSize: u32::try_from(size_of::<ID_PARAMETERS>()).unwrap_or(u32::MAX),
        ..Default::default()
    };
    // SAFETY: a live interface; `parameters` is writable.
    unsafe { knowledge2.GetIdParameters(&mut parameters) }.ok()?;
    let formats = formats_of(&parameters)?;
    if expected.is_some_and(|expected| *expected != formats) {
        return Err(Error::new(
            SYNC_E_ID_FORMAT_MISMATCH,
            "the knowledge objects' ID formats differ",
        ));
    }
    Ok(formats)
}

/// An interface handed out through a `void**`.
///
/// # Safety
/// `raw` is null or an interface pointer of type `I` carrying one reference.
unsafe fn take<I: Interface>(raw: *mut core::ffi::c_void) -> Result<I> {
    if raw.is_null() {
        return Err(Error::new(
            E_INVALIDARG,
            "the knowledge object handed out NULL with S_OK",
        ));
    }
    // SAFETY: the caller's contract.
    Ok(unsafe { I::from_raw(raw) })
}

/// Elements as `(key, tick)` in the foreign key space.
type Elements = Vec<(u32, u64)>;

/// Two IDs (a range's bounds, or an item and a change unit) and a vector's elements.
type TwoIds = (Box<[u8]>, Box<[u8]>, Elements);

struct Reader {
    formats: IdFormats,
    budget: usize,
}

impl Reader {
    fn spend(&mut self, n: usize) -> Result<()> {
        self.budget = self.budget.checked_sub(n).ok_or_else(|| {
            Error::new(
                E_INVALIDARG,
                format!("the knowledge object enumerates more than {MAX_ELEMENTS} elements"),
            )
        })?;
        Ok(())
    }

    /// An ID written with the `pcb` convention by `call(buffer, size)`, as data.
    fn id(
        &mut self,
        format: &IdFormat,
        what: &'static str,
        call: impl Fn(*mut u8, *mut u32) -> HRESULT,
    ) -> Result<Box<[u8]>> {
        read_pcb_id(format, what, call)
    }

    fn replica_of(&mut self, map: &IReplicaKeyMap, key: u32) -> Result<Box<[u8]>> {
        let format = self.formats.replica;
        self.id(&format, "replica ID", |buffer, size| {
            // SAFETY: a live interface; buffer and size valid.
            unsafe { map.LookupReplicaId(key, buffer, size) }
        })
    }

    /// Every item of an enumerator, through its `Next(count, array, fetched)`.
    fn drain<T>(
        &mut self,
        mut next: impl FnMut(u32, *mut Option<T>, *mut u32) -> HRESULT,
    ) -> Result<Vec<T>> {
        let mut out = Vec::new();
        loop {
            let mut batch: Vec<Option<T>> = std::iter::repeat_with(|| None)
                .take(BATCH as usize)
                .collect();
            let mut fetched = 0u32;
            let hr = next(BATCH, batch.as_mut_ptr(), &mut fetched);
            hr.ok()?;
            let fetched = usize::try_from(fetched)
                .unwrap_or(usize::MAX)
                .min(BATCH as usize);
            self.spend(fetched)?;
            let before = out.len();
            out.extend(batch.into_iter().take(fetched).flatten());
            if out.len() - before != fetched {
                return Err(Error::new(
                    E_INVALIDARG,
                    "the enumerator handed out NULL items",
                ));
            }
            if hr == S_FALSE || fetched == 0 {
                return Ok(out);
            }
        }
    }

    fn clock_vector(&mut self, vector: &IClockVector) -> Result<Elements> {
        let mut raw: *mut core::ffi::c_void = core::ptr::null_mut();
        // SAFETY: a live interface; `raw` is writable.
        unsafe { vector.GetClockVectorElements(&IEnumClockVector::IID, &mut raw) }.ok()?;
        // SAFETY: an IEnumClockVector with one reference.
        let elements = unsafe { take::<IEnumClockVector>(raw) }?;
        self.elements(&elements)
    }

    fn elements(&mut self, elements: &IEnumClockVector) -> Result<Elements> {
        let items: Vec<IClockVectorElement> = self.drain(|count, array, fetched| {
            // SAFETY: a live interface; `array` holds `count` slots.
            unsafe { elements.Next(count, array, fetched) }
        })?;
        items
            .iter()
            .map(|element| {
                let (mut key, mut tick) = (0u32, 0u64);
                // SAFETY: live interfaces; the out values are writable.
                unsafe { element.GetReplicaKey(&mut key) }.ok()?;
                // SAFETY: as above.
                unsafe { element.GetTickCount(&mut tick) }.ok()?;
                Ok((key, tick))
            })
            .collect()
    }

    /// The vector an exception hands out through `GetClockVector(riid, ppunk)`: asked as
    /// `IClockVector`, or as `IEnumClockVector` (the pages name both).
    fn exception_vector(
        &mut self,
        get: impl Fn(&GUID, *mut *mut core::ffi::c_void) -> HRESULT,
    ) -> Result<Elements> {
        let mut raw: *mut core::ffi::c_void = core::ptr::null_mut();
        let hr = get(&IClockVector::IID, &mut raw);
        if hr.is_ok() {
            // SAFETY: an IClockVector with one reference.
            let vector = unsafe { take::<IClockVector>(raw) }?;
            return self.clock_vector(&vector);
        }
        let mut raw: *mut core::ffi::c_void = core::ptr::null_mut();
        get(&IEnumClockVector::IID, &mut raw).ok()?;
        // SAFETY: an IEnumClockVector with one reference.
        let elements = unsafe { take::<IEnumClockVector>(raw) }?;
        self.elements(&elements)
    }

    fn range_exceptions(&mut self, knowledge: &ISyncKnowledge) -> Result<Vec<TwoIds>> {
        let mut raw: *mut core::ffi::c_void = core::ptr::null_mut();
        // SAFETY: a live interface; `raw` is writable.
        unsafe { knowledge.GetRangeExceptions(&IEnumRangeExceptions::IID, &mut raw) }.ok()?;
        // SAFETY: an IEnumRangeExceptions with one reference.
        let list = unsafe { take::<IEnumRangeExceptions>(raw) }?;
        let exceptions: Vec<IRangeException> = self.drain(|count, array, fetched| {
            // SAFETY: as above.
            unsafe { list.Next(count, array, fetched) }
        })?;
        let format = self.formats.item;
        exceptions
            .iter()
            .map(|e| {
                // SAFETY: live interfaces, valid buffers, throughout.
                let start = self.id(&format, "item ID", |b, s| unsafe {
                    e.GetClosedRangeStart(b, s)
                })?;
                let end = self.id(&format, "item ID", |b, s| unsafe {
                    e.GetClosedRangeEnd(b, s)
                })?;
                let vector =
                    self.exception_vector(|riid, ppv| unsafe { e.GetClockVector(riid, ppv) })?;
                Ok((start, end, vector))
            })
            .collect()
    }

    fn single_item_exceptions(
        &mut self,
        knowledge: &ISyncKnowledge,
    ) -> Result<Vec<(Box<[u8]>, Elements)>> {
        let mut raw: *mut core::ffi::c_void = core::ptr::null_mut();
        // SAFETY: a live interface; `raw` is writable.
        unsafe { knowledge.GetSingleItemExceptions(&IEnumSingleItemExceptions::IID, &mut raw) }
            .ok()?;
        // SAFETY: an IEnumSingleItemExceptions with one reference.
        let list = unsafe { take::<IEnumSingleItemExceptions>(raw) }?;
        let exceptions: Vec<ISingleItemException> = self.drain(|count, array, fetched| {
            // SAFETY: as above.
            unsafe { list.Next(count, array, fetched) }
        })?;
        let format = self.formats.item;
        exceptions
            .iter()
            .map(|e| {
                // SAFETY: live interfaces, valid buffers, throughout.
                let item = self.id(&format, "item ID", |b, s| unsafe { e.GetItemId(b, s) })?;
                let vector =
                    self.exception_vector(|riid, ppv| unsafe { e.GetClockVector(riid, ppv) })?;
                Ok((item, vector))
            })
            .collect()
    }

    fn change_unit_exceptions(&mut self, knowledge: &ISyncKnowledge) -> Result<Vec<TwoIds>> {
        let mut raw: *mut core::ffi::c_void = core::ptr::null_mut();
        // SAFETY: a live interface; `raw` is writable.
        unsafe { knowledge.GetChangeUnitExceptions(&IEnumChangeUnitExceptions::IID, &mut raw) }
            .ok()?;
        // SAFETY: an IEnumChangeUnitExceptions with one reference.
        let list = unsafe { take::<IEnumChangeUnitExceptions>(raw) }?;
        let exceptions: Vec<IChangeUnitException> = self.drain(|count, array, fetched| {
            // SAFETY: as above.
            unsafe { list.Next(count, array, fetched) }
        })?;
        let (item_format, unit_format) = (self.formats.item, self.formats.change_unit);
        exceptions
            .iter()
            .map(|e| {
                // SAFETY: live interfaces, valid buffers, throughout.
                let item = self.id(&item_format, "item ID", |b, s| unsafe { e.GetItemId(b, s) })?;
                let unit = self.id(&unit_format, "change unit ID", |b, s| unsafe {
                    e.GetChangeUnitId(b, s)
                })?;
                let vector =
                    self.exception_vector(|riid, ppv| unsafe { e.GetClockVector(riid, ppv) })?;
                Ok((item, unit, vector))
            })
            .collect()
    }
}
