//! What the change-batch tests share: two replica IDs, numbered items, versions, the source's
//! knowledge, empty and built batches, and readers of IDs and changes through the vtables.
#![allow(dead_code, clippy::unwrap_used, clippy::undocumented_unsafe_blocks)]

use std::sync::Arc;

use windows_core::{HRESULT, Interface};
use winsync::bindings::{
    E_POINTER, ISyncChange, ISyncChangeBatch, ISyncChangeBatchBase, ISyncKnowledge, S_FALSE, S_OK,
    SYNC_VERSION,
};
use winsync::engine::batch::ChangeBatch;
use winsync::engine::{IdFormats, Knowledge};
use winsync::framework::batch;
use winsync::framework::knowledge::{self, MORE_DATA};

pub const A: [u8; 16] = [0xA; 16];
pub const B: [u8; 16] = [0xB; 16];

pub fn item(n: u8) -> [u8; 24] {
    let mut id = [0; 24];
    id[0] = n;
    id
}

pub fn v(key: u32, tick: u64) -> SYNC_VERSION {
    SYNC_VERSION {
        dwLastUpdatingReplicaKey: key,
        ullTickCount: tick,
    }
}

pub fn source_knowledge() -> Knowledge {
    let mut k = Knowledge::new(IdFormats::GUID_GID, &A).unwrap();
    k.set_local_tick_count(10).unwrap();
    k
}

pub fn empty_batch() -> ISyncChangeBatch {
    let prerequisite = Arc::new(Knowledge::new(IdFormats::GUID_GID, &B).unwrap());
    batch::to_com(ChangeBatch::new(IdFormats::GUID_GID, &A, prerequisite, None).unwrap())
        .cast()
        .unwrap()
}

pub fn made_with() -> ISyncKnowledge {
    knowledge::to_com(source_knowledge())
}

/// A closed batch: items 1 (with change unit 7) and 3 in an ordered group [0, 9].
pub fn built() -> ISyncChangeBatch {
    let b = empty_batch();
    unsafe {
        assert_eq!(b.BeginOrderedGroup(std::ptr::null()), S_OK);
        let builder = b
            .AddItemMetadataToGroup(A.as_ptr(), item(1).as_ptr(), &v(0, 5), &v(0, 1), 0, 3)
            .unwrap();
        assert_eq!(
            builder.AddChangeUnitMetadata([7u8].as_ptr(), &v(0, 5)),
            S_OK
        );
        b.AddItemMetadataToGroup(A.as_ptr(), item(3).as_ptr(), &v(0, 6), &v(0, 6), 0, 0)
            .unwrap();
        assert_eq!(b.EndOrderedGroup(item(9).as_ptr(), &made_with()), S_OK);
    }
    b
}

pub fn read_id(call: impl Fn(*mut u8, *mut u32) -> HRESULT) -> Vec<u8> {
    let mut size = 0u32;
    assert_eq!(call(std::ptr::null_mut(), &mut size), MORE_DATA);
    let mut buffer = vec![0u8; size as usize];
    assert_eq!(call(buffer.as_mut_ptr(), &mut size), S_OK);
    assert_eq!(call(buffer.as_mut_ptr(), std::ptr::null_mut()), E_POINTER);
    buffer
}

pub fn changes_of(b: &ISyncChangeBatchBase) -> Vec<ISyncChange> {
    let list = unsafe { b.GetChangeEnumerator() }.unwrap();
    let mut out = Vec::new();
    loop {
        let mut one: [Option<ISyncChange>; 1] = [None];
        let mut fetched = 9;
        let hr = unsafe { list.Next(1, one.as_mut_ptr(), &mut fetched) };
        if hr == S_FALSE {
            assert_eq!(fetched, 0);
            break;
        }
        assert_eq!((hr, fetched), (S_OK, 1));
        out.push(one[0].take().unwrap());
    }
    out
}
