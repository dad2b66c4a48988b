//! A handler skeleton from this crate's own generated selection.

winsync::include_generated!(skeletons);

use generated::skeletons::SyncMgrHandler;

/// A handler implementing the generated trait.
pub struct Handler;

impl SyncMgrHandler for Handler {
    fn get_name(&self) -> windows_core::Result<String> {
        Ok("generated".into())
    }
    fn synchronize(
        &self,
        _item_ids: &[String],
        _owner: generated::bindings::HWND,
        _creator: &generated::bindings::ISyncMgrSessionCreator,
        _punk: Option<&windows_core::IUnknown>,
    ) -> windows_core::Result<()> {
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_generated_trait_is_usable() {
        assert_eq!(Handler.get_name().unwrap(), "generated");
    }
}
