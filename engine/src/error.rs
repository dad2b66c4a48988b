//! What the engine's operations refuse, each variant tied to the `SYNC_E_*` (or standard)
//! HRESULT the COM faces answer with.

use thiserror::Error;

/// An engine error. [`Error::code`] gives the HRESULT a COM face answers for it.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum Error {
    /// An ID does not have the length or shape its format declares
    /// (`SYNC_E_ID_FORMAT_MISMATCH`, `0x80041000`).
    #[error("{what} does not match its ID format: {detail}")]
    IdFormatMismatch {
        /// Which ID: "replica ID", "item ID", "change unit ID".
        what: &'static str,
        /// What is wrong, e.g. "20 bytes, the format is fixed at 24".
        detail: String,
    },
    /// Two knowledges (or a knowledge and an argument) use different ID formats
    /// (`SYNC_E_ID_FORMAT_MISMATCH`).
    #[error("the ID formats differ: {0}")]
    FormatsDiffer(String),
    /// No replica with that key or ID in the key map (`SYNC_E_REPLICA_NOT_FOUND`,
    /// `0x80041002`).
    #[error("no replica {0} in the replica key map")]
    ReplicaNotFound(String),
    /// Serialized input that is not valid (`SYNC_E_DESERIALIZATION`, `0x8004100C`), with the
    /// byte offset where reading stopped.
    #[error("invalid serialized knowledge at byte {offset}: {reason}")]
    Deserialization {
        /// Byte offset of the problem.
        offset: usize,
        /// What is wrong.
        reason: String,
    },
    /// A serialization version the engine cannot write or read, or one that cannot express the
    /// knowledge (`SYNC_E_INVALID_VERSION`, `0x80041015`, for writing;
    /// `SYNC_E_INVALID_SERIALIZATION_VERSION`, `0x80041023`, for reading).
    #[error("serialization version {version}: {reason}")]
    InvalidVersion {
        /// The `SYNC_SERIALIZATION_VERSION` value asked for or found.
        version: u32,
        /// Why it cannot be used.
        reason: &'static str,
        /// Whether the version was read from serialized data (else asked for by a writer).
        reading: bool,
    },
    /// Forgetting a version would make forgotten knowledge know more than the replica's
    /// current knowledge (`SYNC_E_FORGOTTEN_KNOWLEDGE_NOT_CONTAINED`, `0x80041025`).
    #[error("the forgotten knowledge would not be contained in the current knowledge")]
    ForgottenNotContained,
    /// A tick count the engine cannot represent: `u64::MAX` (`E_INVALIDARG`).
    #[error("tick count {0} is out of range (the largest is u64::MAX - 1)")]
    TickOutOfRange(u64),
    /// An argument the operation does not accept (`E_INVALIDARG`).
    #[error("{0}")]
    InvalidArgument(String),
    /// A call the object's state does not allow now: a group not open or still open, an empty
    /// group already added, learned knowledge asked of a batch with an open group
    /// (`SYNC_E_INVALID_OPERATION`, `0x80041001`).
    #[error("invalid operation: {0}")]
    InvalidOperation(String),
    /// An ID below the previous one in an ordered group, or a bound out of order
    /// (`SYNC_E_RANGE_OUT_OF_ORDER`, `0x8004100A`).
    #[error("out of order: {0}")]
    RangeOutOfOrder(String),
    /// A change added to a batch that was handed on, or a second group in a full-enumeration
    /// batch (`SYNC_E_CHANGE_BATCH_IS_READ_ONLY`, `0x8004101E`).
    #[error("the change batch is read-only: {0}")]
    ReadOnly(String),
    /// A change without made-with knowledge, or not in an ended group
    /// (`SYNC_E_CHANGE_NEEDS_KNOWLEDGE`, `0x80041009`).
    #[error("the change has no knowledge: {0}")]
    ChangeNeedsKnowledge(String),
    /// A change whose versions its own made-with knowledge does not contain
    /// (`SYNC_E_CHANGE_NOT_IN_KNOWLEDGE`, `0x80041006`).
    #[error("the change is not in its knowledge: {0}")]
    ChangeNotInKnowledge(String),
    /// The change is described by change units: ask them, not the item
    /// (`SYNC_E_ITEM_HAS_CHANGE_UNITS`, `0x8004100E`).
    #[error("the item change has change units: {0}")]
    ItemHasChangeUnits(String),
    /// The change has no change units (`SYNC_E_ITEM_HAS_NO_CHANGE_UNITS`, `0x8004100F`).
    #[error("the item change has no change units: {0}")]
    ItemHasNoChangeUnits(String),
    /// Knowledge that would decrease (`SYNC_E_KNOWLEDGE_DECREASED`, `0x80041005`).
    #[error("the knowledge would decrease: {0}")]
    KnowledgeDecreased(String),
}

