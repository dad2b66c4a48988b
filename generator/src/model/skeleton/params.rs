//! Each parameter's kind (string, array, enum, interface, value out-pointer, ...) and the
//! safe parameter, prelude, check and call argument it lowers to.

use quote::ToTokens;

use super::*;

impl TraitContext<'_> {
    pub(super) fn classify(&self, ty: &syn::Type, meta: &ParamMeta) -> Kind {
        let out = meta.flags.contains(ParamAttributes::Out);
        let input = meta.flags.contains(ParamAttributes::In);
        match ty {
            syn::Type::Reference(r) if last_ident(&r.elem).as_deref() == Some("PCWSTR") => {
                Kind::StringIn { by_ref: true }
            }
            syn::Type::Ptr(p) => {
                let pointee = p.elem.as_ref();
                let pointee_name = last_ident(pointee);
                if meta.in_array
                    && let Some(count) = meta.count_of
                {
                    return Kind::ConstArray {
                        ty: tokens(pointee),
                        count,
                    };
                }
                if p.const_token.is_some() {
                    if pointee_name.as_deref() == Some("PCWSTR") && meta.count_of.is_some() {
                        return Kind::StringArray {
                            count: meta.count_of.unwrap_or_default(),
                        };
                    }
                    if let Some(count) = meta.count_of
                        && !is_byte(pointee)
                        && self.is_struct_like(pointee)
                    {
                        // `count` elements (`pguidEventIDs` and `cEvents`): a slice.
                        return Kind::ConstArray {
                            ty: tokens(pointee),
                            count,
                        };
                    }
                    if !meta.is_buffer && !is_byte(pointee) && self.is_struct_like(pointee) {
                        return Kind::ConstRef(tokens(pointee));
                    }
                    return Kind::Raw;
                }
                if meta.is_buffer || is_byte(pointee) || matches!(pointee, syn::Type::Ptr(_)) {
                    return Kind::Raw;
                }
                match pointee_name.as_deref() {
                    Some("PWSTR") if out && !input => Kind::StringOut,
                    Some("BOOL") if out && !input => Kind::ValueOut(OutValue::Bool),
                    Some(name) if out && !input && self.enums.contains_key(name) => {
                        Kind::ValueOut(OutValue::Enum(self.enums[name].clone()))
                    }
                    Some(_)
                        if out
                            && !input
                            && (self.is_integer_like(pointee) || self.is_struct_like(pointee)) =>
                    {
                        Kind::ValueOut(OutValue::Plain(tokens(pointee)))
                    }
                    // An in/out enum (`pnCancelRequest`) is what the callee answers: an out value.
                    Some(name) if out && input && self.enums.contains_key(name) => {
                        Kind::ValueOut(OutValue::Enum(self.enums[name].clone()))
                    }
                    Some(_)
                        if out
                            && input
                            && (self.is_integer_like(pointee) || self.is_struct_like(pointee)) =>
                    {
                        Kind::InOut(tokens(pointee))
                    }
                    _ => Kind::Raw,
                }
            }
            syn::Type::Path(path) => {
                let Some(last) = path.path.segments.last() else {
                    return Kind::Raw;
                };
                let name = last.ident.to_string();
                match name.as_str() {
                    "Ref" => generic_arg(last).map_or(Kind::Raw, |i| Kind::InterfaceIn(tokens(i))),
                    "OutRef" => {
                        generic_arg(last).map_or(Kind::Raw, |i| Kind::InterfaceOut(tokens(i)))
                    }
                    "PCWSTR" => Kind::StringIn { by_ref: false },
                    "BOOL" => Kind::Bool,
                    _ if self.enums.contains_key(&name) => Kind::Enum(self.enums[&name].clone()),
                    _ => Kind::Plain(tokens(ty)),
                }
            }
            _ => Kind::Raw,
        }
    }

    /// An integer, or a type alias of one (`SYNCMGR_PRESENTER_CHOICE`, `SYNC_RESOLVE_ACTION`:
    /// windows-bindgen declares some enums as `pub type X = i32`).
    pub(super) fn is_integer_like(&self, ty: &syn::Type) -> bool {
        is_integer(ty)
            || last_ident(ty)
                .and_then(|name| self.bindings.alias_target(&name))
                .is_some_and(|target| {
                    matches!(
                        target.as_str(),
                        "u8" | "i8"
                            | "u16"
                            | "i16"
                            | "u32"
                            | "i32"
                            | "u64"
                            | "i64"
                            | "usize"
                            | "isize"
                    )
                })
    }

    /// A struct, GUID, HRESULT or integer the safe side can take by reference or value.
    pub(super) fn is_struct_like(&self, ty: &syn::Type) -> bool {
        match last_ident(ty).as_deref() {
            Some("GUID" | "HRESULT") => true,
            Some(name) => self.bindings.structs.contains(name),
            None => false,
        }
    }

    #[allow(clippy::too_many_arguments)]
    pub(super) fn lower(
        &self,
        m: &mut SkeletonMethod,
        outs: &mut Vec<(String, String)>,
        kind: Kind,
        abi: &str,
        safe: &str,
        windows_param: &str,
        nullable: bool,
        abi_params: &[(String, &syn::Type)],
        meta_names: &[String],
    ) {
        let bound = if windows_param.contains("ID") || windows_param.contains("Id") {
            ID_BOUND
        } else {
            TEXT_BOUND
        };
        match kind {
            Kind::Plain(ty) => {
                m.safe_params.push(format!("{safe}: {ty}"));
                m.call_args.push(abi.to_string());
            }
            Kind::Bool => {
                m.safe_params.push(format!("{safe}: bool"));
                m.call_args.push(format!("{abi}.as_bool()"));
            }
            Kind::Enum(rust) => {
                m.safe_params.push(format!("{safe}: {rust}"));
                m.preludes
                    .push(format!("let {safe} = {rust}::try_from({abi})?;"));
                m.call_args.push(safe.to_string());
                m.checks.push(format!(
                    "`{windows_param}` is a valid value of [`{rust}`], else `E_INVALIDARG`"
                ));
            }
            Kind::InterfaceIn(interface) if nullable => {
                m.safe_params.push(format!("{safe}: Option<&{interface}>"));
                m.call_args.push(format!("{abi}.as_ref()"));
            }
            Kind::InterfaceIn(interface) => {
                m.safe_params.push(format!("{safe}: &{interface}"));
                m.preludes.push(format!("let {safe} = {abi}.ok()?;"));
                m.call_args.push(safe.to_string());
                m.checks
                    .push(format!("`{windows_param}` is not null, else `E_POINTER`"));
            }
            Kind::InterfaceArrayOut { interface, count } => {
                m.safe_params
                    .push(format!("{safe}: &mut [Option<{interface}>]"));
                m.preludes.push(format!(
                    "let mut {safe} = unsafe {{ ::winsync::com::abi::OutArray::<{interface}>::new(::core::mem::transmute_copy::<_, *mut *mut ::core::ffi::c_void>(&{abi}), {count}) }}?;"
                ));
                m.call_args.push(format!("{safe}.as_mut_slice()"));
                m.writebacks.push(format!("{safe}.keep();"));
                m.checks.push(format!(
                    "`{windows_param}` is not null, else `E_POINTER`; the slice is its `{count}` elements, all `None` on entry, filled from the front; on failure every element is released and NULL again"
                ));
            }
            Kind::InterfaceOut(interface) => {
                m.preludes
                    .push(format!("::winsync::com::abi::check_out({abi}.is_null())?;"));
                let value = if nullable {
                    format!("Option<{interface}>")
                } else {
                    interface.clone()
                };
                let write = if nullable {
                    safe.to_string()
                } else {
                    format!("Some({safe})")
                };
                m.writebacks.push(format!("{abi}.write({write})?;"));
                outs.push((value, safe.to_string()));
                m.checks.push(format!("`{windows_param}` is not null, else `E_POINTER` (checked before user code runs)"));
            }
            Kind::StringIn { by_ref } => {
                let pointer = if by_ref {
                    format!("*{abi}")
                } else {
                    abi.to_string()
                };
                if nullable {
                    m.safe_params.push(format!("{safe}: Option<&str>"));
                    m.preludes.push(format!("let {safe} = unsafe {{ ::winsync::com::abi::read_wide_opt({pointer}, {bound}) }}?;"));
                    m.call_args.push(format!("{safe}.as_deref()"));
                } else {
                    m.safe_params.push(format!("{safe}: &str"));
                    m.preludes.push(format!("let {safe} = unsafe {{ ::winsync::com::abi::read_wide({pointer}, {bound}) }}?;"));
                    m.call_args.push(format!("&{safe}"));
                    m.checks
                        .push(format!("`{windows_param}` is not null, else `E_POINTER`"));
                }
                m.checks.push(format!(
                    "`{windows_param}` is valid UTF-16 of at most `{}` units, else `E_INVALIDARG`",
                    bound.rsplit("::").next().unwrap_or(bound)
                ));
            }
            Kind::ConstArray { ty, count } => {
                let count_abi = meta_names
                    .get(count)
                    .and_then(|name| {
                        abi_params
                            .iter()
                            .find(|(n, _)| *n == name.to_ascii_lowercase())
                    })
                    .map_or_else(|| "0".to_string(), |(n, _)| n.clone());
                m.safe_params.push(format!("{safe}: &[{ty}]"));
                m.preludes.push(format!(
                    "let {safe} = unsafe {{ ::winsync::com::abi::read_array({abi}, {count_abi}) }}?;"
                ));
                m.call_args.push(safe.to_string());
                m.checks.push(format!(
                    "`{windows_param}` holds `{count_abi}` elements (it may be NULL only when there are none), else `E_POINTER`"
                ));
            }
            Kind::StringArray { count } => {
                let count_abi = meta_names
                    .get(count)
                    .and_then(|name| {
                        abi_params
                            .iter()
                            .find(|(n, _)| *n == name.to_ascii_lowercase())
                    })
                    .map_or_else(|| "0".to_string(), |(n, _)| n.clone());
                m.safe_params.push(format!("{safe}: &[String]"));
                m.preludes.push(format!(
                    "let {safe} = unsafe {{ ::winsync::com::abi::read_wide_array({abi}, {count_abi}, {bound}) }}?;"
                ));
                m.call_args.push(format!("&{safe}"));
                m.checks.push(format!(
                    "`{windows_param}` holds `{count_abi}` non-null, valid UTF-16 strings of bounded length, else `E_POINTER` / `E_INVALIDARG`"
                ));
            }
            Kind::StringOut => {
                m.preludes
                    .push(format!("::winsync::com::abi::check_out({abi}.is_null())?;"));
                m.writebacks.push(format!(
                    "unsafe {{ {abi}.write(::winsync::com::abi::co_task_wide(&{safe})?) }};"
                ));
                outs.push(("String".into(), safe.to_string()));
                m.checks.push(format!("`{windows_param}` is not null, else `E_POINTER`; the string is allocated with `CoTaskMemAlloc`"));
            }
            Kind::ValueOut(value) => {
                if !nullable {
                    m.preludes
                        .push(format!("::winsync::com::abi::check_out({abi}.is_null())?;"));
                }
                let (safe_ty, convert) = match value {
                    OutValue::Bool => ("bool".to_string(), format!("{safe}.into()")),
                    OutValue::Enum(rust) => (rust, format!("{safe}.into()")),
                    OutValue::Plain(ty) => (ty, safe.to_string()),
                };
                if nullable {
                    m.writebacks.push(format!(
                        "if !{abi}.is_null() {{ unsafe {{ {abi}.write({convert}) }}; }}"
                    ));
                    m.checks.push(format!(
                        "`{windows_param}` may be null: the value is then not written"
                    ));
                } else {
                    m.writebacks
                        .push(format!("unsafe {{ {abi}.write({convert}) }};"));
                    m.checks.push(format!("`{windows_param}` is not null, else `E_POINTER` (checked before user code runs)"));
                }
                outs.push((safe_ty, safe.to_string()));
            }
            Kind::ConstRef(ty) => {
                m.safe_params.push(format!("{safe}: &{ty}"));
                m.preludes.push(format!("let {safe} = unsafe {{ {abi}.as_ref() }}.ok_or_else(::winsync::com::abi::null_pointer)?;"));
                m.call_args.push(safe.to_string());
                m.checks
                    .push(format!("`{windows_param}` is not null, else `E_POINTER`"));
            }
            Kind::InOut(ty) if nullable => {
                m.safe_params.push(format!("{safe}: Option<&mut {ty}>"));
                m.preludes
                    .push(format!("let {safe} = unsafe {{ {abi}.as_mut() }};"));
                m.call_args.push(safe.to_string());
                m.checks
                    .push(format!("`{windows_param}` may be null (`None`)"));
            }
            Kind::InOut(ty) => {
                m.safe_params.push(format!("{safe}: &mut {ty}"));
                m.preludes.push(format!("let {safe} = unsafe {{ {abi}.as_mut() }}.ok_or_else(::winsync::com::abi::null_pointer)?;"));
                m.call_args.push(safe.to_string());
                m.checks
                    .push(format!("`{windows_param}` is not null, else `E_POINTER`"));
            }
            Kind::Raw => {
                let ty = abi_params
                    .iter()
                    .find(|(n, _)| n == abi)
                    .map(|(_, t)| tokens(*t))
                    .unwrap_or_default();
                m.safe_params.push(format!("{safe}: {ty}"));
                m.call_args.push(abi.to_string());
                m.raw_params.push(format!(
                    "`{safe}` is passed through as the raw `{ty}` of the ABI"
                ));
            }
        }
    }

    /// The safe type and conversion of a `[retval]` windows-bindgen lifted into `Result<T>`.
    pub(super) fn retval(&self, payload: &syn::Type) -> (String, String) {
        match last_ident(payload).as_deref() {
            Some("PWSTR") => (
                "String".into(),
                "::winsync::com::abi::co_task_wide(&value)?".into(),
            ),
            Some("BOOL") => ("bool".into(), "value.into()".into()),
            Some(name) if self.enums.contains_key(name) => {
                (self.enums[name].clone(), "value.into()".into())
            }
            _ => (tokens(payload), "value".into()),
        }
    }
}

