//! Knowledge another implementation made, read through its interfaces: a hand-written
//! `ISyncKnowledge` whose replica keys are not the engine's (A is 100, B 7, C 42), with or
//! without `ISyncKnowledge2`, and hostile variants (a key its map lacks, an owner ID of the
//! wrong size). Then the runtime's objects under 8 threads: readers and writers on one
//! knowledge object (`WINSYNC_STRESS_ROUNDS` raises the default 2,000 rounds per thread).

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::undocumented_unsafe_blocks,
    non_snake_case
)]

use std::sync::Arc;

use windows_core::{Error, GUID, HRESULT, IUnknown, Interface, Ref, Result, implement};
use winsync::bindings::{
    E_NOINTERFACE, E_NOTIMPL, IClockVector, IEnumChangeUnitExceptions, IEnumRangeExceptions,
    IEnumSingleItemExceptions, IReplicaKeyMap, IReplicaKeyMap_Impl, ISyncKnowledge,
    ISyncKnowledge_Impl, S_FALSE, S_OK, SYNC_RANGE, SYNC_VERSION,
};
use winsync::engine::{
    ChangeUnitException, ClockVector, IdFormats, Knowledge, RangeException, ReplicaKeyMap,
    SingleItemException,
};
use winsync::framework::knowledge::{self, exceptions, vectors, wire};
use winsync::hresults::{SYNC_E_ID_FORMAT_MISMATCH, SYNC_E_REPLICA_NOT_FOUND};

const A: [u8; 16] = [0xA; 16];
const B: [u8; 16] = [0xB; 16];
const C: [u8; 16] = [0xC; 16];

fn item(n: u8) -> [u8; 24] {
    let mut id = [0; 24];
    id[0] = n;
    id
}

fn v(elements: &[(u32, u64)]) -> Arc<ClockVector> {
    Arc::new(ClockVector::from_elements(elements.iter().copied()).unwrap())
}

/// The worked example in the engine's key space (A 0, B 1, C 2).
fn k_a() -> Knowledge {
    let mut map = ReplicaKeyMap::new();
    for id in [A, B, C] {
        map.find_or_add(&id).unwrap();
    }
    Knowledge::from_parts(
        IdFormats::GUID_GID,
        &A,
        map,
        (*v(&[(0, 20), (1, 7)])).clone(),
        &[(
            item(50).into(),
            item(59).into(),
            (*v(&[(0, 20), (1, 7), (2, 4)])).clone(),
        )],
        &[(item(30).into(), (*v(&[(0, 20), (1, 9)])).clone())],
        &[(
            item(40).into(),
            [1u8].into(),
            (*v(&[(0, 20), (1, 12)])).clone(),
        )],
    )
    .unwrap()
}

/// The same knowledge as another implementation would hold it: its own keys.
#[implement(ISyncKnowledge)]
struct Foreign {
    owner: Vec<u8>,
    keys: Vec<(u32, [u8; 16])>,
    scope: Arc<ClockVector>,
    ranges: Vec<RangeException>,
    items: Vec<SingleItemException>,
    units: Vec<ChangeUnitException>,
}

fn foreign() -> Foreign {
    // A 100, B 7, C 42.
    Foreign {
        owner: A.to_vec(),
        keys: vec![(100, A), (7, B), (42, C)],
        scope: v(&[(100, 20), (7, 7)]),
        ranges: vec![RangeException {
            start: item(50).into(),
            end: item(59).into(),
            vector: v(&[(100, 20), (7, 7), (42, 4)]),
        }],
        items: vec![SingleItemException {
            item: item(30).into(),
            vector: v(&[(100, 20), (7, 9)]),
        }],
        units: vec![ChangeUnitException {
            item: item(40).into(),
            unit: [1u8].into(),
            vector: v(&[(100, 20), (7, 12)]),
        }],
    }
}

#[implement(IReplicaKeyMap)]
struct ForeignMap(Vec<(u32, [u8; 16])>);

impl IReplicaKeyMap_Impl for ForeignMap_Impl {
    fn LookupReplicaKey(&self, id: *const u8, key: *mut u32) -> Result<()> {
        let id = unsafe { std::slice::from_raw_parts(id, 16) };
        let found = self
            .0
            .iter()
            .find(|(_, i)| i == id)
            .ok_or_else(|| Error::from_hresult(SYNC_E_REPLICA_NOT_FOUND))?;
        unsafe { key.write(found.0) };
        Ok(())
    }
    fn LookupReplicaId(&self, key: u32, id: *mut u8, size: *mut u32) -> Result<()> {
        let found = self
            .0
            .iter()
            .find(|(k, _)| *k == key)
            .ok_or_else(|| Error::from_hresult(SYNC_E_REPLICA_NOT_FOUND))?;
        unsafe { wire::write_bytes(id, &mut *size, &found.1) }
    }
    fn Serialize(&self, _: *mut u8, _: *mut u32) -> Result<()> {
        Err(Error::from_hresult(E_NOTIMPL))
    }
}