/// `SYNC_E_ID_FORMAT_MISMATCH`.
pub const SYNC_E_ID_FORMAT_MISMATCH: i32 = 0x8004_1000_u32 as i32;
/// `SYNC_E_REPLICA_NOT_FOUND`.
pub const SYNC_E_REPLICA_NOT_FOUND: i32 = 0x8004_1002_u32 as i32;
/// `SYNC_E_DESERIALIZATION`.
pub const SYNC_E_DESERIALIZATION: i32 = 0x8004_100C_u32 as i32;
/// `SYNC_E_INVALID_VERSION`.
pub const SYNC_E_INVALID_VERSION: i32 = 0x8004_1015_u32 as i32;
/// `SYNC_E_INVALID_SERIALIZATION_VERSION`.
pub const SYNC_E_INVALID_SERIALIZATION_VERSION: i32 = 0x8004_1023_u32 as i32;
/// `SYNC_E_FORGOTTEN_KNOWLEDGE_NOT_CONTAINED`.
pub const SYNC_E_FORGOTTEN_KNOWLEDGE_NOT_CONTAINED: i32 = 0x8004_1025_u32 as i32;
/// `E_INVALIDARG`.
pub const E_INVALIDARG: i32 = 0x8007_0057_u32 as i32;
/// `SYNC_E_INVALID_OPERATION`.
pub const SYNC_E_INVALID_OPERATION: i32 = 0x8004_1001_u32 as i32;
/// `SYNC_E_KNOWLEDGE_DECREASED`.
pub const SYNC_E_KNOWLEDGE_DECREASED: i32 = 0x8004_1005_u32 as i32;
/// `SYNC_E_CHANGE_NOT_IN_KNOWLEDGE`.
pub const SYNC_E_CHANGE_NOT_IN_KNOWLEDGE: i32 = 0x8004_1006_u32 as i32;
/// `SYNC_E_CHANGE_NEEDS_KNOWLEDGE`.
pub const SYNC_E_CHANGE_NEEDS_KNOWLEDGE: i32 = 0x8004_1009_u32 as i32;
/// `SYNC_E_RANGE_OUT_OF_ORDER`.
pub const SYNC_E_RANGE_OUT_OF_ORDER: i32 = 0x8004_100A_u32 as i32;
/// `SYNC_E_ITEM_HAS_CHANGE_UNITS`.
pub const SYNC_E_ITEM_HAS_CHANGE_UNITS: i32 = 0x8004_100E_u32 as i32;
/// `SYNC_E_ITEM_HAS_NO_CHANGE_UNITS`.
pub const SYNC_E_ITEM_HAS_NO_CHANGE_UNITS: i32 = 0x8004_100F_u32 as i32;
/// `SYNC_E_CHANGE_BATCH_IS_READ_ONLY`.
pub const SYNC_E_CHANGE_BATCH_IS_READ_ONLY: i32 = 0x8004_101E_u32 as i32;

impl Error {
    /// The HRESULT a COM face answers for this error (values of `synchronizationerrors.h` and
    /// `winerror.h`).
    pub fn code(&self) -> i32 {
        match self {
            Self::IdFormatMismatch { .. } | Self::FormatsDiffer(_) => SYNC_E_ID_FORMAT_MISMATCH,
            Self::ReplicaNotFound(_) => SYNC_E_REPLICA_NOT_FOUND,
            Self::Deserialization { .. } => SYNC_E_DESERIALIZATION,
            Self::InvalidVersion { reading: false, .. } => SYNC_E_INVALID_VERSION,
            Self::InvalidVersion { reading: true, .. } => SYNC_E_INVALID_SERIALIZATION_VERSION,
            Self::ForgottenNotContained => SYNC_E_FORGOTTEN_KNOWLEDGE_NOT_CONTAINED,
            Self::TickOutOfRange(_) | Self::InvalidArgument(_) => E_INVALIDARG,
            Self::InvalidOperation(_) => SYNC_E_INVALID_OPERATION,
            Self::RangeOutOfOrder(_) => SYNC_E_RANGE_OUT_OF_ORDER,
            Self::ReadOnly(_) => SYNC_E_CHANGE_BATCH_IS_READ_ONLY,
            Self::ChangeNeedsKnowledge(_) => SYNC_E_CHANGE_NEEDS_KNOWLEDGE,
            Self::ChangeNotInKnowledge(_) => SYNC_E_CHANGE_NOT_IN_KNOWLEDGE,
            Self::ItemHasChangeUnits(_) => SYNC_E_ITEM_HAS_CHANGE_UNITS,
            Self::ItemHasNoChangeUnits(_) => SYNC_E_ITEM_HAS_NO_CHANGE_UNITS,
            Self::KnowledgeDecreased(_) => SYNC_E_KNOWLEDGE_DECREASED,
        }
    }
}

/// A `Result` with the engine's [`Error`](enum@Error).
pub type Result<T, E = Error> = std::result::Result<T, E>;
