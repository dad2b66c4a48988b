//! The runtime's knowledge objects through their real vtables: every `ISyncKnowledge` and
//! `ISyncKnowledge2` method, the objects they hand out (key maps, clock vectors, exceptions and
//! their enumerators, core fragments, cookies), the `pcb` buffer convention, `[out]` pointers
//! NULL on failure, and S_FALSE kept as an answer. The knowledge is the worked example of the
//! engine's tests: three replicas, 24-byte item IDs.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::undocumented_unsafe_blocks
)]

use windows_core::{GUID, HRESULT, IUnknown, Interface};
use winsync::bindings::{
    E_INVALIDARG, E_NOINTERFACE, E_POINTER, IChangeUnitException, IClockVector,
    IClockVectorElement, IConstructReplicaKeyMap, ICoreFragment, ICoreFragmentInspector,
    ID_PARAMETERS, IEnumChangeUnitExceptions, IEnumClockVector, IEnumRangeExceptions,
    IEnumSingleItemExceptions, IForgottenKnowledge, IRangeException, ISingleItemException,
    ISyncKnowledge, ISyncKnowledge2, KCCR_COOKIE_KNOWLEDGE_CONTAINED,
    KCCR_COOKIE_KNOWLEDGE_CONTAINS, KCCR_COOKIE_KNOWLEDGE_EQUAL,
    KCCR_COOKIE_KNOWLEDGE_NOT_COMPARABLE, S_FALSE, S_OK, SYNC_RANGE, SYNC_VERSION,
};
use winsync::engine::{
    ClockVector, ForgottenKnowledge, IdFormats, Knowledge, ReplicaKeyMap, Version,
};
use winsync::framework::knowledge::{self, MORE_DATA};
use winsync::hresults::{SYNC_E_INVALID_OPERATION, SYNC_E_REPLICA_NOT_FOUND};

const A: [u8; 16] = [0xA; 16];
const B: [u8; 16] = [0xB; 16];
const C: [u8; 16] = [0xC; 16];
const D: [u8; 16] = [0xD; 16];

fn item(n: u8) -> [u8; 24] {
    let mut id = [0; 24];
    id[0] = n;
    id
}

fn v(elements: &[(u32, u64)]) -> ClockVector {
    ClockVector::from_elements(elements.iter().copied()).unwrap()
}

fn keys(ids: &[[u8; 16]]) -> ReplicaKeyMap {
    let mut map = ReplicaKeyMap::new();
    for id in ids {
        map.find_or_add(id).unwrap();
    }
    map
}

/// K_A: scope {0:20, 1:7}; range [i50, i59] {0:20, 1:7, 2:4}; i30 {0:20, 1:9};
/// (i40, cu1) {0:20, 1:12}. Keys: A 0, B 1, C 2.
fn k_a() -> Knowledge {
    Knowledge::from_parts(
        IdFormats::GUID_GID,
        &A,
        keys(&[A, B, C]),
        v(&[(0, 20), (1, 7)]),
        &[(
            item(50).into(),
            item(59).into(),
            v(&[(0, 20), (1, 7), (2, 4)]),
        )],
        &[(item(30).into(), v(&[(0, 20), (1, 9)]))],
        &[(item(40).into(), [1u8].into(), v(&[(0, 20), (1, 12)]))],
    )
    .unwrap()
}

/// B's knowledge: scope {A:25, B:30}, in B's key space (B 0, A 1).
fn k_b() -> Knowledge {
    Knowledge::from_parts(
        IdFormats::GUID_GID,
        &B,
        keys(&[B, A]),
        v(&[(0, 30), (1, 25)]),
        &[],
        &[],
        &[],
    )
    .unwrap()
}

fn version(key: u32, tick: u64) -> SYNC_VERSION {
    SYNC_VERSION {
        dwLastUpdatingReplicaKey: key,
        ullTickCount: tick,
    }
}

fn k2(k: &ISyncKnowledge) -> ISyncKnowledge2 {
    k.cast().unwrap()
}

/// Reads an ID through the `pcb` convention, checking the negotiation on the way: a NULL
/// buffer and a short one answer MORE_DATA with the size; the right one gets the bytes.
fn negotiate(call: impl Fn(*mut u8, *mut u32) -> HRESULT) -> Vec<u8> {
    let mut size = 0u32;
    assert_eq!(call(std::ptr::null_mut(), &mut size), MORE_DATA);
    assert!(size > 0);
    let needed = size;
    let mut short = vec![0xEEu8; needed as usize - 1];
    let mut short_size = needed - 1;
    assert_eq!(call(short.as_mut_ptr(), &mut short_size), MORE_DATA);
    assert_eq!(short_size, needed);
    assert!(
        short.iter().all(|&b| b == 0xEE),
        "a short buffer was written"
    );
    let mut buffer = vec![0u8; needed as usize + 8];
    let mut size = needed + 8;
    assert_eq!(call(buffer.as_mut_ptr(), &mut size), S_OK);
    assert_eq!(size, needed);
    assert_eq!(call(buffer.as_mut_ptr(), std::ptr::null_mut()), E_POINTER);
    buffer.truncate(needed as usize);
    buffer
}

