//! What `DllRegisterServer` writes and `DllUnregisterServer` removes for a Sync Center handler
//! class: the plan ([`registry_values`], [`registry_keys`], the same on every platform) and,
//! on Windows, the registry writes ([`register_server`], [`unregister_server`]).
//!
//! # The COM class
//! `Software\Classes\CLSID\{clsid}` ([`class_key`]) under `HKEY_CURRENT_USER`
//! ([`Scope::CurrentUser`]: no administrator rights needed, and Windows merges it into
//! `HKEY_CLASSES_ROOT` for that user) or `HKEY_LOCAL_MACHINE` ([`Scope::LocalMachine`]: every
//! user; needs an elevated `regsvr32`): the key's default value is the handler's name,
//! `InprocServer32`'s default value the DLL's path and its `ThreadingModel` value
//! [`THREADING_MODEL`] (the `InprocServer32` registry page,
//! <https://learn.microsoft.com/windows/win32/com/inprocserver32>). Wine (8.0) does not merge
//! `HKEY_CURRENT_USER\Software\Classes` into what COM reads: there, `CoCreateInstance` finds
//! only classes registered with [`Scope::LocalMachine`].
//!
//! # Sync Center's list of handlers
//! With [`Scope::LocalMachine`], the class is also listed for Sync Center:
//! `HKEY_LOCAL_MACHINE\Software\Microsoft\Windows\CurrentVersion\SyncMgr\Handlers\{clsid}`
//! ([`sync_center_key`]), default value the handler's name. The sources:
//!
//! - `NN:mobsync.ISyncMgrRegister`: a handler registers "directly in the registry" as an
//!   alternative to `ISyncMgrRegister`, and "must register the standard OLE keys for an InProc
//!   OLE server in addition to the SyncMgr key";
//! - Microsoft support article 292442 ("How to Use the Windows Synchronize Manager with Pull
//!   Subscribers"): the Synchronization Manager lists handlers from
//!   `HKEY_LOCAL_MACHINE\SOFTWARE\Microsoft\Windows\CurrentVersion\Syncmgr\Handlers`, which
//!   "has a subfolder for each item based on the class id (clsid)", and creates them from
//!   `HKEY_CLASSES_ROOT\CLSID\{clsid}\InprocServer32`;
//! - "Pull subscriptions don't show up in Windows Synchronization Manager" (Microsoft
//!   troubleshooting article for SQL Server 2014–2019 on Windows 10,
//!   <https://learn.microsoft.com/troubleshoot/sql/database-engine/replication/subscriptions-do-not-show-up-winsync-manager>):
//!   Sync Center (`mobsync.exe`) lists the handler registered under
//!   `HKLM\Software\Microsoft\Windows\CurrentVersion\SyncMgr\Handlers\{clsid}`.
//!
//! The pages name this key under `HKEY_LOCAL_MACHINE` only, so there is no per-user listing:
//! with [`Scope::CurrentUser`] the class is registered for the user but Sync Center does not
//! list it (an installer that has administrator rights lists it with [`Scope::LocalMachine`]).
//! The `syncmgr.h` pages themselves (`NN:syncmgr.ISyncMgrHandlerCollection`) say only that
//! handlers are registered "individually in the registry", without naming the key.

use windows_core::GUID;

/// The `ThreadingModel` [`register_server`] writes: `Both`. The objects may be called from any
/// apartment without marshaling: a derived handler is `Send + Sync`
/// ([`crate::sync_center::handler::DerivedHandler`]), the class factory holds a function pointer, and the
/// counts are atomic; and Sync Center makes a handler instance on one thread to read its
/// properties and another on a separate thread to synchronize (`NN:syncmgr.ISyncMgrHandler`).
/// With `Apartment`, a caller in the multithreaded apartment would get a proxy, which needs a
/// registered proxy/stub for `ISyncMgrHandler`. (The values are those of the `InprocServer32`
/// registry page, <https://learn.microsoft.com/windows/win32/com/inprocserver32>.)
pub const THREADING_MODEL: &str = "Both";

/// The key under `HKEY_LOCAL_MACHINE` whose subkeys, one per CLSID, list handlers for Sync
/// Center (see the module docs for the sources).
pub const SYNC_CENTER_HANDLERS_KEY: &str =
    r"Software\Microsoft\Windows\CurrentVersion\SyncMgr\Handlers";

