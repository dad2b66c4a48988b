//! The checks of `supplement.toml` against the metadata.

use super::*;

/// `supplement.toml`: HRESULTs defined once, `[[keeps_s_false]]` methods that can keep
/// S_FALSE, and the methods and parameters `[[out_pointer]]` and `[[in_array]]` name. Returns
/// every HRESULT name known (the metadata's and the supplement's).
pub(super) fn check_supplement(
    lookup: &Lookup<'_>,
    supplement: &Supplement,
    supplement_text: &SourceText,
    report: &mut impl FnMut(&SourceText, &SpannedStr, String),
) -> BTreeSet<String> {
    let mut hresults: BTreeSet<String> = lookup.metadata_hresults.clone();
    for hresult in &supplement.hresults {
        for name in std::iter::once(&hresult.name).chain(&hresult.aliases) {
            if !hresults.insert(name.get_ref().clone()) {
                report(
                    supplement_text,
                    name,
                    format!("HRESULT `{}` is defined twice", name.get_ref()),
                );
            }
        }
    }
    let mut s_false = BTreeSet::new();
    for entry in &supplement.keeps_s_false {
        let key = (
            entry.interface.get_ref().as_str(),
            entry.method.get_ref().as_str(),
        );
        if !s_false.insert(key) {
            report(
                supplement_text,
                &entry.method,
                format!("`{}::{}` is listed twice", key.0, key.1),
            );
            continue;
        }
        if is_root_interface(entry.interface.get_ref()) {
            report(
                supplement_text,
                &entry.interface,
                format!(
                    "`{}` is implemented by windows-core, not by the bindings: its results cannot be kept",
                    entry.interface.get_ref()
                ),
            );
            continue;
        }
        let Some(def) = lookup.interface(supplement_text, &entry.interface, report) else {
            continue;
        };
        let Some(method) = lookup.method(supplement_text, def, &entry.method, report) else {
            continue;
        };
        if !def.methods().any(|own| own == method) {
            let declared_by = match method.parent() {
                windows_metadata::reader::MemberRefParent::TypeDef(base) => base.name(),
                _ => "a base interface",
            };
            report(
                supplement_text,
                &entry.interface,
                format!(
                    "`{}::{}` is inherited from `{declared_by}`: list it there (the fix edits the \
                     `_Impl` trait of the interface that declares the method)",
                    key.0, key.1
                ),
            );
            continue;
        }
        if entry.yes_no
            && let Some(param) = method.params().find(|p| {
                p.sequence() > 0 && p.direction() != windows_metadata::reader::ParamDirection::Input
            })
        {
            report(
                supplement_text,
                &entry.method,
                format!(
                    "`{}::{}` hands back `{}`: `yes_no` needs a method whose success code is its \
                     whole answer",
                    key.0,
                    key.1,
                    param.name()
                ),
            );
            continue;
        }
        if let Some(param) = lifted_retval(method) {
            report(
                supplement_text,
                &entry.method,
                format!(
                    "`{}::{}` hands its result back through `{param}`, which windows-bindgen turns into the \
                     return value: the method cannot return S_FALSE as data",
                    key.0, key.1
                ),
            );
        }
    }
    // `[[out_pointer]]` and `[[in_array]]` name a parameter (and its count) of a method.
    let parameter_entries = supplement
        .out_pointers
        .iter()
        .map(|o| (&o.interface, &o.method, &o.param, o.count.as_ref()))
        .chain(
            supplement
                .in_arrays
                .iter()
                .map(|a| (&a.interface, &a.method, &a.param, Some(&a.count))),
        );
    let mut listed_params = BTreeSet::new();
    for (interface, method_name, param, count) in parameter_entries {
        let key = (
            interface.get_ref().as_str(),
            method_name.get_ref().as_str(),
            param.get_ref().as_str(),
        );
        if !listed_params.insert(key) {
            report(
                supplement_text,
                param,
                format!(
                    "`{}::{}` parameter `{}` is listed twice",
                    key.0, key.1, key.2
                ),
            );
        }
        let Some(def) = lookup.interface(supplement_text, interface, report) else {
            continue;
        };
        let Some(method) = def.methods().find(|m| m.name() == method_name.get_ref()) else {
            report(
                supplement_text,
                method_name,
                unknown(
                    &format!("method of `{}`", def.name()),
                    method_name.get_ref(),
                    method_names(def, method_name.get_ref()),
                ),
            );
            continue;
        };
        for name in std::iter::once(param).chain(count) {
            if !method
                .params()
                .any(|p| p.sequence() > 0 && p.name() == name.get_ref())
            {
                report(
                    supplement_text,
                    name,
                    unknown(
                        "parameter",
                        name.get_ref(),
                        param_names(method, name.get_ref()),
                    ),
                );
            }
        }
    }
    hresults
}