fn elements_of(vector: &IClockVector) -> Vec<(u32, u64)> {
    let mut count = 0;
    assert_eq!(
        unsafe { vector.GetClockVectorElementCount(&mut count) },
        S_OK
    );
    let mut raw = std::ptr::null_mut();
    assert_eq!(
        unsafe { vector.GetClockVectorElements(&IEnumClockVector::IID, &mut raw) },
        S_OK
    );
    let list = unsafe { IEnumClockVector::from_raw(raw) };
    let mut out = Vec::new();
    loop {
        let mut batch: [Option<IClockVectorElement>; 2] = [None, None];
        let mut fetched = 0;
        let hr = unsafe { list.Next(2, batch.as_mut_ptr(), &mut fetched) };
        for element in batch.iter().take(fetched as usize) {
            let element = element.as_ref().unwrap();
            let (mut key, mut tick) = (0, 0);
            assert_eq!(unsafe { element.GetReplicaKey(&mut key) }, S_OK);
            assert_eq!(unsafe { element.GetTickCount(&mut tick) }, S_OK);
            out.push((key, tick));
        }
        assert!(batch.iter().skip(fetched as usize).all(Option::is_none));
        if hr == S_FALSE {
            break;
        }
        assert_eq!(hr, S_OK);
    }
    assert_eq!(out.len(), count as usize);
    out
}

fn hand_out<I: Interface>(call: impl Fn(*const GUID, *mut *mut core::ffi::c_void) -> HRESULT) -> I {
    // A wrong interface ID: E_NOINTERFACE, the out-pointer NULL.
    let mut raw = std::ptr::dangling_mut::<core::ffi::c_void>();
    assert_eq!(call(&ISyncKnowledge::IID, &mut raw), E_NOINTERFACE);
    assert!(raw.is_null());
    assert_eq!(call(&I::IID, std::ptr::null_mut()), E_POINTER);
    let mut raw = std::ptr::null_mut();
    assert_eq!(call(&I::IID, &mut raw), S_OK);
    unsafe { I::from_raw(raw) }
}

#[test]
fn the_owner_and_ids_follow_the_pcb_convention() {
    let k = knowledge::to_com(k_a());
    let owner = negotiate(|b, s| unsafe { k.GetOwnerReplicaId(b, s) });
    assert_eq!(owner, A);
    let mut parameters = ID_PARAMETERS::default();
    assert_eq!(
        unsafe { k2(&k).GetIdParameters(&mut parameters) },
        E_INVALIDARG
    );
    parameters.dwSize = size_of::<ID_PARAMETERS>() as u32;
    assert_eq!(unsafe { k2(&k).GetIdParameters(&mut parameters) }, S_OK);
    assert_eq!(
        knowledge::formats_of(&parameters).unwrap(),
        IdFormats::GUID_GID
    );
    let mut level = 0;
    assert_eq!(unsafe { k.GetVersion(&mut level) }, S_OK);
    assert_eq!(level, 5);
}

#[test]
fn contains_change_answers_s_ok_or_s_false_for_the_owners_versions() {
    let k = knowledge::to_com(k_a());
    let ask = |i: u8, key, tick| unsafe {
        k.ContainsChange(A.as_ptr(), item(i).as_ptr(), &version(key, tick))
    };
    assert_eq!(ask(10, 1, 6), S_OK);
    assert_eq!(ask(10, 1, 8), S_FALSE);
    assert_eq!(ask(30, 1, 8), S_OK);
    assert_eq!(ask(55, 2, 3), S_OK);
    assert_eq!(ask(56, 2, 5), S_FALSE);
    let unit = |i: u8, key, tick| unsafe {
        k.ContainsChangeUnit(
            A.as_ptr(),
            item(i).as_ptr(),
            [1u8].as_ptr(),
            &version(key, tick),
        )
    };
    assert_eq!(unit(40, 1, 12), S_OK);
    assert_eq!(unit(40, 1, 13), S_FALSE);
    assert_eq!(unit(41, 1, 12), S_FALSE);
    // Another replica's version is in another key space.
    assert_eq!(
        unsafe { k.ContainsChange(B.as_ptr(), item(10).as_ptr(), &version(0, 1)) },
        E_INVALIDARG
    );
    assert_eq!(
        unsafe { k.ContainsChange(A.as_ptr(), std::ptr::null(), &version(0, 1)) },
        E_POINTER
    );
    assert_eq!(
        unsafe { k.ContainsChange(A.as_ptr(), item(1).as_ptr(), std::ptr::null()) },
        E_POINTER
    );
}

