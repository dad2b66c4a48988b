//! The fixes of windows-bindgen's output, on small bindings.

use serde_spanned::Spanned;

use super::*;

pub(super) const BINDINGS: &str = r#"windows_core::imp::define_interface!(IThing, IThing_Vtbl, 0x1);
impl IThing {
    pub unsafe fn Poll(&self) -> windows_core::Result<()> {
        unsafe { (windows_core::Interface::vtable(self).Poll)(windows_core::Interface::as_raw(self)).ok() }
    }
}
pub struct CABSTR {
    pub pElems: *mut windows_core::BSTR,
}
pub trait IThing_Impl: windows_core::IUnknownImpl {
    fn Poll(&self) -> windows_core::Result<()>;
    fn Name(&self) -> windows_core::Result<u32>;
}
impl IThing_Vtbl {
    pub const fn new<Identity: IThing_Impl, const OFFSET: isize>() -> Self {
        unsafe extern "system" fn Name<Identity: IThing_Impl, const OFFSET: isize>(this: *mut core::ffi::c_void, value: *mut u32) -> windows_core::HRESULT {
            unsafe {
                match IThing_Impl::Name(this) {
                    Ok(ok__) => {
                        value.write(ok__);
                        windows_core::HRESULT(0)
                    }
                    Err(err) => err.into(),
                }
            }
        }
        unsafe extern "system" fn Get<Identity: IThing_Impl, const OFFSET: isize>(this: *mut core::ffi::c_void, riid: *const windows_core::GUID, ppv: *mut *mut core::ffi::c_void, inout: *mut *mut core::ffi::c_void) -> windows_core::HRESULT {
            unsafe { IThing_Impl::Get(this, core::mem::transmute_copy(&riid), core::mem::transmute_copy(&ppv)).into() }
        }
        unsafe extern "system" fn Next<Identity: IThing_Impl, const OFFSET: isize>(this: *mut core::ffi::c_void, celt: u32, rgelt: *mut *mut core::ffi::c_void, fetched: *mut u32) -> windows_core::HRESULT {
            unsafe { IThing_Impl::Next(this, celt, core::mem::transmute_copy(&rgelt), fetched) }
        }
        todo!()
    }
}
"#;

pub(super) fn entry(interface: &str, method: &str) -> KeepsSFalseEntry {
    KeepsSFalseEntry {
        interface: Spanned::new(0..0, interface.to_string()),
        method: Spanned::new(0..0, method.to_string()),
        meaning: "m".into(),
        yes_no: false,
        source: Spanned::new(0..0, "NF:x.IThing.Poll".to_string()),
    }
}

fn fixed(entries: &[KeepsSFalseEntry]) -> Result<FixedBindings> {
    fix(
        &Parsed::parse(BINDINGS).unwrap(),
        entries,
        &OutParams::default(),
    )
}

#[test]
fn s_false_is_kept_on_the_caller_and_the_impl_side() {
    let fixed = fixed(&[entry("IThing", "Poll"), entry("IOther", "Poll")]).unwrap();
    assert_eq!(fixed.s_false.impl_side, ["IThing::Poll"]);
    assert_eq!(fixed.s_false.caller_side, ["IThing::Poll"]);
    assert!(
        fixed
            .text
            .contains("fn Poll(&self) -> windows_core::HRESULT;"),
        "{}",
        fixed.text
    );
    assert!(
        fixed.text.contains(
            "pub unsafe fn Poll(&self) -> windows_core::HRESULT {\n        unsafe { (windows_core::Interface::vtable(self).Poll)(windows_core::Interface::as_raw(self)) }"
        ),
        "{}",
        fixed.text
    );
    syn::parse_file(&fixed.text).unwrap();
}

#[test]
fn a_listed_method_that_is_missing_or_returns_data_is_an_error() {
    let missing = fixed(&[entry("IThing", "Nope")]).unwrap_err();
    assert!(
        missing.to_string().contains("`IThing_Impl::Nope`"),
        "{missing}"
    );
    let with_data = fixed(&[entry("IThing", "Name")]).unwrap_err();
    assert!(
        with_data.to_string().contains("`IThing_Impl::Name`"),
        "{with_data}"
    );
}

/// The out-pointer declarations of the `IThing` fixture.
pub(super) fn thing_out_params() -> OutParams {
    let mut out = OutParams::default();
    out.declare(
        "IThing",
        "Get",
        &[
            ("riid", false, None),
            ("ppv", true, None),
            ("inout", false, None),
        ],
    );
    out.declare(
        "IThing",
        "Next",
        &[
            ("celt", false, None),
            ("rgelt", true, Some("celt")),
            ("fetched", false, None),
        ],
    );
    out
}

#[test]
fn out_interface_pointers_are_set_to_null_first() {
    let fixed = fix(&Parsed::parse(BINDINGS).unwrap(), &[], &thing_out_params()).unwrap();
    assert_eq!(fixed.out_nulled, 2);
    assert!(
        fixed.text.contains("-> windows_core::HRESULT {\n            if !ppv.is_null() { unsafe { ppv.write(core::ptr::null_mut()) }; }\n            unsafe {"),
        "{}",
        fixed.text
    );
    assert!(
        !fixed.text.contains("inout.write"),
        "[in, out] stays: {}",
        fixed.text
    );
    assert!(
        fixed.text.contains(
            "for i in 0..celt as usize { unsafe { rgelt.add(i).write(core::ptr::null_mut()) }; }"
        ),
        "{}",
        fixed.text
    );
    syn::parse_file(&fixed.text).unwrap();
}

#[test]
fn retval_shims_check_their_pointer_and_bstr_is_portable() {
    let fixed = fixed(&[]).unwrap();
    assert_eq!(fixed.null_checked, 1);
    assert!(
        fixed.text.contains("-> windows_core::HRESULT {\n            if value.is_null() { return windows_core::imp::E_POINTER; }\n            unsafe {"),
        "{}",
        fixed.text
    );
    assert!(fixed.text.contains("pub pElems: *mut BSTR,"));
    assert!(
        fixed
            .text
            .contains("#[cfg(not(windows))]\n#[repr(transparent)]")
    );
    syn::parse_file(&fixed.text).unwrap();
}
