//! What `DllRegisterServer` writes and `DllUnregisterServer` removes for the classes of a Sync
//! Center handler DLL: the plan ([`class_values`], [`class_keys`], the same on every platform)
//! and, on Windows, the registry writes ([`register_classes`], [`unregister_classes`]).
//!
//! # How Sync Center finds a handler DLL
//! Sync Center (Windows Vista and later, `syncmgr.h`) finds handlers through **handler
//! collections**: it lists the subkeys of
//! `HKEY_LOCAL_MACHINE\Software\Microsoft\Windows\CurrentVersion\SyncMgr\HandlerCollections`
//! ([`SYNC_CENTER_HANDLER_COLLECTIONS_KEY`]), one per collection CLSID, creates each
//! collection class with COM, enumerates its handler ids (`GetHandlerEnumerator`, an
//! `IEnumString`) and binds each id to a handler (`BindToHandler(id, IID_ISyncMgrHandler)`);
//! then it reads each handler's name, info and items and synchronizes it
//! ([`crate::sync_center::collection`]). The sources:
//!
//! - the Windows SDK sample handler, the only working handler Microsoft publishes for this
//!   Sync Center (`microsoft/Windows-classic-samples`,
//!   `Samples/Win7Samples/netds/synccenter/synchandler`): its `SelfReg.inf` writes
//!   `HKLM\Software\Microsoft\Windows\CurrentVersion\SyncMgr\HandlerCollections\{collection
//!   CLSID}` (default value the collection's name, `DefaultIcon` a `REG_EXPAND_SZ` icon
//!   location) and the COM classes under `HKEY_CLASSES_ROOT\CLSID` with `InProcServer32` and a
//!   `ThreadingModel`, and nothing under `SyncMgr\Handlers`; its class factory
//!   (`ClassFactory.cpp`) creates the collection, and its handlers are made by the
//!   collection's `BindToHandler` (`MyDeviceHandlerCollection.cpp`);
//! - `NN:syncmgr.ISyncMgrHandlerCollection`: "Sync Center uses the handler collection to
//!   request instantiation of individual sync handlers"; `NF:syncmgr.ISyncMgrHandlerCollection.GetHandlerEnumerator`
//!   and `NF:syncmgr.ISyncMgrHandlerCollection.BindToHandler`;
//!   `NF:syncmgr.ISyncMgrControl.UpdateHandlerCollection` names a collection by its CLSID.
//!
//! # What is written
//! For every class of the DLL ([`ClassRegistration`]), under the [`Scope`]'s root:
//! `Software\Classes\CLSID\{clsid}` ([`class_key`]), default value the class's name;
//! `InprocServer32`, default value the DLL's path, and its `ThreadingModel` value
//! [`THREADING_MODEL`] (the `InprocServer32` registry page,
//! <https://learn.microsoft.com/windows/win32/com/inprocserver32>). With
//! [`Scope::CurrentUser`] Windows merges the class into `HKEY_CLASSES_ROOT` for that user
//! only; with [`Scope::LocalMachine`] (an elevated `regsvr32`) for every user, which is where
//! the sample's `HKCR` lines land when its installer runs elevated.
//!
//! For a collection class ([`ClassKind::Collection`]), with [`Scope::LocalMachine`] only:
//! `HKEY_LOCAL_MACHINE\Software\Microsoft\Windows\CurrentVersion\SyncMgr\HandlerCollections\{clsid}`
//! ([`collection_key`]), default value the collection's name, and, when the class has an
//! [`Icon`], `DefaultIcon`'s default value the icon location (`REG_EXPAND_SZ`). **This key is
//! per machine only**: the sample writes it under `HKLM`, and no page names a per-user
//! place, so with [`Scope::CurrentUser`] the classes are registered for the user but Sync
//! Center does not find the collection.
//!
//! # What is not written: `SyncMgr\Handlers`
//! `HKLM\Software\Microsoft\Windows\CurrentVersion\SyncMgr\Handlers\{clsid}`
//! ([`LEGACY_HANDLERS_KEY`]) lists handlers of the pre-Vista Synchronization Manager
//! (`mobsync.exe`, `ISyncMgrSynchronize`): its sources are `NN:mobsync.ISyncMgrRegister` and
//! Microsoft support article 292442, both about that interface. A class listed there is asked
//! for `ISyncMgrSynchronize`, which a handler made with this crate does not implement
//! (`NF:syncmgr.ISyncMgrHandlerCollection.BindToHandler`: Sync Center falls back to
//! `IID_ISyncMgrSynchronize` for older handlers). So nothing is written there; unregistration
//! still deletes `Handlers\{clsid}` for the DLL's own CLSIDs with [`Scope::LocalMachine`],
//! where winsync 0.1 wrote it ([`legacy_keys`]).
//!
//! # What is removed
//! [`unregister_classes`] deletes exactly the keys of [`class_keys`] (each with everything
//! under it) and the [`legacy_keys`]; their parents (`CLSID`, `HandlerCollections`) stay.
//!
//! Wine (8.0) does not merge `HKEY_CURRENT_USER\Software\Classes` into what COM reads: there,
//! `CoCreateInstance` finds only classes registered with [`Scope::LocalMachine`].