#[test]
fn the_scope_vector_and_exceptions_present_the_knowledge() {
    let k = knowledge::to_com(k_a());
    let scope: IClockVector = hand_out(|riid, ppv| unsafe { k.GetScopeVector(riid, ppv) });
    assert_eq!(elements_of(&scope), [(0, 20), (1, 7)]);

    let ranges: IEnumRangeExceptions =
        hand_out(|riid, ppv| unsafe { k.GetRangeExceptions(riid, ppv) });
    let mut batch: [Option<IRangeException>; 3] = [None, None, None];
    let mut fetched = 9;
    assert_eq!(
        unsafe { ranges.Next(3, batch.as_mut_ptr(), &mut fetched) },
        S_FALSE
    );
    assert_eq!(fetched, 1);
    let range = batch[0].take().unwrap();
    assert_eq!(
        negotiate(|b, s| unsafe { range.GetClosedRangeStart(b, s) }),
        item(50)
    );
    assert_eq!(
        negotiate(|b, s| unsafe { range.GetClosedRangeEnd(b, s) }),
        item(59)
    );
    let vector: IClockVector = hand_out(|riid, ppv| unsafe { range.GetClockVector(riid, ppv) });
    assert_eq!(elements_of(&vector), [(0, 20), (1, 7), (2, 4)]);

    let items: IEnumSingleItemExceptions =
        hand_out(|riid, ppv| unsafe { k.GetSingleItemExceptions(riid, ppv) });
    let mut one: [Option<ISingleItemException>; 1] = [None];
    // One asked for: pcFetched may be NULL.
    assert_eq!(
        unsafe { items.Next(1, one.as_mut_ptr(), std::ptr::null_mut()) },
        S_OK
    );
    let single = one[0].take().unwrap();
    assert_eq!(
        negotiate(|b, s| unsafe { single.GetItemId(b, s) }),
        item(30)
    );
    // The pages name IID_IEnumClockVector here: it is answered too.
    let mut raw = std::ptr::null_mut();
    assert_eq!(
        unsafe { single.GetClockVector(&IEnumClockVector::IID, &mut raw) },
        S_OK
    );
    drop(unsafe { IEnumClockVector::from_raw(raw) });

    let units: IEnumChangeUnitExceptions =
        hand_out(|riid, ppv| unsafe { k.GetChangeUnitExceptions(riid, ppv) });
    let mut two: [Option<IChangeUnitException>; 2] = [None, None];
    // More than one asked for without pcFetched: E_POINTER, nothing handed out.
    assert_eq!(
        unsafe { units.Next(2, two.as_mut_ptr(), std::ptr::null_mut()) },
        E_POINTER
    );
    assert!(two.iter().all(Option::is_none));
    let mut fetched = 0;
    assert_eq!(
        unsafe { units.Next(2, two.as_mut_ptr(), &mut fetched) },
        S_FALSE
    );
    assert_eq!(fetched, 1);
    let unit = two[0].take().unwrap();
    assert_eq!(negotiate(|b, s| unsafe { unit.GetItemId(b, s) }), item(40));
    let mut id = [0u8; 1];
    let mut size = 1;
    assert_eq!(
        unsafe { unit.GetChangeUnitId(id.as_mut_ptr(), &mut size) },
        S_OK
    );
    assert_eq!(id, [1]);
    // This page alone refuses a NULL buffer.
    assert_eq!(
        unsafe { unit.GetChangeUnitId(std::ptr::null_mut(), &mut size) },
        E_INVALIDARG
    );
}

