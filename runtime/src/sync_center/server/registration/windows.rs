//! The registry writes of [`super`] (Windows only).

use windows_core::{Error, GUID, PCWSTR, PWSTR, Result};

use super::{
    ClassKind, ClassRegistration, Scope, ValueKind, class_keys, class_values, legacy_keys,
};
use crate::bindings::{
    GET_MODULE_HANDLE_EX_FLAG_FROM_ADDRESS, GET_MODULE_HANDLE_EX_FLAG_UNCHANGED_REFCOUNT,
    GetModuleFileNameW, GetModuleHandleExW, HKEY, HKEY_CURRENT_USER, HKEY_LOCAL_MACHINE, HMODULE,
    KEY_READ, KEY_WRITE, REG_EXPAND_SZ, REG_OPTION_NON_VOLATILE, REG_SZ, RegCloseKey,
    RegCreateKeyExW, RegDeleteTreeW, RegOpenKeyExW, RegSetValueExW, SELFREG_E_CLASS, WIN32_ERROR,
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

/// `ERROR_SUCCESS` (0, `winerror.h`) is `Ok`; another code its HRESULT (`HRESULT_FROM_WIN32`).
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
        win32(unsafe { RegOpenKeyExW(parent, PCWSTR(path.as_ptr()), None, KEY_READ, &mut key) })?;
        Ok(Self(key))
    }

    /// Sets the string value `name` (`None`: the key's default value) as `kind`.
    fn set(&self, name: Option<&str>, value: &str, kind: ValueKind) -> Result<()> {
        let name = name.map(wide);
        let bytes: Vec<u8> = wide(value).into_iter().flat_map(u16::to_le_bytes).collect();
        let name = name.as_ref().map_or(PCWSTR::null(), |n| PCWSTR(n.as_ptr()));
        let kind = match kind {
            ValueKind::String => REG_SZ,
            ValueKind::ExpandString => REG_EXPAND_SZ,
        };
        // SAFETY: `name` is null or NUL-terminated; `bytes` is a NUL-terminated UTF-16 string,
        // as REG_SZ and REG_EXPAND_SZ want.
        win32(unsafe { RegSetValueExW(self.0, name, None, kind, Some(&bytes)) })
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

/// Registers `classes` in `scope`, served by the DLL at `dll_path`: every value of
/// [`super::class_values`] (see the module docs of [`super`]).
///
/// # Errors
/// `SELFREG_E_CLASS` (`NF:olectl.DllRegisterServer`), naming the key and the registry's error,
/// after removing what was written ([`unregister_classes`]).
pub fn register_classes(
    classes: &[ClassRegistration<'_>],
    dll_path: &str,
    scope: Scope,
) -> Result<()> {
    for value in class_values(classes, dll_path, scope) {
        let written = Key::create(root(scope), &value.key)
            .and_then(|key| key.set(value.name, &value.data, value.kind));
        if let Err(error) = written {
            let _ = unregister_classes(classes, scope);
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

/// Removes what [`register_classes`] wrote for `classes` in `scope`: every key of
/// [`super::class_keys`] with everything under it, and the [`super::legacy_keys`]. A key that
/// does not exist is success.
///
/// # Errors
/// The registry's error for the first key that exists and cannot be deleted (the other keys
/// are still tried).
pub fn unregister_classes(classes: &[ClassRegistration<'_>], scope: Scope) -> Result<()> {
    let mut first_error = None;
    let keys = class_keys(classes, scope)
        .into_iter()
        .chain(legacy_keys(classes, scope));
    for path in keys {
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

/// Whether every key of [`super::class_keys`] exists in `scope` (for tests and installers).
pub fn classes_registered(classes: &[ClassRegistration<'_>], scope: Scope) -> bool {
    class_keys(classes, scope)
        .iter()
        .all(|path| key_exists(scope, path))
}

fn handler_class<'a>(clsid: &GUID, name: &'a str) -> [ClassRegistration<'a>; 1] {
    [ClassRegistration {
        clsid: *clsid,
        name,
        kind: ClassKind::Handler,
    }]
}

/// [`register_classes`] for one handler class: the COM class only, in `scope`.
///
/// # Errors
/// As [`register_classes`].
pub fn register_server(clsid: &GUID, name: &str, dll_path: &str, scope: Scope) -> Result<()> {
    register_classes(&handler_class(clsid, name), dll_path, scope)
}

/// [`unregister_classes`] for one handler class.
///
/// # Errors
/// As [`unregister_classes`].
pub fn unregister_server(clsid: &GUID, scope: Scope) -> Result<()> {
    unregister_classes(&handler_class(clsid, ""), scope)
}

/// [`classes_registered`] for one handler class.
pub fn is_registered(clsid: &GUID, scope: Scope) -> bool {
    classes_registered(&handler_class(clsid, ""), scope)
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
            GET_MODULE_HANDLE_EX_FLAG_FROM_ADDRESS | GET_MODULE_HANDLE_EX_FLAG_UNCHANGED_REFCOUNT,
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
            return String::from_utf16(&buffer[..len as usize])
                .map_err(|_| crate::com::abi::invalid_arg("the module path is not valid UTF-16"));
        }
        buffer.resize(buffer.len() * 2, 0);
    }
}
