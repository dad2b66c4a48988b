//! Knowledge as COM: the engine's [`Knowledge`](winsync_engine::Knowledge) behind
//! `ISyncKnowledge`, `ISyncKnowledge2` and `IForgottenKnowledge`, with the objects those hand
//! out: replica key maps, clock vectors and their elements, range, single-item and change-unit
//! exceptions, core fragments, knowledge cookies.
//!
//! `NN:winsync.ISyncKnowledge` leaves knowledge to the provider ("a provider built on
//! winsync.h implements it itself"); this module is that implementation. The algorithms are
//! the engine's (`winsync-engine`, plain Rust); these objects read the raw arguments in the
//! knowledge's ID formats, answer the pages' HRESULTs and keep every COM rule the headers
//! state: `[out]` pointers NULL on failure (the bindings null them first), S_FALSE kept where
//! it is an answer, `HRESULT_FROM_WIN32(ERROR_MORE_DATA)` ([`wire::MORE_DATA`]) with the size
//! needed for a buffer too small or NULL. The rules, with their page UIDs, are in
//! `CONTRACTS.md` under "the runtime's knowledge objects".
//!
//! ```no_run
//! # fn main() -> windows_core::Result<()> {
//! use winsync::framework::knowledge;
//! use winsync::engine::{IdFormat, IdFormats, Knowledge};
//!
//! let formats = IdFormats {
//!     replica: IdFormat::fixed(16),
//!     item: IdFormat::fixed(16),
//!     change_unit: IdFormat::fixed(4),
//! };
//! let mut mine = Knowledge::new(formats, &[1; 16]).expect("valid formats");
//! mine.set_local_tick_count(42).expect("a tick below u64::MAX");
//! let com = knowledge::to_com(mine); // ISyncKnowledge for a session
//! let back = knowledge::from_com(&com, Some(&formats))?; // the same engine knowledge
//! assert_eq!(back.owner(), &[1; 16]);
//! # Ok(()) }
//! ```
//!
//! Decisions where the pages are silent or disagree:
//!
//! - **Which knowledge is "ours".** Objects of this runtime recognize each other through a
//!   private interface and share the engine knowledge without copying; any other
//!   `ISyncKnowledge` is read through its public interfaces ([`foreign`]), in the ID formats it
//!   reports through `ISyncKnowledge2` (or the caller's, without it).
//! - **Key spaces.** Versions given to `ContainsChange` and `ContainsChangeUnit` must belong to
//!   the knowledge's owner (their keys are in its map): other owners' versions are refused with
//!   `E_INVALIDARG` and go through `ConvertVersion` first (`NF:winsync.ISyncKnowledge.ConvertVersion`).
//!   Operations combining two knowledge objects align their key maps by replica ID.
//! - **Clock vectors handed out by `riid`.** The exceptions' `GetClockVector` pages name
//!   `IID_IEnumClockVector` while describing a clock vector: both `IID_IClockVector` and
//!   `IID_IEnumClockVector` are answered ([`vectors::hand_out_vector`]).
//! - **Cookies** (`NF:winsync.ISyncKnowledge2.GetKnowledgeCookie`) are snapshots; comparing a
//!   cookie another implementation made answers `KCCR_COOKIE_KNOWLEDGE_NOT_COMPARABLE`.
//! - **Byte formats** of `Serialize` and `IReplicaKeyMap::Serialize` are the engine's own
//!   (Microsoft does not publish its runtime's).
//!
//! Concurrency: a knowledge object may be called from any thread. Each method works on the
//! knowledge as it was when the method started; a change replaces the knowledge whole, so a
//! failed change leaves it as it was, and moves a generation that makes existing core
//! fragments and inspectors answer `SYNC_E_INVALID_OPERATION`.

pub mod enumerate;
pub mod exceptions;
pub mod foreign;
pub mod fragments;
pub mod keymap;
pub mod object;
pub mod vectors;
pub mod wire;

pub use object::{
    CookieObject, ForgottenObject, KnowledgeObject, forgotten_to_com, from_com, new_object, to_com,
};
pub use wire::{MORE_DATA, formats_of, id_parameters};