pub(super) fn meta_names(method: MethodDef) -> Vec<String> {
    method
        .params()
        .filter(|p| p.sequence() > 0)
        .map(|p| p.name().to_string())
        .collect()
}

/// A body that does nothing, and whether it returns `Ok(())`: it does when there is nothing
/// to hand back and the method is not listed `not_implemented`, else it answers `E_NOTIMPL`
/// (the caller then does what it does without an implementation).
pub(super) fn default_body(method: &SkeletonMethod, not_implemented: bool) -> (String, bool) {
    let names: Vec<&str> = method
        .safe_params
        .iter()
        .filter_map(|p| p.split(':').next())
        .map(str::trim)
        .collect();
    let unused = match names.len() {
        0 => String::new(),
        1 => format!("let _ = {};", names[0]),
        _ => format!("let _ = ({});", names.join(", ")),
    };
    // Nothing to hand back and no raw out-pointer left unwritten: doing nothing succeeds.
    let ok = method.safe_return == "windows_core::Result<()>"
        && method.raw_params.is_empty()
        && !not_implemented;
    let value = if ok {
        "Ok(())"
    } else {
        "Err(::winsync::com::abi::not_implemented())"
    };
    (format!("{{ {unused} {value} }}"), ok)
}

pub(super) struct ParamMeta {
    pub(super) name: String,
    pub(super) flags: ParamAttributes,
    pub(super) count_of: Option<usize>,
    /// A pointer to a buffer whose length another parameter gives (`NativeArrayInfo`,
    /// `MemorySize`): never a Rust reference, which would cover one element only.
    pub(super) is_buffer: bool,
    /// An `[in]` array of `count_of` elements by the supplement's `[[in_array]]`.
    pub(super) in_array: bool,
}