#[test]
fn enumerators_skip_reset_and_clone_at_their_position() {
    let k = knowledge::to_com(k_a());
    let scope: IClockVector = hand_out(|riid, ppv| unsafe { k.GetScopeVector(riid, ppv) });
    let mut raw = std::ptr::null_mut();
    assert_eq!(
        unsafe { scope.GetClockVectorElements(&IEnumClockVector::IID, &mut raw) },
        S_OK
    );
    let list = unsafe { IEnumClockVector::from_raw(raw) };
    assert_eq!(unsafe { list.Skip(1) }, S_OK);
    let fork = unsafe { list.Clone() }.unwrap();
    assert_eq!(unsafe { list.Skip(5) }, S_FALSE);
    let mut one: [Option<IClockVectorElement>; 1] = [None];
    let mut fetched = 7;
    assert_eq!(
        unsafe { list.Next(1, one.as_mut_ptr(), &mut fetched) },
        S_FALSE
    );
    assert_eq!(fetched, 0);
    assert!(one[0].is_none());
    // The clone stayed at element 1.
    assert_eq!(
        unsafe { fork.Next(1, one.as_mut_ptr(), &mut fetched) },
        S_OK
    );
    let mut key = 9;
    assert_eq!(
        unsafe { one[0].as_ref().unwrap().GetReplicaKey(&mut key) },
        S_OK
    );
    assert_eq!(key, 1);
    assert_eq!(unsafe { list.Reset() }, S_OK);
    assert_eq!(
        unsafe { list.Next(1, one.as_mut_ptr(), &mut fetched) },
        S_OK
    );
    assert_eq!(
        unsafe { one[0].as_ref().unwrap().GetReplicaKey(&mut key) },
        S_OK
    );
    assert_eq!(key, 0);
    // More than the pages' limit in one call.
    let mut many: Vec<Option<IClockVectorElement>> = (0..1001).map(|_| None).collect();
    assert_eq!(
        unsafe { list.Next(1001, many.as_mut_ptr(), &mut fetched) },
        E_INVALIDARG
    );
}

#[test]
fn serialized_knowledge_reads_back_in_the_engine() {
    let k = knowledge::to_com(k_a());
    let bytes = negotiate(|b, s| unsafe { k.Serialize(true, b, s) });
    assert_eq!(Knowledge::deserialize(&bytes, None).unwrap(), k_a());
    let without_map = negotiate(|b, s| unsafe { k.Serialize(false, b, s) });
    assert!(without_map.len() < bytes.len());
    assert_eq!(
        Knowledge::deserialize(&without_map, Some(k_a().key_map())).unwrap(),
        k_a()
    );
    // V1 cannot carry named columns; V3 with the key map equals Serialize.
    let k2 = k2(&k);
    let columns = [[1u8].as_ptr()];
    let projected = unsafe { k2.ProjectOntoColumnSet(columns.as_ptr(), 1) }.unwrap();
    let mut minimum = 0;
    assert_eq!(
        unsafe { projected.GetMinimumSupportedVersion(&mut minimum) },
        S_OK
    );
    assert_eq!(minimum, 4);
    let mut size = 0;
    assert_ne!(
        unsafe { projected.SerializeWithOptions(1, 0, std::ptr::null_mut(), &mut size) },
        S_OK
    );
    let v3 = negotiate(|b, s| unsafe { k2.SerializeWithOptions(5, 1, b, s) });
    assert_eq!(v3, bytes);
    assert_eq!(
        unsafe { k2.SerializeWithOptions(5, 0x80, std::ptr::null_mut(), &mut size) },
        E_INVALIDARG
    );
}

#[test]
fn union_contains_and_clone_work_between_objects() {
    let a = knowledge::to_com(k_a());
    let b = knowledge::to_com(k_b());
    assert_eq!(unsafe { a.ContainsKnowledge(&b) }, S_FALSE);
    let copy = unsafe { a.Clone() }.unwrap();
    assert_eq!(unsafe { copy.Union(&b) }, S_OK);
    assert_eq!(unsafe { copy.ContainsKnowledge(&b) }, S_OK);
    assert_eq!(unsafe { copy.ContainsKnowledge(&a) }, S_OK);
    // The clone is independent.
    assert_eq!(unsafe { a.ContainsKnowledge(&b) }, S_FALSE);
    assert_eq!(unsafe { a.ContainsKnowledge(&copy) }, S_FALSE);
    // A's key space: B is key 1; B's scope knew B up to 30.
    assert_eq!(
        unsafe { copy.ContainsChange(A.as_ptr(), item(10).as_ptr(), &version(1, 30)) },
        S_OK
    );
    let mut expected = k_a();
    expected.union(&k_b()).unwrap();
    assert_eq!(*knowledge::from_com(&copy, None).unwrap(), expected);

    let a2 = k2(&a);
    assert_eq!(unsafe { a2.IntersectsWithKnowledge(&b) }, S_OK);
    let complement = unsafe { a2.Complement(&b) }.unwrap();
    assert_eq!(
        *knowledge::from_com(&complement, None).unwrap(),
        k_a().complement(&k_b()).unwrap()
    );
    assert_eq!(
        unsafe { a2.ContainsKnowledgeForItem(&b, item(10).as_ptr()) },
        S_FALSE
    );
    assert_eq!(
        unsafe { a2.ContainsKnowledgeForItem(&a, item(10).as_ptr()) },
        S_OK
    );
    assert_eq!(
        unsafe { a2.ContainsKnowledgeForChangeUnit(&a, item(40).as_ptr(), [1u8].as_ptr()) },
        S_OK
    );
}