use windows_core::GUID;

#[cfg(any(windows, doc))]
mod windows;

#[cfg(any(windows, doc))]
pub use windows::{
    classes_registered, is_registered, module_path, register_classes, register_server,
    unregister_classes, unregister_server,
};

/// The `ThreadingModel` every class is registered with: `Both`. The objects may be called from
/// any apartment without marshaling: derived handlers and collections are `Send + Sync`
/// ([`crate::sync_center::handler::DerivedHandler`], [`crate::sync_center::collection`]), the
/// class factory holds a function pointer, and the counts are atomic; and Sync Center makes a
/// handler instance on one thread to read its properties and another on a separate thread to
/// synchronize (`NN:syncmgr.ISyncMgrHandler`). With `Apartment` (the SDK sample's value), a
/// caller in the multithreaded apartment would get a proxy, which needs a registered
/// proxy/stub for the interface. (The values are those of the `InprocServer32` registry page,
/// <https://learn.microsoft.com/windows/win32/com/inprocserver32>.)
pub const THREADING_MODEL: &str = "Both";

/// The key under `HKEY_LOCAL_MACHINE` whose subkeys, one per collection CLSID, are the handler
/// collections Sync Center loads (the SDK sample's `SelfReg.inf`; see the module docs).
pub const SYNC_CENTER_HANDLER_COLLECTIONS_KEY: &str =
    r"Software\Microsoft\Windows\CurrentVersion\SyncMgr\HandlerCollections";

/// The pre-Vista Synchronization Manager's list of `ISyncMgrSynchronize` handlers, under
/// `HKEY_LOCAL_MACHINE`: never written; a DLL's own CLSIDs are deleted from it on
/// unregistration (see the module docs).
pub const LEGACY_HANDLERS_KEY: &str = r"Software\Microsoft\Windows\CurrentVersion\SyncMgr\Handlers";

/// Where the classes are registered.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub enum Scope {
    /// `HKEY_CURRENT_USER\Software\Classes`: the current user only, no administrator rights;
    /// Sync Center does not find a collection registered this way (see the module docs).
    #[default]
    CurrentUser,
    /// `HKEY_LOCAL_MACHINE\Software\Classes` and Sync Center's handler collections: every
    /// user; writing needs administrator rights.
    LocalMachine,
}

impl Scope {
    /// The predefined key's name: `HKEY_CURRENT_USER` or `HKEY_LOCAL_MACHINE`.
    pub fn root_name(self) -> &'static str {
        match self {
            Self::CurrentUser => "HKEY_CURRENT_USER",
            Self::LocalMachine => "HKEY_LOCAL_MACHINE",
        }
    }
}

/// Where Sync Center finds a collection's icon: the `DefaultIcon` value of its
/// `HandlerCollections` key, an icon location (`path,index`; a negative index is a resource
/// id) written as `REG_EXPAND_SZ`, so that it may hold `%SystemRoot%` and the like.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Icon {
    /// An icon of the DLL itself: `<DLL path>,<index>`, the SDK sample's form
    /// (`%_SYS_MOD_PATH%,-50`: the resource with id 50).
    Module(i32),
    /// A location written as given, such as `%SystemRoot%\system32\shell32.dll,0`.
    Location(&'static str),
}