fn not_implemented<T>() -> Result<T> {
    Err(Error::from_hresult(E_NOTIMPL))
}

impl ISyncKnowledge_Impl for Foreign_Impl {
    fn GetOwnerReplicaId(&self, id: *mut u8, size: *mut u32) -> Result<()> {
        unsafe { wire::write_bytes(id, &mut *size, &self.owner) }
    }
    fn Serialize(&self, _: windows_core::BOOL, _: *mut u8, _: *mut u32) -> Result<()> {
        not_implemented()
    }
    fn SetLocalTickCount(&self, _: u64) -> Result<()> {
        not_implemented()
    }
    fn ContainsChange(&self, _: *const u8, _: *const u8, _: *const SYNC_VERSION) -> HRESULT {
        E_NOTIMPL
    }
    fn ContainsChangeUnit(
        &self,
        _: *const u8,
        _: *const u8,
        _: *const u8,
        _: *const SYNC_VERSION,
    ) -> HRESULT {
        E_NOTIMPL
    }
    fn GetScopeVector(&self, riid: *const GUID, ppv: *mut *mut core::ffi::c_void) -> Result<()> {
        let object: IUnknown = vectors::clock_vector(self.scope.clone()).cast()?;
        unsafe { wire::hand_out(&object, &*riid, &[IClockVector::IID], ppv) }
    }
    fn GetReplicaKeyMap(&self) -> Result<IReplicaKeyMap> {
        Ok(ForeignMap(self.keys.clone()).into())
    }
    fn Clone(&self) -> Result<ISyncKnowledge> {
        not_implemented()
    }
    fn ConvertVersion(
        &self,
        _: Ref<ISyncKnowledge>,
        _: *const u8,
        _: *const SYNC_VERSION,
        _: *mut u8,
        _: *mut u32,
        _: *mut SYNC_VERSION,
    ) -> Result<()> {
        not_implemented()
    }
    fn MapRemoteToLocal(&self, _: Ref<ISyncKnowledge>) -> Result<ISyncKnowledge> {
        not_implemented()
    }
    fn Union(&self, _: Ref<ISyncKnowledge>) -> Result<()> {
        not_implemented()
    }
    fn ProjectOntoItem(&self, _: *const u8) -> Result<ISyncKnowledge> {
        not_implemented()
    }
    fn ProjectOntoChangeUnit(&self, _: *const u8, _: *const u8) -> Result<ISyncKnowledge> {
        not_implemented()
    }
    fn ProjectOntoRange(&self, _: *const SYNC_RANGE) -> Result<ISyncKnowledge> {
        not_implemented()
    }
    fn ExcludeItem(&self, _: *const u8) -> Result<()> {
        not_implemented()
    }
    fn ExcludeChangeUnit(&self, _: *const u8, _: *const u8) -> Result<()> {
        not_implemented()
    }
    fn ContainsKnowledge(&self, _: Ref<ISyncKnowledge>) -> HRESULT {
        E_NOTIMPL
    }
    fn FindMinTickCountForReplica(&self, _: *const u8, _: *mut u64) -> Result<()> {
        not_implemented()
    }
    fn GetRangeExceptions(
        &self,
        riid: *const GUID,
        ppv: *mut *mut core::ffi::c_void,
    ) -> Result<()> {
        let object: IUnknown =
            exceptions::range_exceptions(IdFormats::GUID_GID, self.ranges.clone()).cast()?;
        unsafe { wire::hand_out(&object, &*riid, &[IEnumRangeExceptions::IID], ppv) }
    }
    fn GetSingleItemExceptions(
        &self,
        riid: *const GUID,
        ppv: *mut *mut core::ffi::c_void,
    ) -> Result<()> {
        let object: IUnknown =
            exceptions::single_item_exceptions(IdFormats::GUID_GID, self.items.clone()).cast()?;
        unsafe { wire::hand_out(&object, &*riid, &[IEnumSingleItemExceptions::IID], ppv) }
    }
    fn GetChangeUnitExceptions(
        &self,
        riid: *const GUID,
        ppv: *mut *mut core::ffi::c_void,
    ) -> Result<()> {
        let object: IUnknown =
            exceptions::unit_exceptions(IdFormats::GUID_GID, self.units.clone()).cast()?;
        unsafe { wire::hand_out(&object, &*riid, &[IEnumChangeUnitExceptions::IID], ppv) }
    }
    fn FindClockVectorForItem(
        &self,
        _: *const u8,
        _: *const GUID,
        _: *mut *mut core::ffi::c_void,
    ) -> Result<()> {
        not_implemented()
    }
    fn FindClockVectorForChangeUnit(
        &self,
        _: *const u8,
        _: *const u8,
        _: *const GUID,
        _: *mut *mut core::ffi::c_void,
    ) -> Result<()> {
        not_implemented()
    }
    fn GetVersion(&self, _: *mut u32) -> Result<()> {
        not_implemented()
    }
}