/// Where [`register_server`] writes a class.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub enum Scope {
    /// `HKEY_CURRENT_USER\Software\Classes`: the current user only, no administrator rights;
    /// Sync Center does not list the handler (see the module docs).
    #[default]
    CurrentUser,
    /// `HKEY_LOCAL_MACHINE\Software\Classes` and Sync Center's list of handlers: every user;
    /// writing needs administrator rights.
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

/// The class key [`register_server`] creates under the [`Scope`]'s root:
/// `Software\Classes\CLSID\{clsid}`.
pub fn class_key(clsid: &GUID) -> String {
    format!(r"Software\Classes\CLSID\{}", clsid_string(clsid))
}

/// The key that lists the class for Sync Center, under `HKEY_LOCAL_MACHINE`:
/// `Software\Microsoft\Windows\CurrentVersion\SyncMgr\Handlers\{clsid}`.
pub fn sync_center_key(clsid: &GUID) -> String {
    format!(r"{SYNC_CENTER_HANDLERS_KEY}\{}", clsid_string(clsid))
}

/// One registry value [`register_server`] writes, as a string (`REG_SZ`), under the
/// [`Scope`]'s root.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RegistryValue {
    /// The key, relative to the root; created when missing.
    pub key: String,
    /// The value's name; `None` for the key's default value.
    pub name: Option<&'static str>,
    /// The string written.
    pub data: String,
}

/// Every value [`register_server`] writes for the handler class `clsid` named `name`, served
/// by the DLL at `dll_path`, in `scope` (see the module docs), in the order written.
pub fn registry_values(
    clsid: &GUID,
    name: &str,
    dll_path: &str,
    scope: Scope,
) -> Vec<RegistryValue> {
    let class = class_key(clsid);
    let server = format!(r"{class}\InprocServer32");
    let mut values = vec![
        RegistryValue {
            key: class,
            name: None,
            data: name.to_string(),
        },
        RegistryValue {
            key: server.clone(),
            name: None,
            data: dll_path.to_string(),
        },
        RegistryValue {
            key: server,
            name: Some("ThreadingModel"),
            data: THREADING_MODEL.to_string(),
        },
    ];
    if scope == Scope::LocalMachine {
        values.push(RegistryValue {
            key: sync_center_key(clsid),
            name: None,
            data: name.to_string(),
        });
    }
    values
}

/// The keys [`unregister_server`] deletes, each with everything under it, under the
/// [`Scope`]'s root: the class key, and with [`Scope::LocalMachine`] the Sync Center key.
/// Every value of [`registry_values`] is under one of them; their parents are left alone.
pub fn registry_keys(clsid: &GUID, scope: Scope) -> Vec<String> {
    let mut keys = vec![class_key(clsid)];
    if scope == Scope::LocalMachine {
        keys.push(sync_center_key(clsid));
    }
    keys
}

#[cfg(any(windows, doc))]
pub use windows::{is_registered, module_path, register_server, unregister_server};

#[cfg(any(windows, doc))]
mod windows {
    use windows_core::{Error, GUID, PCWSTR, PWSTR, Result};

    use super::{Scope, registry_keys, registry_values};
    use crate::bindings::{
        GET_MODULE_HANDLE_EX_FLAG_FROM_ADDRESS, GET_MODULE_HANDLE_EX_FLAG_UNCHANGED_REFCOUNT,
        GetModuleFileNameW, GetModuleHandleExW, HKEY, HKEY_CURRENT_USER, HKEY_LOCAL_MACHINE,
        HMODULE, KEY_READ, KEY_WRITE, REG_OPTION_NON_VOLATILE, REG_SZ, RegCloseKey,
        RegCreateKeyExW, RegDeleteTreeW, RegOpenKeyExW, RegSetValueExW, SELFREG_E_CLASS,
        WIN32_ERROR,
    };

    fn root(scope: Scope) -> HKEY {
        match scope {
            Scope::CurrentUser => HKEY_CURRENT_USER,
            Scope::LocalMachine => HKEY_LOCAL_MACHINE,
        }
    }

    fn wide(text: &str) -> Vec<u16> {
        text.encode_utf16().chain(std::iter::once(0)).collect()
    }

