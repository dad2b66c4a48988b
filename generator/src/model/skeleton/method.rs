//! A skeleton trait and its methods from an `[[interface]]` entry, the metadata and the
//! `_Impl` trait of the bindings.

use quote::ToTokens;

use super::params::*;
use super::*;

impl TraitContext<'_> {
    pub(super) fn skeleton_trait(&self, entry: &InterfaceEntry) -> Result<SkeletonTrait> {
        let (namespace, name) = (
            entry.namespace.get_ref().as_str(),
            entry.name.get_ref().as_str(),
        );
        let def = self
            .index
            .get(namespace, name)
            .find(|d| d.category() == TypeCategory::Interface)
            .ok_or_else(|| {
                Error::MissingBinding(format!("interface `{namespace}.{name}` in the metadata"))
            })?;
        let impl_trait = self.bindings.impl_trait(name).ok_or_else(|| {
            Error::MissingBinding(format!("`{name}_Impl` (windows-bindgen dropped it)"))
        })?;
        let base = def
            .interface_impls()
            .filter_map(|i| match i.interface(&[]) {
                windows_metadata::Type::ClassName(tn) => Some(tn.name),
                _ => None,
            })
            .find(|base| self.listed.contains(base.as_str()));
        let rust = naming::trait_name(name);
        let nullable: BTreeSet<&str> = entry
            .nullable
            .iter()
            .map(|n| n.get_ref().as_str())
            .collect();
        let objects: BTreeSet<&str> = entry.objects.iter().map(|n| n.get_ref().as_str()).collect();
        let queried: BTreeSet<&str> = entry.queried.iter().map(|n| n.get_ref().as_str()).collect();

        let mut methods = Vec::new();
        for method in def.methods() {
            let impl_fn = impl_trait
                .items
                .iter()
                .find_map(|item| match item {
                    syn::TraitItem::Fn(f) if f.sig.ident == method.name() => Some(f),
                    _ => None,
                })
                .ok_or_else(|| {
                    Error::MissingBinding(format!("`{name}_Impl::{}`", method.name()))
                })?;
            let mut skeleton = self.method(name, method, impl_fn, &nullable)?;
            if objects.contains(method.name()) {
                object_getter(&mut skeleton, name)?;
            }
            if queried.contains(method.name()) {
                queried_getter(&mut skeleton, name)?;
            }
            if entry.defaults && !entry.required.iter().any(|r| r.get_ref() == method.name()) {
                let not_implemented = entry
                    .not_implemented
                    .iter()
                    .any(|m| m.get_ref() == method.name());
                let (mut body, ok) = default_body(&skeleton, not_implemented);
                if objects.contains(method.name()) {
                    // No object: the adapter answers E_NOTIMPL.
                    body = "{ let _ = object_id; Ok(None) }".into();
                }
                skeleton.default_body = Some(body);
                skeleton.default_ok = ok;
            }
            methods.push(skeleton);
        }
        Ok(SkeletonTrait {
            windows: name.to_string(),
            namespace: namespace.to_string(),
            module: format!("{}_abi", naming::method_name(&rust)),
            rust,
            family: if namespace.ends_with("WindowsSync") {
                "Windows Sync Framework"
            } else {
                "Sync Center"
            },
            implemented_by: match entry.implemented_by.get_ref() {
                Implementor::User => "a sync component",
                Implementor::Host => "the host (Sync Framework or Sync Center, or a test double)",
            },
            source: entry.source.get_ref().clone(),
            summary: naming::one_line(&entry.summary),
            supertrait: base.map(|b| naming::trait_name(&b)),
            methods,
            rules: self
                .rules
                .iter()
                .filter(|r| r.interface.get_ref() == name && r.method.is_none())
                .map(RuleDoc::new)
                .collect(),
        })
    }

    fn method(
        &self,
        interface: &str,
        method: MethodDef,
        impl_fn: &syn::TraitItemFn,
        nullable: &BTreeSet<&str>,
    ) -> Result<SkeletonMethod> {
        let windows = method.name().to_string();
        let s_false = self
            .supplement
            .keeps_s_false
            .iter()
            .find(|k| k.interface.get_ref() == interface && *k.method.get_ref() == windows);
        let mut meta_list: Vec<ParamMeta> = method
            .params()
            .filter(|p| p.sequence() > 0)
            .map(|p| ParamMeta {
                name: p.name().to_string(),
                flags: p.flags(),
                count_of: match p.buffer_relationship() {
                    Some(BufferRelationship::ElementsParam(i)) => usize::try_from(i).ok(),
                    _ => None,
                },
                is_buffer: p.buffer_relationship().is_some(),
                in_array: false,
            })
            .collect();
        // `[in]` arrays whose count the metadata does not give (`[[in_array]]` in the
        // supplement): the count parameter's position.
        for entry in self
            .supplement
            .in_arrays
            .iter()
            .filter(|a| a.interface.get_ref() == interface && *a.method.get_ref() == windows)
        {
            let count = meta_list
                .iter()
                .position(|p| p.name == *entry.count.get_ref());
            if let Some(meta) = meta_list
                .iter_mut()
                .find(|p| p.name == *entry.param.get_ref())
            {
                meta.count_of = count;
                meta.in_array = count.is_some();
            }
        }
        let abi: Vec<(String, &syn::Type)> = impl_fn
            .sig
            .inputs
            .iter()
            .filter_map(|arg| match arg {
                syn::FnArg::Typed(t) => Some((t.pat.to_token_stream().to_string(), t.ty.as_ref())),
                syn::FnArg::Receiver(_) => None,
            })
            .collect();
        // `[out]` arrays of interface pointers whose count the metadata does not give
        // (`[[out_pointer]]` with `count` in the supplement): parameter → count parameter.
        let arrays: BTreeMap<&str, &str> = self
            .supplement
            .out_pointers
            .iter()
            .filter(|o| o.interface.get_ref() == interface && *o.method.get_ref() == windows)
            .filter_map(|o| {
                Some((
                    o.param.get_ref().as_str(),
                    o.count.as_ref()?.get_ref().as_str(),
                ))
            })
            .collect();
        let counts: BTreeSet<usize> = meta_list
            .iter()
            .filter_map(|m| m.count_of)
            .chain(
                arrays
                    .values()
                    .filter_map(|count| meta_list.iter().position(|p| p.name == *count)),
            )
            .collect();

        let mut m = SkeletonMethod {
            rust: naming::method_name(&windows),
            windows: windows.clone(),
            safe_params: Vec::new(),
            safe_return: String::new(),
            abi_params: abi
                .iter()
                .map(|(n, t)| format!("{n}: {}", tokens(*t)))
                .collect(),
            // A method that keeps S_FALSE returns HRESULT once the bindings are fixed.
            abi_return: if s_false.is_some() {
                "windows_core::HRESULT".to_string()
            } else {
                tokens(&impl_fn.sig.output)
                    .trim_start_matches("->")
                    .trim()
                    .to_string()
            },
            preludes: Vec::new(),
            call_args: Vec::new(),
            out_pattern: String::new(),
            writebacks: Vec::new(),
            ret_expr: String::new(),
            keeps_s_false: s_false.is_some(),
            s_false_meaning: s_false
                .map(|k| naming::one_line(&k.meaning))
                .unwrap_or_default(),
            answers_bool: false,
            checks: Vec::new(),
            raw_params: Vec::new(),
            rules: self
                .rules
                .iter()
                .filter(|r| {
                    r.interface.get_ref() == interface
                        && r.method.as_ref().is_some_and(|m| *m.get_ref() == windows)
                })
                .map(RuleDoc::new)
                .collect(),
            default_body: None,
            default_ok: false,
        };
        let mut outs: Vec<(String, String)> = Vec::new();
        let mut safe_names = BTreeSet::new();

        for (position, (abi_name, abi_ty)) in abi.iter().enumerate() {
            let meta = meta_list
                .iter()
                .find(|p| p.name.to_ascii_lowercase() == *abi_name);
            let Some(meta) = meta else {
                return Err(Error::MissingBinding(format!(
                    "a metadata parameter for `{interface}::{windows}({abi_name})`"
                )));
            };
            let metadata_position = meta_list
                .iter()
                .position(|p| p.name == meta.name)
                .unwrap_or(position);
            if counts.contains(&metadata_position) && is_integer(abi_ty) {
                // The element count of an array parameter: consumed by that parameter.
                continue;
            }
            let mut safe = naming::param_name(&meta.name);
            if safe_names.contains(&safe) && meta.name.starts_with("pcb") {
                // `pbInfo` and `pcbInfo`: the buffer and its size in bytes.
                safe = format!("{safe}_size");
            }
            if !safe_names.insert(safe.clone()) || safe == "this" {
                // Never the ABI name itself: an out value bound under it would shadow the
                // pointer its write-back needs.
                safe = format!("{abi_name}_value");
            }
            let nullable = nullable.contains(format!("{windows}.{}", meta.name).as_str())
                || meta.flags.contains(ParamAttributes::Optional);
            let kind = match arrays.get(meta.name.as_str()) {
                Some(count) => match self.classify(abi_ty, meta) {
                    Kind::InterfaceOut(interface) => Kind::InterfaceArrayOut {
                        interface,
                        count: count.to_ascii_lowercase(),
                    },
                    _ => {
                        return Err(Error::MissingBinding(format!(
                            "an `OutRef<_>` for the out array `{interface}::{windows}({})`",
                            meta.name
                        )));
                    }
                },
                None => match (option_pointee(abi_ty), meta.count_of) {
                    // `rgelt` of an `IEnumXXX::Next` whose count the metadata gives: windows-bindgen
                    // emits `*mut Option<I>`, the same layout as the `OutRef<I>` array above.
                    (Some(interface), Some(count)) if meta.flags.contains(ParamAttributes::Out) => {
                        Kind::InterfaceArrayOut {
                            interface,
                            count: meta_list
                                .get(count)
                                .map(|p| p.name.to_ascii_lowercase())
                                .unwrap_or_default(),
                        }
                    }
                    _ => self.classify(abi_ty, meta),
                },
            };
            self.lower(
                &mut m,
                &mut outs,
                kind,
                abi_name,
                &safe,
                &meta.name,
                nullable,
                &abi,
                &meta_names(method),
            );
        }

        // windows-bindgen lifts a trailing `[retval]` out-parameter into the return type.
        let lifted = result_payload(&impl_fn.sig.output);
        if let Some(payload) = lifted {
            if m.keeps_s_false {
                return Err(Error::MissingBinding(format!(
                    "a `Result<()>` `_Impl` return on `{interface}::{windows}`, which keeps S_FALSE"
                )));
            }
            let (safe_ty, convert) = self.retval(payload);
            outs.push((safe_ty, "value".into()));
            m.ret_expr = format!("Ok({convert})");
        } else if s_false.is_some_and(|k| k.yes_no) && outs.is_empty() {
            // The success code is the whole answer, yes (S_OK) or no (S_FALSE).
            outs.push(("bool".into(), "answer".into()));
            m.answers_bool = true;
            m.ret_expr = "Ok(::winsync::com::abi::s_ok_if(answer))".into();
            m.checks.push(format!(
                "`true` reaches the caller as S_OK and `false` as S_FALSE: {}",
                m.s_false_meaning
            ));
        } else if m.keeps_s_false {
            // The success code travels first, before any out-parameter.
            outs.insert(0, ("windows_core::HRESULT".into(), "hresult".into()));
            m.ret_expr = "Ok(hresult)".into();
            // Checked before any out-value is written.
            m.writebacks.insert(
                0,
                "let hresult = ::winsync::com::abi::s_ok_or_s_false(hresult)?;".into(),
            );
            m.checks.push(format!(
                "the success code the implementation returns reaches the caller: {}; a success \
                 code other than S_OK or S_FALSE is `E_UNEXPECTED` (the caller would misread it)",
                m.s_false_meaning
            ));
        } else {
            m.ret_expr = "Ok(())".into();
        }

        let (types, names): (Vec<String>, Vec<String>) = outs.into_iter().unzip();
        m.safe_return = match types.len() {
            0 => "windows_core::Result<()>".into(),
            1 => format!("windows_core::Result<{}>", types[0]),
            _ => format!("windows_core::Result<({})>", types.join(", ")),
        };
        m.out_pattern = match names.len() {
            0 => "()".into(),
            1 => names[0].clone(),
            _ => format!("({})", names.join(", ")),
        };
        Ok(m)
    }
}