impl Icon {
    /// The value written for the DLL at `dll_path`.
    pub fn location(self, dll_path: &str) -> String {
        match self {
            Self::Module(index) => format!("{dll_path},{index}"),
            Self::Location(location) => location.to_string(),
        }
    }
}

/// What a class of the DLL is, for registration.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ClassKind {
    /// A handler class (`ISyncMgrHandler`), or any other object of the DLL: the COM class
    /// only. Sync Center reaches handlers through a collection, not through their class.
    Handler,
    /// A handler collection (`ISyncMgrHandlerCollection`): the COM class and, per machine,
    /// Sync Center's `HandlerCollections` key with the icon, if any.
    Collection {
        /// `DefaultIcon`; none is written when `None`.
        icon: Option<Icon>,
    },
}

/// One class of a DLL as registration sees it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct ClassRegistration<'a> {
    /// The CLSID.
    pub clsid: GUID,
    /// The default value of the class key and, for a collection, of its `HandlerCollections`
    /// key (the name Sync Center shows for the collection).
    pub name: &'a str,
    /// Handler or collection.
    pub kind: ClassKind,
}

/// `{XXXXXXXX-XXXX-XXXX-XXXX-XXXXXXXXXXXX}`: a CLSID as the registry spells it (upper case,
/// with braces).
pub fn clsid_string(clsid: &GUID) -> String {
    let d4 = clsid.data4;
    format!(
        "{{{:08X}-{:04X}-{:04X}-{:02X}{:02X}-{:02X}{:02X}{:02X}{:02X}{:02X}{:02X}}}",
        clsid.data1,
        clsid.data2,
        clsid.data3,
        d4[0],
        d4[1],
        d4[2],
        d4[3],
        d4[4],
        d4[5],
        d4[6],
        d4[7]
    )
}

/// The class key, under the [`Scope`]'s root: `Software\Classes\CLSID\{clsid}`.
pub fn class_key(clsid: &GUID) -> String {
    format!(r"Software\Classes\CLSID\{}", clsid_string(clsid))
}

/// A collection's key, under `HKEY_LOCAL_MACHINE`:
/// `Software\Microsoft\Windows\CurrentVersion\SyncMgr\HandlerCollections\{clsid}`.
pub fn collection_key(clsid: &GUID) -> String {
    format!(
        r"{SYNC_CENTER_HANDLER_COLLECTIONS_KEY}\{}",
        clsid_string(clsid)
    )
}

/// The key the pre-Vista Synchronization Manager reads for `clsid`, under
/// `HKEY_LOCAL_MACHINE` (never written; see the module docs).
pub fn legacy_handler_key(clsid: &GUID) -> String {
    format!(r"{LEGACY_HANDLERS_KEY}\{}", clsid_string(clsid))
}

/// The type of a [`RegistryValue`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ValueKind {
    /// `REG_SZ`.
    String,
    /// `REG_EXPAND_SZ`: environment variables such as `%SystemRoot%` are expanded on reading.
    ExpandString,
}

/// One registry value [`register_classes`] writes, under the [`Scope`]'s root.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RegistryValue {
    /// The key, relative to the root; created when missing.
    pub key: String,
    /// The value's name; `None` for the key's default value.
    pub name: Option<&'static str>,
    /// The string written.
    pub data: String,
    /// Its type.
    pub kind: ValueKind,
}

impl RegistryValue {
    fn string(key: impl Into<String>, name: Option<&'static str>, data: impl Into<String>) -> Self {
        Self {
            key: key.into(),
            name,
            data: data.into(),
            kind: ValueKind::String,
        }
    }
}

