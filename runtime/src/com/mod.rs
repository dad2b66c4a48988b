//! COM plumbing both families share: the checked conversions at the ABI boundary ([`abi`]) and
//! the count of live objects behind a DLL's `DllCanUnloadNow` ([`object_count`]).

pub mod abi;
pub mod object_count;