    /// `ERROR_SUCCESS` (0, `winerror.h`) is `Ok`; another code its HRESULT
    /// (`HRESULT_FROM_WIN32`).
    fn win32(code: WIN32_ERROR) -> Result<()> {
        if code == 0 {
            Ok(())
        } else {
            // HRESULT_FROM_WIN32 (`winerror.h`): FACILITY_WIN32 (7), severity bit set.
            Err(windows_core::HRESULT(((code & 0xFFFF) | 0x8007_0000) as i32).into())
        }
    }

    /// An open registry key, closed on drop.
    struct Key(HKEY);

    impl Key {
        fn create(parent: HKEY, path: &str) -> Result<Self> {
            let path = wide(path);
            let mut key = HKEY::default();
            // SAFETY: `path` is NUL-terminated and outlives the call; `key` is writable.
            win32(unsafe {
                RegCreateKeyExW(
                    parent,
                    PCWSTR(path.as_ptr()),
                    None,
                    PCWSTR::null(),
                    REG_OPTION_NON_VOLATILE,
                    KEY_WRITE,
                    None,
                    &mut key,
                    None,
                )
            })?;
            Ok(Self(key))
        }

        fn open(parent: HKEY, path: &str) -> Result<Self> {
            let path = wide(path);
            let mut key = HKEY::default();
            // SAFETY: as in `create`.
            win32(unsafe {
                RegOpenKeyExW(parent, PCWSTR(path.as_ptr()), None, KEY_READ, &mut key)
            })?;
            Ok(Self(key))
        }

        /// Sets the string value `name` (`None`: the key's default value).
        fn set(&self, name: Option<&str>, value: &str) -> Result<()> {
            let name = name.map(wide);
            let bytes: Vec<u8> = wide(value).into_iter().flat_map(u16::to_le_bytes).collect();
            let name = name.as_ref().map_or(PCWSTR::null(), |n| PCWSTR(n.as_ptr()));
            // SAFETY: `name` is null or NUL-terminated; `bytes` is a NUL-terminated UTF-16
            // string, as REG_SZ wants.
            win32(unsafe { RegSetValueExW(self.0, name, None, REG_SZ, Some(&bytes)) })
        }
    }

    impl Drop for Key {
        fn drop(&mut self) {
            // SAFETY: the key is open and closed once.
            unsafe { RegCloseKey(self.0) };
        }
    }

    /// Whether `<scope root>\<path>` exists (can be opened for reading).
    fn key_exists(scope: Scope, path: &str) -> bool {
        Key::open(root(scope), path).is_ok()
    }

    /// Registers the handler class `clsid` in `scope`, served by the DLL at `dll_path`: every
    /// value of [`super::registry_values`] (see the module docs).
    ///
    /// # Errors
    /// `SELFREG_E_CLASS` (`NF:olectl.DllRegisterServer`), naming the key and the registry's
    /// error, after removing what was written.
    pub fn register_server(clsid: &GUID, name: &str, dll_path: &str, scope: Scope) -> Result<()> {
        for value in registry_values(clsid, name, dll_path, scope) {
            let written = Key::create(root(scope), &value.key)
                .and_then(|key| key.set(value.name, &value.data));
            if let Err(error) = written {
                let _ = unregister_server(clsid, scope);
                return Err(Error::new(
                    SELFREG_E_CLASS,
                    format!(
                        r"registering {}\{}: {}",
                        scope.root_name(),
                        value.key,
                        error.message()
                    ),
                ));
            }
        }
        Ok(())
    }

    /// Removes what [`register_server`] wrote in `scope`: every key of
    /// [`super::registry_keys`] with everything under it. A key that does not exist is
    /// success.
    ///
    /// # Errors
    /// The registry's error for the first key that exists and cannot be deleted (the other
    /// keys are still tried).
    pub fn unregister_server(clsid: &GUID, scope: Scope) -> Result<()> {
        let mut first_error = None;
        for path in registry_keys(clsid, scope) {
            let wide_path = wide(&path);
            // SAFETY: `wide_path` is NUL-terminated.
            let result = win32(unsafe { RegDeleteTreeW(root(scope), PCWSTR(wide_path.as_ptr())) });
            if let Err(error) = result
                && key_exists(scope, &path)
            {
                first_error.get_or_insert(error);
            }
        }
        first_error.map_or(Ok(()), Err)
    }

    /// Whether every key of [`super::registry_keys`] exists in `scope` (for tests and
    /// installers).
    pub fn is_registered(clsid: &GUID, scope: Scope) -> bool {
        registry_keys(clsid, scope)
            .iter()
            .all(|path| key_exists(scope, path))
    }