#[test]
fn projections_and_exclusions_match_the_engine() {
    let k = knowledge::to_com(k_a());
    let engine = k_a();
    let on_item = unsafe { k.ProjectOntoItem(item(30).as_ptr()) }.unwrap();
    assert_eq!(
        *knowledge::from_com(&on_item, None).unwrap(),
        engine.project_onto_item(&item(30)).unwrap()
    );
    let on_unit = unsafe { k.ProjectOntoChangeUnit(item(40).as_ptr(), [1u8].as_ptr()) }.unwrap();
    assert_eq!(
        *knowledge::from_com(&on_unit, None).unwrap(),
        engine.project_onto_change_unit(&item(40), &[1]).unwrap()
    );
    let (lower, upper) = (item(20), item(52));
    let range = SYNC_RANGE {
        pbClosedLowerBound: lower.as_ptr().cast_mut(),
        pbClosedUpperBound: upper.as_ptr().cast_mut(),
    };
    let on_range = unsafe { k.ProjectOntoRange(&range) }.unwrap();
    assert_eq!(
        *knowledge::from_com(&on_range, None).unwrap(),
        engine.project_onto_range(&lower, &upper).unwrap()
    );
    assert_eq!(unsafe { k.ExcludeItem(item(30).as_ptr()) }, S_OK);
    let mut excluded = k_a();
    excluded.exclude_item(&item(30)).unwrap();
    assert_eq!(*knowledge::from_com(&k, None).unwrap(), excluded);
    assert_eq!(
        unsafe { k.ExcludeChangeUnit(item(40).as_ptr(), [1u8].as_ptr()) },
        S_OK
    );
    excluded.exclude_change_unit(&item(40), &[1]).unwrap();
    assert_eq!(*knowledge::from_com(&k, None).unwrap(), excluded);
    let mut tick = 0;
    assert_eq!(
        unsafe { k.FindMinTickCountForReplica(B.as_ptr(), &mut tick) },
        S_OK
    );
    assert_eq!(tick, excluded.min_tick_for_replica(&B).unwrap());
}

#[test]
fn versions_and_remote_knowledge_map_into_the_local_key_space() {
    let a = knowledge::to_com(k_a());
    let b = knowledge::to_com(k_b());
    // B's key 1 is A; in A's key space A is 0.
    let mut owner = [0u8; 16];
    let mut size = 16;
    let mut out = version(99, 99);
    assert_eq!(
        unsafe {
            a.ConvertVersion(
                &b,
                B.as_ptr(),
                &version(1, 25),
                owner.as_mut_ptr(),
                &mut size,
                &mut out,
            )
        },
        S_OK
    );
    assert_eq!(owner, A);
    assert_eq!((out.dwLastUpdatingReplicaKey, out.ullTickCount), (0, 25));
    // The knowledge passed must be the owner's.
    assert_eq!(
        unsafe {
            a.ConvertVersion(
                &b,
                C.as_ptr(),
                &version(1, 25),
                owner.as_mut_ptr(),
                &mut size,
                &mut out,
            )
        },
        E_INVALIDARG
    );
    let mapped = unsafe { a.MapRemoteToLocal(&b) }.unwrap();
    assert_eq!(
        *knowledge::from_com(&mapped, None).unwrap(),
        k_a().map_remote_to_local(&k_b()).unwrap()
    );
    assert_eq!(
        unsafe { mapped.ContainsChange(A.as_ptr(), item(1).as_ptr(), &version(1, 30)) },
        S_OK
    );
}

#[test]
fn the_key_map_looks_up_and_adds_replicas() {
    let k = knowledge::to_com(k_a());
    let map = unsafe { k.GetReplicaKeyMap() }.unwrap();
    let mut key = 0;
    assert_eq!(unsafe { map.LookupReplicaKey(C.as_ptr(), &mut key) }, S_OK);
    assert_eq!(key, 2);
    assert_eq!(
        unsafe { map.LookupReplicaKey(D.as_ptr(), &mut key) },
        SYNC_E_REPLICA_NOT_FOUND
    );
    assert_eq!(negotiate(|b, s| unsafe { map.LookupReplicaId(1, b, s) }), B);
    let mut size = 16;
    let mut id = [0u8; 16];
    assert_eq!(
        unsafe { map.LookupReplicaId(3, id.as_mut_ptr(), &mut size) },
        SYNC_E_REPLICA_NOT_FOUND
    );
    let construct: IConstructReplicaKeyMap = map.cast().unwrap();
    assert_eq!(
        unsafe { construct.FindOrAddReplica(D.as_ptr(), &mut key) },
        S_OK
    );
    assert_eq!(key, 3);
    assert_eq!(
        unsafe { construct.FindOrAddReplica(B.as_ptr(), &mut key) },
        S_OK
    );
    assert_eq!(key, 1);
    // The knowledge's own map grew.
    let again = unsafe { k.GetReplicaKeyMap() }.unwrap();
    assert_eq!(
        unsafe { again.LookupReplicaKey(D.as_ptr(), &mut key) },
        S_OK
    );
    assert_eq!(key, 3);
    let bytes = negotiate(|b, s| unsafe { map.Serialize(b, s) });
    let (format, read) = ReplicaKeyMap::deserialize(&bytes).unwrap();
    assert_eq!(format, IdFormats::GUID_GID.replica);
    assert_eq!(read, keys(&[A, B, C, D]));
}