pub(super) enum Kind {
    Plain(String),
    Bool,
    Enum(String),
    InterfaceIn(String),
    InterfaceOut(String),
    /// An `[out]` array of interface pointers and the ABI name of its count parameter.
    InterfaceArrayOut {
        interface: String,
        count: String,
    },
    StringIn {
        by_ref: bool,
    },
    StringArray {
        count: usize,
    },
    /// A `*const T` array of `count` elements (the metadata position of its count).
    ConstArray {
        ty: String,
        count: usize,
    },
    StringOut,
    ValueOut(OutValue),
    ConstRef(String),
    InOut(String),
    Raw,
}

pub(super) enum OutValue {
    Bool,
    Enum(String),
    Plain(String),
}

/// Tokens as Rust source, spaced the way rustfmt would for pointers and paths.
pub(super) fn tokens(t: &impl ToTokens) -> String {
    t.to_token_stream()
        .to_string()
        .replace("* mut ", "*mut ")
        .replace("* const ", "*const ")
        .replace(" :: ", "::")
        .replace(" < ", "<")
        .replace(" >", ">")
        .replace("< ", "<")
}

pub(super) fn last_ident(ty: &syn::Type) -> Option<String> {
    match ty {
        syn::Type::Path(p) => p.path.segments.last().map(|s| s.ident.to_string()),
        _ => None,
    }
}