    /// The full path of the module (DLL or executable) that holds `address`, for instance the
    /// address of one of the DLL's functions (`GetModuleHandleExW` with
    /// `GET_MODULE_HANDLE_EX_FLAG_FROM_ADDRESS`, then `GetModuleFileNameW`).
    ///
    /// # Errors
    /// The Win32 error of either call.
    pub fn module_path(address: *const core::ffi::c_void) -> Result<String> {
        let mut module = HMODULE::default();
        // SAFETY: with FROM_ADDRESS the "name" is an address, read by no one; UNCHANGED_REFCOUNT
        // leaves the module's reference count alone, so nothing needs freeing.
        let found = unsafe {
            GetModuleHandleExW(
                GET_MODULE_HANDLE_EX_FLAG_FROM_ADDRESS
                    | GET_MODULE_HANDLE_EX_FLAG_UNCHANGED_REFCOUNT,
                PCWSTR(address.cast()),
                &mut module,
            )
        };
        if !found.as_bool() {
            return Err(Error::from_thread());
        }
        let mut buffer = vec![0u16; 260];
        loop {
            let size = u32::try_from(buffer.len()).unwrap_or(u32::MAX);
            // SAFETY: `buffer` holds `size` writable units.
            let len = unsafe { GetModuleFileNameW(Some(module), PWSTR(buffer.as_mut_ptr()), size) };
            if len == 0 {
                return Err(Error::from_thread());
            }
            // A full buffer means the path was truncated: try a larger one (paths are at most
            // 32,767 units).
            if len < size || buffer.len() > 32_768 {
                return String::from_utf16(&buffer[..len as usize]).map_err(|_| {
                    crate::com::abi::invalid_arg("the module path is not valid UTF-16")
                });
            }
            buffer.resize(buffer.len() * 2, 0);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const CLSID: GUID = GUID::from_u128(0x0b5a2c1e_7d3f_4e6a_9c8b_1a2b3c4d5e6f);
    const BRACED: &str = "{0B5A2C1E-7D3F-4E6A-9C8B-1A2B3C4D5E6F}";

    #[test]
    fn clsids_are_spelled_as_the_registry_does() {
        assert_eq!(clsid_string(&CLSID), BRACED);
        assert_eq!(
            class_key(&CLSID),
            format!(r"Software\Classes\CLSID\{BRACED}")
        );
        assert_eq!(
            sync_center_key(&CLSID),
            format!(r"Software\Microsoft\Windows\CurrentVersion\SyncMgr\Handlers\{BRACED}")
        );
    }

    #[test]
    fn per_machine_registration_lists_the_handler_for_sync_center() {
        let values = registry_values(&CLSID, "Mine", r"C:\h.dll", Scope::LocalMachine);
        let class = class_key(&CLSID);
        let server = format!(r"{class}\InprocServer32");
        let expected = [
            (class.as_str(), None, "Mine"),
            (server.as_str(), None, r"C:\h.dll"),
            (server.as_str(), Some("ThreadingModel"), "Both"),
            (&*sync_center_key(&CLSID), None, "Mine"),
        ];
        let got: Vec<_> = values
            .iter()
            .map(|v| (v.key.as_str(), v.name, v.data.as_str()))
            .collect();
        assert_eq!(got, expected);
        assert_eq!(
            registry_keys(&CLSID, Scope::LocalMachine),
            [class, sync_center_key(&CLSID)]
        );
    }

    #[test]
    fn per_user_registration_writes_the_class_only() {
        let values = registry_values(&CLSID, "Mine", r"C:\h.dll", Scope::CurrentUser);
        assert_eq!(values.len(), 3);
        assert!(values.iter().all(|v| v.key.starts_with(&class_key(&CLSID))));
        assert_eq!(
            registry_keys(&CLSID, Scope::CurrentUser),
            [class_key(&CLSID)]
        );
    }

    #[test]
    fn every_value_written_is_under_a_key_unregistration_deletes() {
        for scope in [Scope::CurrentUser, Scope::LocalMachine] {
            let keys = registry_keys(&CLSID, scope);
            for value in registry_values(&CLSID, "n", "p", scope) {
                assert!(
                    keys.iter()
                        .any(|key| value.key == *key || value.key.starts_with(&format!(r"{key}\"))),
                    "{scope:?}: {} is not removed",
                    value.key
                );
            }
        }
    }
}