fn fragments_of(k: &ISyncKnowledge) -> (ICoreFragmentInspector, Vec<ICoreFragment>) {
    let inspector: ICoreFragmentInspector =
        hand_out(|riid, ppv| unsafe { k2(k).GetInspector(riid, ppv) });
    let mut batch: Vec<Option<ICoreFragment>> = (0..8).map(|_| None).collect();
    let mut fetched = 0;
    assert_eq!(
        unsafe { inspector.NextCoreFragments(8, batch.as_mut_ptr(), &mut fetched) },
        S_FALSE
    );
    let fragments = batch
        .into_iter()
        .take(fetched as usize)
        .map(Option::unwrap)
        .collect();
    (inspector, fragments)
}

#[test]
fn core_fragments_walk_columns_and_ranges_until_the_knowledge_changes() {
    let k = knowledge::to_com(k_a());
    let (inspector, fragments) = fragments_of(&k);
    let expected = k_a().fragments();
    assert_eq!(fragments.len(), expected.len());
    let mut statistics = 0;
    assert_eq!(unsafe { k2(&k).GetStatistics(0, &mut statistics) }, S_OK);
    assert_eq!(statistics as usize, k_a().range_count());
    for (fragment, want) in fragments.iter().zip(&expected) {
        let (mut columns, mut ranges) = (0, 0);
        assert_eq!(unsafe { fragment.GetColumnCount(&mut columns) }, S_OK);
        assert_eq!(unsafe { fragment.GetRangeCount(&mut ranges) }, S_OK);
        assert_eq!(
            (columns as usize, ranges as usize),
            (want.columns.len(), want.ranges.len())
        );
        for column in &want.columns {
            let mut id = [0u8; 1];
            assert_eq!(
                unsafe { fragment.NextColumn(id.as_mut_ptr(), std::ptr::null_mut()) },
                S_OK
            );
            assert_eq!(id[..], column[..]);
        }
        let mut id = [0u8; 1];
        assert_eq!(
            unsafe { fragment.NextColumn(id.as_mut_ptr(), std::ptr::null_mut()) },
            S_FALSE
        );
        for range in &want.ranges {
            // A short buffer: MORE_DATA, no vector, and the walk does not move.
            let mut short = [0u8; 4];
            let mut size = 4;
            let mut vector = None;
            assert_eq!(
                unsafe { fragment.NextRange(short.as_mut_ptr(), &mut size, &mut vector) },
                MORE_DATA
            );
            assert!(vector.is_none());
            assert_eq!(size, 24);
            let mut lower = [0u8; 24];
            assert_eq!(
                unsafe { fragment.NextRange(lower.as_mut_ptr(), &mut size, &mut vector) },
                S_OK
            );
            assert_eq!(lower[..], range.lower[..]);
            let elements: Vec<_> = range.vector.elements().collect();
            assert_eq!(elements_of(&vector.unwrap()), elements);
        }
        let mut lower = [0u8; 24];
        let mut size = 24;
        let mut vector = None;
        assert_eq!(
            unsafe { fragment.NextRange(lower.as_mut_ptr(), &mut size, &mut vector) },
            S_FALSE
        );
        assert_eq!(unsafe { fragment.Reset() }, S_OK);
    }
    // A change to the knowledge: the walks are stale.
    assert_eq!(unsafe { k.SetLocalTickCount(21) }, S_OK);
    let mut one: [Option<ICoreFragment>; 1] = [None];
    assert_eq!(
        unsafe { inspector.NextCoreFragments(1, one.as_mut_ptr(), std::ptr::null_mut()) },
        SYNC_E_INVALID_OPERATION
    );
    assert_eq!(unsafe { inspector.Reset() }, SYNC_E_INVALID_OPERATION);
    let mut lower = [0u8; 24];
    let mut size = 24;
    let mut vector = None;
    assert_eq!(
        unsafe { fragments[0].NextRange(lower.as_mut_ptr(), &mut size, &mut vector) },
        SYNC_E_INVALID_OPERATION
    );
    assert_eq!(unsafe { fragments[0].Reset() }, SYNC_E_INVALID_OPERATION);
    // A new inspector sees the new knowledge.
    let (_, fresh) = fragments_of(&k);
    assert_eq!(fresh.len(), expected.len());
}

