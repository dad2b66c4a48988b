//! The two reshaped kinds of method: a Sync Center `GetObject` (`objects` in `contracts.toml`:
//! an object id, `riid` and `ppv` become the runtime's `ObjectId` in and a typed
//! `Option<SyncMgrObject>` out) and a method ending in `riid` and `ppv` (`queried`: the object
//! comes back as `IUnknown`, queried for `riid`). Each has a check of its shape against the
//! metadata, for [`super::validate`], and the reshaping of its skeleton method, for
//! [`super::skeleton`].

use windows_metadata::Type;
use windows_metadata::reader::MethodDef;

use super::skeleton::SkeletonMethod;
use crate::error::{Error, Result};

/// Whether `ty` points to a GUID (`REFGUID`, `REFIID`).
fn guid_pointer(ty: &Type) -> bool {
    match ty {
        Type::PtrConst(pointee, 1) | Type::PtrMut(pointee, 1) => {
            matches!(pointee.as_ref(), Type::ValueName(name) if name.name == "Guid" || name.name == "GUID")
        }
        Type::RefConst(pointee) | Type::RefMut(pointee) => guid_pointer(pointee),
        _ => false,
    }
}

/// Whether `method` returns an HRESULT and ends in `(REFIID riid, void** ppv)`, the shape a
/// `queried` entry of `contracts.toml` turns into an `IUnknown` answer.
pub(crate) fn ends_with_queried_pair(method: MethodDef) -> bool {
    let signature = method.signature(&[]);
    let returns_hresult =
        matches!(&signature.return_type, Type::ValueName(name) if name.name == "HRESULT");
    match signature.types.as_slice() {
        [.., riid, Type::PtrMut(pointee, 2)] => {
            returns_hresult && guid_pointer(riid) && matches!(pointee.as_ref(), Type::Void)
        }
        _ => false,
    }
}

/// Whether `method` takes exactly `(REFGUID object id, REFIID riid, void** ppv)`, the shape
/// an `objects` entry of `contracts.toml` turns into a typed answer.
pub(crate) fn is_object_getter(method: MethodDef) -> bool {
    let signature = method.signature(&[]);
    let returns_hresult =
        matches!(&signature.return_type, Type::ValueName(name) if name.name == "HRESULT");
    match signature.types.as_slice() {
        [id, riid, Type::PtrMut(pointee, 2)] => {
            returns_hresult
                && guid_pointer(id)
                && guid_pointer(riid)
                && matches!(pointee.as_ref(), Type::Void)
        }
        _ => false,
    }
}

/// The runtime's types of a typed `GetObject` (`objects` in `contracts.toml`).
const OBJECT_ID: &str = "::winsync::sync_center::objects::ObjectId";
const OBJECT: &str = "::winsync::sync_center::objects::SyncMgrObject";

/// Reshapes a GetObject-style method `(REFGUID id, REFIID riid, void** ppv)` (checked against
/// the metadata by `validate`): the safe side takes the object id as the runtime's `ObjectId`
/// (an id it does not know is `E_NOTIMPL` before user code runs) and returns
/// `Option<SyncMgrObject>`, which the adapter checks against the id and queries for `riid`
/// into `ppv` (`None` is `E_NOTIMPL`; `ppv` stays NULL on every failure).
pub(super) fn object_getter(m: &mut SkeletonMethod, interface: &str) -> Result<()> {
    let names: Vec<&str> = m
        .abi_params
        .iter()
        .filter_map(|p| p.split(':').next())
        .map(str::trim)
        .collect();
    let [id, riid, ppv] = names.as_slice() else {
        return Err(Error::MissingBinding(format!(
            "an `_Impl` method `{interface}::{}` with an object id, `riid` and `ppv`",
            m.windows
        )));
    };
    let (id, riid, ppv) = (id.to_string(), riid.to_string(), ppv.to_string());
    m.safe_params = vec![format!("object_id: {OBJECT_ID}")];
    m.call_args = vec!["object_id".into()];
    m.safe_return = format!("windows_core::Result<Option<{OBJECT}>>");
    m.out_pattern = "object".into();
    m.preludes = vec![
        format!(
            "let {id} = unsafe {{ {id}.as_ref() }}.ok_or_else(::winsync::com::abi::null_pointer)?;"
        ),
        format!(
            "let {riid} = unsafe {{ {riid}.as_ref() }}.ok_or_else(::winsync::com::abi::null_pointer)?;"
        ),
        format!("::winsync::com::abi::check_out({ppv}.is_null())?;"),
        format!("let object_id = {OBJECT_ID}::try_from({id})?;"),
    ];
    m.writebacks = vec![format!(
        "unsafe {{ ::winsync::sync_center::objects::answer(object_id, object, {riid}, {ppv}) }}?;"
    )];
    m.ret_expr = "Ok(())".into();
    m.raw_params.clear();
    m.checks = vec![
        format!("`{id}`, `{riid}` and `{ppv}` are not null, else `E_POINTER`"),
        format!(
            "`{id}` is one of the `SYNCMGR_OBJECTID_*` ids, else `E_NOTIMPL` (the method is not called)"
        ),
        format!(
            "the answer: `None` is `E_NOTIMPL`; an object of another kind than the id names is \
             `E_UNEXPECTED`; else the object is queried for `{riid}` into `{ppv}` \
             (`E_NOINTERFACE` when it lacks it); `{ppv}` is NULL after every failure"
        ),
    ];
    Ok(())
}

/// Reshapes a method ending in `(REFIID riid, void** ppv)` (checked against the metadata by
/// `validate`): the safe side loses both and returns the object as `IUnknown`, which the adapter
/// queries for `riid` into `ppv` (`E_NOINTERFACE` when it lacks it; `ppv` NULL after every
/// failure).
pub(super) fn queried_getter(m: &mut SkeletonMethod, interface: &str) -> Result<()> {
    let abi_names: Vec<String> = m
        .abi_params
        .iter()
        .filter_map(|p| p.split(':').next())
        .map(|p| p.trim().to_string())
        .collect();
    let missing = || {
        Error::MissingBinding(format!(
            "an `_Impl` method `{interface}::{}` ending in `riid` and `ppv`",
            m.windows
        ))
    };
    let [.., riid_abi, ppv] = abi_names.as_slice() else {
        return Err(missing());
    };
    if m.safe_params.len() < 2
        || m.call_args.len() < 2
        || m.safe_return != "windows_core::Result<()>"
    {
        return Err(missing());
    }
    // The last two safe parameters are `riid` (a `&GUID`, bound by its prelude) and the raw `ppv`.
    m.safe_params.truncate(m.safe_params.len() - 2);
    let riid = m.call_args[m.call_args.len() - 2].clone();
    m.call_args.truncate(m.call_args.len() - 2);
    m.raw_params
        .retain(|r| !r.contains("*mut *mut core::ffi::c_void"));
    m.preludes
        .push(format!("::winsync::com::abi::check_out({ppv}.is_null())?;"));
    m.safe_return = "windows_core::Result<windows_core::IUnknown>".into();
    m.out_pattern = "object".into();
    m.writebacks.push(format!(
        "unsafe {{ ::winsync::com::abi::write_queried(&object, {riid}, {ppv}) }}?;"
    ));
    m.checks.push(format!(
        "`{ppv}` is not null, else `E_POINTER`; the object returned is queried for `{riid_abi}` into `{ppv}` (`E_NOINTERFACE` when it lacks it), and `{ppv}` is NULL after every failure"
    ));
    Ok(())
}