/// Every value [`register_classes`] writes for `classes`, served by the DLL at `dll_path`, in
/// `scope`, in the order written (see the module docs).
pub fn class_values(
    classes: &[ClassRegistration<'_>],
    dll_path: &str,
    scope: Scope,
) -> Vec<RegistryValue> {
    let mut values = Vec::new();
    for class in classes {
        let key = class_key(&class.clsid);
        let server = format!(r"{key}\InprocServer32");
        values.push(RegistryValue::string(key, None, class.name));
        values.push(RegistryValue::string(server.clone(), None, dll_path));
        values.push(RegistryValue::string(
            server,
            Some("ThreadingModel"),
            THREADING_MODEL,
        ));
    }
    if scope == Scope::LocalMachine {
        for class in classes {
            let ClassKind::Collection { icon } = class.kind else {
                continue;
            };
            let key = collection_key(&class.clsid);
            values.push(RegistryValue::string(key.clone(), None, class.name));
            if let Some(icon) = icon {
                values.push(RegistryValue {
                    key: format!(r"{key}\DefaultIcon"),
                    name: None,
                    data: icon.location(dll_path),
                    kind: ValueKind::ExpandString,
                });
            }
        }
    }
    values
}

/// The keys [`register_classes`] creates for `classes` in `scope` and [`unregister_classes`]
/// deletes, each with everything under it: every class key and, with [`Scope::LocalMachine`],
/// every collection's key. Every value of [`class_values`] is under one of them; their parents
/// are left alone.
pub fn class_keys(classes: &[ClassRegistration<'_>], scope: Scope) -> Vec<String> {
    let mut keys: Vec<String> = classes.iter().map(|c| class_key(&c.clsid)).collect();
    if scope == Scope::LocalMachine {
        keys.extend(
            classes
                .iter()
                .filter(|c| matches!(c.kind, ClassKind::Collection { .. }))
                .map(|c| collection_key(&c.clsid)),
        );
    }
    keys
}

/// The keys [`unregister_classes`] also deletes when they exist, with [`Scope::LocalMachine`]:
/// `SyncMgr\Handlers\{clsid}` for every class (what winsync 0.1 wrote; see the module docs).
pub fn legacy_keys(classes: &[ClassRegistration<'_>], scope: Scope) -> Vec<String> {
    match scope {
        Scope::CurrentUser => Vec::new(),
        Scope::LocalMachine => classes
            .iter()
            .map(|c| legacy_handler_key(&c.clsid))
            .collect(),
    }
}

/// [`class_values`] for one handler class.
pub fn registry_values(
    clsid: &GUID,
    name: &str,
    dll_path: &str,
    scope: Scope,
) -> Vec<RegistryValue> {
    class_values(&[handler_class(clsid, name)], dll_path, scope)
}

/// [`class_keys`] for one handler class.
pub fn registry_keys(clsid: &GUID, scope: Scope) -> Vec<String> {
    class_keys(&[handler_class(clsid, "")], scope)
}

fn handler_class<'a>(clsid: &GUID, name: &'a str) -> ClassRegistration<'a> {
    ClassRegistration {
        clsid: *clsid,
        name,
        kind: ClassKind::Handler,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const CLSID: GUID = GUID::from_u128(0x0b5a2c1e_7d3f_4e6a_9c8b_1a2b3c4d5e6f);
    const BRACED: &str = "{0B5A2C1E-7D3F-4E6A-9C8B-1A2B3C4D5E6F}";
    const COLLECTION: GUID = GUID::from_u128(0x29670321_0ba3_4dc5_b4c7_0f7fdb1ea68c);

    fn classes() -> [ClassRegistration<'static>; 2] {
        [
            ClassRegistration {
                clsid: COLLECTION,
                name: "Devices",
                kind: ClassKind::Collection {
                    icon: Some(Icon::Module(-50)),
                },
            },
            ClassRegistration {
                clsid: CLSID,
                name: "Device handler",
                kind: ClassKind::Handler,
            },
        ]
    }

    fn triples(values: &[RegistryValue]) -> Vec<(&str, Option<&str>, &str, ValueKind)> {
        values
            .iter()
            .map(|v| (v.key.as_str(), v.name, v.data.as_str(), v.kind))
            .collect()
    }

    #[test]
    fn clsids_are_spelled_as_the_registry_does() {
        assert_eq!(clsid_string(&CLSID), BRACED);
        assert_eq!(
            class_key(&CLSID),
            format!(r"Software\Classes\CLSID\{BRACED}")
        );
        assert_eq!(
            collection_key(&CLSID),
            format!(
                r"Software\Microsoft\Windows\CurrentVersion\SyncMgr\HandlerCollections\{BRACED}"
            )
        );
        assert_eq!(
            legacy_handler_key(&CLSID),
            format!(r"Software\Microsoft\Windows\CurrentVersion\SyncMgr\Handlers\{BRACED}")
        );
    }

    #[test]
    fn per_machine_registration_lists_the_collection_as_the_sdk_sample_does() {
        use ValueKind::{ExpandString, String};
        let values = class_values(&classes(), r"C:\h.dll", Scope::LocalMachine);
        let (collection, handler) = (class_key(&COLLECTION), class_key(&CLSID));
        let (collection_server, handler_server) = (
            format!(r"{collection}\InprocServer32"),
            format!(r"{handler}\InprocServer32"),
        );
        let listing = collection_key(&COLLECTION);
        let icon = format!(r"{listing}\DefaultIcon");
        let expected = [
            (collection.as_str(), None, "Devices", String),
            (collection_server.as_str(), None, r"C:\h.dll", String),
            (
                collection_server.as_str(),
                Some("ThreadingModel"),
                "Both",
                String,
            ),
            (handler.as_str(), None, "Device handler", String),
            (handler_server.as_str(), None, r"C:\h.dll", String),
            (
                handler_server.as_str(),
                Some("ThreadingModel"),
                "Both",
                String,
            ),
            (listing.as_str(), None, "Devices", String),
            (icon.as_str(), None, r"C:\h.dll,-50", ExpandString),
        ];
        assert_eq!(triples(&values), expected);
        assert_eq!(
            class_keys(&classes(), Scope::LocalMachine),
            [collection, handler, listing]
        );
        assert!(
            values
                .iter()
                .all(|v| !v.key.starts_with(LEGACY_HANDLERS_KEY)),
            "nothing under SyncMgr\\Handlers"
        );
    }

    #[test]
    fn per_user_registration_writes_the_classes_only() {
        let values = class_values(&classes(), r"C:\h.dll", Scope::CurrentUser);
        assert_eq!(values.len(), 6);
        assert!(
            values
                .iter()
                .all(|v| v.key.starts_with(r"Software\Classes\CLSID\"))
        );
        assert_eq!(
            class_keys(&classes(), Scope::CurrentUser),
            [class_key(&COLLECTION), class_key(&CLSID)]
        );
        assert!(legacy_keys(&classes(), Scope::CurrentUser).is_empty());
    }

    #[test]
    fn a_collection_without_an_icon_gets_no_default_icon() {
        let class = ClassRegistration {
            clsid: COLLECTION,
            name: "Devices",
            kind: ClassKind::Collection { icon: None },
        };
        let values = class_values(&[class], "p", Scope::LocalMachine);
        assert_eq!(values.len(), 4);
        assert!(values.iter().all(|v| !v.key.ends_with("DefaultIcon")));
        assert_eq!(
            Icon::Location(r"%SystemRoot%\system32\shell32.dll,0").location("p"),
            r"%SystemRoot%\system32\shell32.dll,0"
        );
    }

    #[test]
    fn a_single_handler_class_is_a_com_class_only() {
        for scope in [Scope::CurrentUser, Scope::LocalMachine] {
            let values = registry_values(&CLSID, "Mine", r"C:\h.dll", scope);
            assert_eq!(values.len(), 3);
            assert!(values.iter().all(|v| v.key.starts_with(&class_key(&CLSID))));
            assert_eq!(registry_keys(&CLSID, scope), [class_key(&CLSID)]);
        }
        assert_eq!(
            legacy_keys(&[handler_class(&CLSID, "")], Scope::LocalMachine),
            [legacy_handler_key(&CLSID)]
        );
    }

    #[test]
    fn every_value_written_is_under_a_key_unregistration_deletes() {
        for scope in [Scope::CurrentUser, Scope::LocalMachine] {
            let keys = class_keys(&classes(), scope);
            for value in class_values(&classes(), "n", scope) {
                assert!(
                    keys.iter()
                        .any(|key| value.key == *key || value.key.starts_with(&format!(r"{key}\"))),
                    "{scope:?}: {} is not removed",
                    value.key
                );
            }
            for key in &keys {
                assert!(
                    class_values(&classes(), "n", scope)
                        .iter()
                        .any(|v| v.key == *key),
                    "{scope:?}: {key} is deleted but never written"
                );
            }
        }
    }
}