#[test]
fn the_lowest_uncontained_id_keeps_s_false() {
    let a = k2(&knowledge::to_com(k_a()));
    let same = k2(&knowledge::to_com(k_a()));
    let mut id = [0u8; 24];
    let mut size = 24;
    assert_eq!(
        unsafe { a.GetLowestUncontainedId(&same, id.as_mut_ptr(), &mut size) },
        S_FALSE
    );
    let b = k2(&knowledge::to_com(k_b()));
    let answer = k_a().lowest_uncontained_id(&k_b()).unwrap();
    let hr = unsafe { a.GetLowestUncontainedId(&b, id.as_mut_ptr(), &mut size) };
    match answer {
        Some(want) => {
            assert_eq!(hr, S_OK);
            assert_eq!(id[..], want[..]);
        }
        None => assert_eq!(hr, S_FALSE),
    }
}

#[test]
fn cookies_compare_with_later_knowledge() {
    let k = knowledge::to_com(k_a());
    let k2 = k2(&k);
    let cookie = unsafe { k2.GetKnowledgeCookie() }.unwrap();
    let mut result = -1;
    assert_eq!(
        unsafe { k2.CompareToKnowledgeCookie(&cookie, &mut result) },
        S_OK
    );
    assert_eq!(result, KCCR_COOKIE_KNOWLEDGE_EQUAL);
    assert_eq!(unsafe { k.Union(&knowledge::to_com(k_b())) }, S_OK);
    assert_eq!(
        unsafe { k2.CompareToKnowledgeCookie(&cookie, &mut result) },
        S_OK
    );
    assert_eq!(result, KCCR_COOKIE_KNOWLEDGE_CONTAINED);
    let smaller = k2.cast::<ISyncKnowledge>().unwrap();
    let small = unsafe { smaller.ProjectOntoItem(item(1).as_ptr()) }.unwrap();
    let later = unsafe { k2.GetKnowledgeCookie() }.unwrap();
    assert_eq!(
        unsafe { self::k2(&small).CompareToKnowledgeCookie(&later, &mut result) },
        S_OK
    );
    assert_eq!(result, KCCR_COOKIE_KNOWLEDGE_CONTAINS);
    // An object that is no cookie of this runtime.
    let stranger: IUnknown = k.cast().unwrap();
    let scope: IClockVector = hand_out(|riid, ppv| unsafe { k.GetScopeVector(riid, ppv) });
    let not_ours: IUnknown = scope.cast().unwrap();
    assert_eq!(
        unsafe { k2.CompareToKnowledgeCookie(&not_ours, &mut result) },
        S_OK
    );
    assert_eq!(result, KCCR_COOKIE_KNOWLEDGE_NOT_COMPARABLE);
    drop(stranger);
    assert_eq!(
        unsafe { k2.CompareToKnowledgeCookie(&cookie, std::ptr::null_mut()) },
        E_POINTER
    );
}

#[test]
fn forgotten_knowledge_grows_by_forgetting_versions() {
    let current = knowledge::to_com(k_a());
    let forgotten = knowledge::forgotten_to_com(ForgottenKnowledge::new(&k_a()));
    assert_eq!(
        unsafe { forgotten.ForgetToVersion(&current, &version(0, 15)) },
        S_OK
    );
    let mut engine = ForgottenKnowledge::new(&k_a());
    engine
        .forget_to_version(&k_a(), Version::new(0, 15))
        .unwrap();
    let as_knowledge: ISyncKnowledge = forgotten.cast().unwrap();
    assert_eq!(
        *knowledge::from_com(&as_knowledge, None).unwrap(),
        *engine.knowledge()
    );
    // An overestimate (`forgotten-knowledge.overestimate`): every earlier version of that
    // replica counts as forgotten, for every item, whether or not its item still exists.
    for (item_n, tick) in [(0, 1), (10, 14), (200, 15)] {
        assert_eq!(
            unsafe {
                as_knowledge.ContainsChange(A.as_ptr(), item(item_n).as_ptr(), &version(0, tick))
            },
            S_OK,
            "item {item_n}, tick {tick}"
        );
    }
    assert_eq!(
        unsafe { as_knowledge.ContainsChange(A.as_ptr(), item(10).as_ptr(), &version(0, 16)) },
        S_FALSE
    );
    // Another replica's knowledge is refused.
    assert_eq!(
        unsafe { forgotten.ForgetToVersion(&knowledge::to_com(k_b()), &version(0, 15)) },
        E_INVALIDARG
    );
    // Serialized forgotten knowledge reads back as forgotten knowledge.
    let bytes = negotiate(|b, s| unsafe { as_knowledge.Serialize(true, b, s) });
    assert_eq!(
        ForgottenKnowledge::deserialize(&bytes, None).unwrap(),
        engine
    );
    let _: IForgottenKnowledge = as_knowledge.cast().unwrap();
}