/// `I` of a `*mut Option<I>` parameter.
pub(super) fn option_pointee(ty: &syn::Type) -> Option<String> {
    let syn::Type::Ptr(pointer) = ty else {
        return None;
    };
    let syn::Type::Path(path) = pointer.elem.as_ref() else {
        return None;
    };
    let last = path.path.segments.last()?;
    if pointer.const_token.is_some() || last.ident != "Option" {
        return None;
    }
    generic_arg(last).map(tokens)
}

pub(super) fn generic_arg(segment: &syn::PathSegment) -> Option<&syn::Type> {
    match &segment.arguments {
        syn::PathArguments::AngleBracketed(args) => args.args.iter().find_map(|a| match a {
            syn::GenericArgument::Type(t) => Some(t),
            _ => None,
        }),
        _ => None,
    }
}

/// A byte pointer is a buffer in these APIs (the metadata does not always say so), never one
/// byte: it stays a raw pointer.
pub(super) fn is_byte(ty: &syn::Type) -> bool {
    matches!(last_ident(ty).as_deref(), Some("u8" | "i8"))
}

pub(super) fn is_integer(ty: &syn::Type) -> bool {
    matches!(
        last_ident(ty).as_deref(),
        Some("u8" | "i8" | "u16" | "i16" | "u32" | "i32" | "u64" | "i64" | "usize" | "isize")
    )
}

/// `T` of a `windows_core::Result<T>` return, unless `T` is `()`.
pub(super) fn result_payload(output: &syn::ReturnType) -> Option<&syn::Type> {
    let syn::ReturnType::Type(_, ty) = output else {
        return None;
    };
    let syn::Type::Path(path) = ty.as_ref() else {
        return None;
    };
    let last = path.path.segments.last()?;
    if last.ident != "Result" {
        return None;
    }
    match generic_arg(last)? {
        syn::Type::Tuple(t) if t.elems.is_empty() => None,
        other => Some(other),
    }
}