#[test]
fn foreign_knowledge_reads_as_the_same_knowledge_in_engine_keys() {
    let com: ISyncKnowledge = foreign().into();
    let read = knowledge::from_com(&com, Some(&IdFormats::GUID_GID)).unwrap();
    assert_eq!(*read, k_a());
    // Without ISyncKnowledge2 and no formats given, the formats are unknown.
    assert_eq!(
        knowledge::from_com(&com, None).unwrap_err().code(),
        E_NOINTERFACE
    );
}

#[test]
fn runtime_objects_combine_with_foreign_knowledge() {
    let foreign: ISyncKnowledge = foreign().into();
    let mine = knowledge::to_com(k_a());
    assert_eq!(unsafe { mine.ContainsKnowledge(&foreign) }, S_OK);
    let empty = knowledge::to_com(Knowledge::new(IdFormats::GUID_GID, &A).unwrap());
    assert_eq!(unsafe { empty.ContainsKnowledge(&foreign) }, S_FALSE);
    assert_eq!(unsafe { empty.Union(&foreign) }, S_OK);
    assert_eq!(*knowledge::from_com(&empty, None).unwrap(), k_a());
}

#[test]
fn hostile_foreign_knowledge_is_refused_with_its_reason() {
    // A vector key the foreign map does not know.
    let mut lacking = foreign();
    lacking.keys.retain(|(key, _)| *key != 42);
    let com: ISyncKnowledge = lacking.into();
    assert_eq!(
        knowledge::from_com(&com, Some(&IdFormats::GUID_GID))
            .unwrap_err()
            .code(),
        SYNC_E_REPLICA_NOT_FOUND
    );
    // An owner ID longer than the format.
    let mut long_owner = foreign();
    long_owner.owner = vec![0xA; 17];
    let com: ISyncKnowledge = long_owner.into();
    assert_eq!(
        knowledge::from_com(&com, Some(&IdFormats::GUID_GID))
            .unwrap_err()
            .code(),
        SYNC_E_ID_FORMAT_MISMATCH
    );
    // A short one.
    let mut short_owner = foreign();
    short_owner.owner = vec![0xA; 15];
    let com: ISyncKnowledge = short_owner.into();
    assert_eq!(
        knowledge::from_com(&com, Some(&IdFormats::GUID_GID))
            .unwrap_err()
            .code(),
        SYNC_E_ID_FORMAT_MISMATCH
    );
    // And combining with it fails without changing anything.
    let mine = knowledge::to_com(Knowledge::new(IdFormats::GUID_GID, &A).unwrap());
    assert_ne!(unsafe { mine.Union(&com) }, S_OK);
    assert_eq!(
        *knowledge::from_com(&mine, None).unwrap(),
        Knowledge::new(IdFormats::GUID_GID, &A).unwrap()
    );
}

fn stress_rounds() -> usize {
    std::env::var("WINSYNC_STRESS_ROUNDS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(2_000)
}

/// Eight threads on one object: six read (ContainsChange must answer consistently with a
/// knowledge that only grows: once S_OK, always S_OK), two write (SetLocalTickCount with rising
/// ticks, Union with a copy). No call fails, no answer goes back.
#[test]
fn eight_threads_read_and_write_one_knowledge_object() {
    let rounds = stress_rounds();
    // The Rust side of the object is Send + Sync; each thread takes its own interface.
    let object = knowledge::new_object(k_a());
    let k: ISyncKnowledge = object.to_interface();
    std::thread::scope(|scope| {
        for thread in 0..8u64 {
            let object = object.clone();
            scope.spawn(move || {
                let k: ISyncKnowledge = object.to_interface();
                let other = knowledge::to_com(k_a());
                let mut seen_ok = false;
                for round in 0..rounds as u64 {
                    match thread {
                        0 => assert_eq!(unsafe { k.SetLocalTickCount(21 + round) }, S_OK),
                        1 => assert_eq!(unsafe { k.Union(&other) }, S_OK),
                        _ => {
                            let tick = 21 + (rounds as u64) / 2;
                            let hr = unsafe {
                                k.ContainsChange(
                                    A.as_ptr(),
                                    item(10 + thread as u8).as_ptr(),
                                    &SYNC_VERSION {
                                        dwLastUpdatingReplicaKey: 0,
                                        ullTickCount: tick,
                                    },
                                )
                            };
                            assert!(hr == S_OK || hr == S_FALSE, "{hr:?}");
                            if seen_ok {
                                assert_eq!(hr, S_OK, "an answer went back");
                            }
                            seen_ok = hr == S_OK;
                        }
                    }
                }
            });
        }
    });
    let final_knowledge = knowledge::from_com(&k, None).unwrap();
    let mut expected = k_a();
    expected.set_local_tick_count(20 + rounds as u64).unwrap();
    assert_eq!(*final_knowledge, expected);
}
