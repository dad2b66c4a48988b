//! The session's bounded wide strings: ids and progress texts checked against Sync Center's
//! limits and converted on the stack, without allocating.

use super::*;

/// Item ids as Sync Center takes them: at most `MAX_SYNCMGR_ID` units, NUL included.
pub(super) const ID_UNITS: usize = MAX_SYNCMGR_ID as usize;
/// Progress texts as Sync Center takes them: at most `MAX_SYNCMGR_PROGRESSTEXT` units, NUL
/// included.
pub(super) const TEXT_UNITS: usize = MAX_SYNCMGR_PROGRESSTEXT as usize;

/// A NUL-terminated wide string of at most `N` units (NUL included) on the stack: the bounded
/// strings of a report cost no allocation. Only the units up to the NUL are written; nothing
/// reads past it.
pub(super) struct WideBuf<const N: usize>([MaybeUninit<u16>; N]);

impl<const N: usize> WideBuf<N> {
    /// Copies `text`, checked against the bound and for NUL.
    pub(super) fn new(text: &str, rule: &Rule, what: &str) -> Result<Self> {
        let mut buffer = Self::uninit();
        buffer.fill(text, rule, what)?;
        Ok(buffer)
    }

    /// A buffer to [`fill`](Self::fill) in place (the hot path: no move of the array).
    pub(super) fn uninit() -> Self {
        Self([const { MaybeUninit::<u16>::uninit() }; N])
    }

    /// Copies `text` in, checked against the bound and for NUL.
    pub(super) fn fill(&mut self, text: &str, rule: &Rule, what: &str) -> Result<()> {
        let buffer = &mut self.0;
        let bytes = text.as_bytes();
        // The usual case, ASCII without NUL that fits: one unit per byte (1..=0x7F), loops the
        // compiler vectorizes.
        if bytes.len() < N && bytes.iter().all(|&b| b.wrapping_sub(1) < 0x7F) {
            for (unit, &byte) in buffer.iter_mut().zip(bytes) {
                unit.write(u16::from(byte));
            }
            buffer[bytes.len()].write(0);
            return Ok(());
        }
        let mut len = 0;
        for unit in text.encode_utf16() {
            if unit == 0 {
                return Err(refused(
                    E_INVALIDARG,
                    rule,
                    format_args!("{what} contains NUL"),
                ));
            }
            if len == N - 1 {
                return Err(refused(
                    E_INVALIDARG,
                    rule,
                    format_args!(
                        "{what} is {} UTF-16 units long, at most {}",
                        text.encode_utf16().count(),
                        N - 1
                    ),
                ));
            }
            buffer[len].write(unit);
            len += 1;
        }
        buffer[len].write(0);
        Ok(())
    }

    /// The string, NUL-terminated, for the duration of a call.
    pub(super) fn as_pcwstr(&self) -> PCWSTR {
        PCWSTR(self.0.as_ptr().cast())
    }
}

/// A checked item id for a call whose length rule is `rule`.
pub(super) fn checked_id(id: &str, rule: &Rule) -> Result<WideBuf<ID_UNITS>> {
    WideBuf::new(id, rule, "the item id")
}