#[test]
fn bad_arguments_change_nothing() {
    let k = knowledge::to_com(k_a());
    assert_ne!(unsafe { k.SetLocalTickCount(u64::MAX) }, S_OK);
    assert_eq!(*knowledge::from_com(&k, None).unwrap(), k_a());
    let mut size = 0;
    assert_eq!(unsafe { k2(&k).GetStatistics(7, &mut size) }, E_INVALIDARG);
    assert_eq!(
        unsafe { k2(&k).ProjectOntoColumnSet(std::ptr::null(), 0) }
            .unwrap_err()
            .code(),
        E_INVALIDARG
    );
    assert_eq!(unsafe { k.Union(None::<&ISyncKnowledge>) }, E_POINTER);
    assert_eq!(*knowledge::from_com(&k, None).unwrap(), k_a());
}

#[test]
fn clock_vectors_of_items_and_change_units_are_handed_out() {
    let k = knowledge::to_com(k_a());
    let for_item: IClockVector =
        hand_out(|riid, ppv| unsafe { k.FindClockVectorForItem(item(30).as_ptr(), riid, ppv) });
    assert_eq!(elements_of(&for_item), [(0, 20), (1, 9)]);
    let for_unit: IClockVector = hand_out(|riid, ppv| unsafe {
        k.FindClockVectorForChangeUnit(item(40).as_ptr(), [1u8].as_ptr(), riid, ppv)
    });
    assert_eq!(elements_of(&for_unit), [(0, 20), (1, 12)]);
    // Without an exception: the range's vector.
    let in_range: IClockVector =
        hand_out(|riid, ppv| unsafe { k.FindClockVectorForItem(item(55).as_ptr(), riid, ppv) });
    assert_eq!(elements_of(&in_range), [(0, 20), (1, 7), (2, 4)]);
    let mut raw = std::ptr::null_mut();
    assert_eq!(
        unsafe { k.FindClockVectorForItem(std::ptr::null(), &IClockVector::IID, &mut raw) },
        E_POINTER
    );
    assert!(raw.is_null());
}

#[test]
fn projection_onto_knowledge_with_a_prerequisite_matches_the_engine() {
    let a = knowledge::to_com(k_a());
    let b = knowledge::to_com(k_b());
    for (prerequisite, template, engine_prerequisite, engine_template) in [
        (&a, &b, k_a(), k_b()),
        (&b, &a, k_b(), k_a()),
        (&a, &a, k_a(), k_a()),
    ] {
        let projected =
            unsafe { k2(&a).ProjectOntoKnowledgeWithPrerequisite(prerequisite, template) }.unwrap();
        assert_eq!(
            *knowledge::from_com(&projected, None).unwrap(),
            k_a()
                .project_onto_knowledge_with_prerequisite(&engine_prerequisite, &engine_template)
                .unwrap()
        );
    }
    assert_eq!(
        unsafe { k2(&a).ProjectOntoKnowledgeWithPrerequisite(None::<&ISyncKnowledge>, &b) }
            .unwrap_err()
            .code(),
        E_POINTER
    );
}

/// Every method with a rule the knowledge objects enforce is called in these tests (this file
/// and `knowledge_foreign.rs`): a method added to `contracts.toml` without a test fails here.
#[test]
fn every_method_with_a_knowledge_rule_is_exercised() {
    use winsync::contract::Enforcement;
    let sources = concat!(
        include_str!("knowledge_com.rs"),
        include_str!("knowledge_foreign.rs")
    );
    let missing: Vec<String> = winsync::contracts::ALL
        .iter()
        .filter(|rule| rule.enforced_by == Enforcement::Knowledge)
        .filter_map(|rule| Some((rule.interface, rule.method?)))
        .filter(|(_, method)| !sources.contains(&format!(".{method}(")))
        .map(|(interface, method)| format!("{interface}::{method}"))
        .collect();
    assert!(
        missing.is_empty(),
        "methods with knowledge rules no test calls: {missing:?}"
    );
}
