//! COM plumbing both families share: the checked conversions at the ABI boundary ([`abi`]) and
//! the count of live objects behind a DLL's `DllCanUnloadNow` ([`object_count`]).

pub mod abi;
pub mod object_count;

/// The layout revision of a pointer this crate's objects hand each other through a private
/// interface (the knowledge objects' engine knowledge, the batches' engine batch, the data
/// retrievers' loader): the crate version folded with `salt` (FNV-1a). A different build of
/// this crate in the same process gets another revision, is answered `E_NOINTERFACE`, and is
/// read through the public interfaces instead.
pub(crate) const fn layout_revision(salt: u32) -> u32 {
    let bytes = env!("CARGO_PKG_VERSION").as_bytes();
    let mut hash: u32 = 0x811c_9dc5 ^ salt;
    let mut i = 0;
    while i < bytes.len() {
        hash = (hash ^ bytes[i] as u32).wrapping_mul(0x0100_0193);
        i += 1;
    }
    hash
}
