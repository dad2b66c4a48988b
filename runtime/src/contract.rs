//! The shape of a contract rule, as the generated `contracts` module lists them.

/// Where the project enforces a rule.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Enforcement {
    /// The generated ABI adapters (argument conversion before user code runs).
    Adapter,
    /// The `#[derive(SyncProvider)]` glue.
    Provider,
    /// The checked ISyncSessionState host object.
    SessionState,
    /// The `#[derive(SyncCallback)]` glue.
    Callback,
    /// The `#[derive(SyncMgrHandler)]` glue.
    Handler,
    /// The checked wrapper over ISyncMgrSyncCallback given to `synchronize`.
    SyncmgrSession,
    /// The checking Sync Center test double.
    SyncCenterDouble,
    /// The `SyncItems` list of a container handler's items ([`crate::sync_center::items`]).
    SyncItems,
    /// The knowledge objects of [`crate::framework::knowledge`].
    Knowledge,
    /// The change-batch objects of [`crate::framework::batch`] and the change application of
    /// [`crate::framework::replica`].
    Batch,
    /// The provider built on the engine, [`crate::framework::replica::ReplicaProvider`].
    Replica,
    /// The session driver, [`crate::framework::driver`].
    Driver,
    /// The checked handler collection, [`crate::sync_center::collection`].
    HandlerCollection,
    /// The Sync Center objects of [`crate::sync_center::objects`] (typed `GetObject` answers),
    /// [`crate::sync_center::ui`] (UI operations), [`crate::sync_center::events`] and
    /// [`crate::sync_center::conflicts`] (event and conflict lists and stores).
    SyncCenterObjects,
    /// The checked client of Sync Center's `ISyncMgrControl`,
    /// [`crate::sync_center::control::SyncCenterControl`].
    SyncCenterControl,
    /// Stated in the skeleton docs only.
    Documented,
}

/// One rule of a session contract, from `metadata/contracts.toml`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Rule {
    /// Unique id, e.g. `provider.end-session.without-begin`.
    pub id: &'static str,
    /// The interface, by its Windows name.
    pub interface: &'static str,
    /// The method, by its Windows name.
    pub method: Option<&'static str>,
    /// The parameter, by its metadata name.
    pub param: Option<&'static str>,
    /// Enum value names the rule is about.
    pub values: &'static [&'static str],
    /// The HRESULT the rule requires, by name.
    pub returns: Option<&'static str>,
    /// Where the project enforces it.
    pub enforced_by: Enforcement,
    /// The Microsoft page's UID, e.g. `NF:winsync.IKnowledgeSyncProvider.EndSession`.
    pub source: &'static str,
    /// The rule, in the page's terms.
    pub text: &'static str,
}

impl std::fmt::Display for Rule {
    /// `id: text (source)`.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: {} ({})", self.id, self.text, self.source)
    }
}

/// The rule of the default contracts with this id.
pub fn rule(id: &str) -> Option<&'static Rule> {
    crate::contracts::ALL.iter().find(|rule| rule.id == id)
}
