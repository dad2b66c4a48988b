//! The checks of `contracts.toml`'s interfaces and enums against the metadata.

use super::*;

/// `contracts.toml`'s `[[interface]]` entries: listed once, in the metadata, implementable,
/// and what each names (methods, parameters, getters) exists.
pub(super) fn check_interfaces(
    lookup: &Lookup<'_>,
    contracts: &Contracts,
    contracts_text: &SourceText,
    report: &mut impl FnMut(&SourceText, &SpannedStr, String),
) {
    let listed: BTreeSet<&str> = contracts
        .interfaces
        .iter()
        .map(|i| i.name.get_ref().as_str())
        .collect();
    let mut seen_interfaces = BTreeSet::new();
    for entry in &contracts.interfaces {
        if !seen_interfaces.insert(entry.name.get_ref().as_str()) {
            report(
                contracts_text,
                &entry.name,
                format!("[[interface]] `{}` is listed twice", entry.name.get_ref()),
            );
            continue;
        }
        if is_root_interface(entry.name.get_ref()) {
            report(
                contracts_text,
                &entry.name,
                format!(
                    "`{}` is the base of every interface and is implemented by windows-core: it gets no skeleton",
                    entry.name.get_ref()
                ),
            );
            continue;
        }
        let found = lookup
            .index
            .get(entry.namespace.get_ref(), entry.name.get_ref())
            .find(|d| d.category() == TypeCategory::Interface);
        let Some(def) = found else {
            let candidates = lookup.interfaces.keys().cloned();
            report(
                contracts_text,
                &entry.name,
                unknown(
                    "interface",
                    &format!("{}.{}", entry.namespace.get_ref(), entry.name.get_ref()),
                    closest(entry.name.get_ref(), candidates),
                ),
            );
            continue;
        };
        for base in bases(def) {
            if base != "IUnknown" && !listed.contains(base.as_str()) {
                report(
                    contracts_text,
                    &entry.name,
                    format!(
                        "`{}` extends `{base}`, which must be listed as an [[interface]] too",
                        entry.name.get_ref()
                    ),
                );
            }
        }
        for (listed, field) in entry
            .required
            .iter()
            .map(|m| (m, "required"))
            .chain(entry.not_implemented.iter().map(|m| (m, "not_implemented")))
        {
            if !def.methods().any(|m| m.name() == listed.get_ref()) {
                report(
                    contracts_text,
                    listed,
                    unknown(
                        "method",
                        listed.get_ref(),
                        method_names(def, listed.get_ref()),
                    ),
                );
            } else if !entry.defaults {
                report(
                    contracts_text,
                    listed,
                    format!(
                        "`{field}` only applies with `defaults = true`: `{}` has no defaults",
                        entry.name.get_ref()
                    ),
                );
            }
        }
        for listed in &entry.not_implemented {
            if entry
                .required
                .iter()
                .any(|r| r.get_ref() == listed.get_ref())
            {
                report(
                    contracts_text,
                    listed,
                    format!(
                        "`{}` is both required (no default) and not_implemented (a default)",
                        listed.get_ref()
                    ),
                );
            }
        }
        for nullable in &entry.nullable {
            let Some((method, param)) = nullable.get_ref().split_once('.') else {
                report(
                    contracts_text,
                    nullable,
                    format!("`{}` must be `Method.param`", nullable.get_ref()),
                );
                continue;
            };
            match def.methods().find(|m| m.name() == method) {
                Some(m) => {
                    if !m.params().any(|p| p.sequence() > 0 && p.name() == param) {
                        report(
                            contracts_text,
                            nullable,
                            unknown("parameter", nullable.get_ref(), param_names(m, param)),
                        );
                    }
                }
                None => report(
                    contracts_text,
                    nullable,
                    unknown("method", nullable.get_ref(), method_names(def, method)),
                ),
            }
        }
        for listed in &entry.queried {
            match def.methods().find(|m| m.name() == listed.get_ref()) {
                Some(m) if !ends_with_queried_pair(m) => report(
                    contracts_text,
                    listed,
                    format!(
                        "`{}::{}` does not end in an interface id (`REFIID`) and a `void**` \
                         out-pointer, which `queried` needs",
                        entry.name.get_ref(),
                        listed.get_ref()
                    ),
                ),
                Some(_)
                    if entry
                        .objects
                        .iter()
                        .any(|o| o.get_ref() == listed.get_ref()) =>
                {
                    report(
                        contracts_text,
                        listed,
                        format!(
                            "`{}` is listed in both `objects` and `queried`",
                            listed.get_ref()
                        ),
                    );
                }
                Some(_) => {}
                None => report(
                    contracts_text,
                    listed,
                    unknown(
                        "method",
                        listed.get_ref(),
                        method_names(def, listed.get_ref()),
                    ),
                ),
            }
        }
        for listed in &entry.objects {
            match def.methods().find(|m| m.name() == listed.get_ref()) {
                Some(m) if !is_object_getter(m) => report(
                    contracts_text,
                    listed,
                    format!(
                        "`{}::{}` is no GetObject-style method: `objects` needs exactly an object \
                         id (`REFGUID`), an interface id (`REFIID`) and a `void**` out-pointer",
                        entry.name.get_ref(),
                        listed.get_ref()
                    ),
                ),
                Some(_) => {}
                None => report(
                    contracts_text,
                    listed,
                    unknown(
                        "method",
                        listed.get_ref(),
                        method_names(def, listed.get_ref()),
                    ),
                ),
            }
        }
    }
}

/// `contracts.toml`'s `[[enum]]` entries: listed once, in the metadata, their values known.
pub(super) fn check_enums(
    lookup: &Lookup<'_>,
    contracts: &Contracts,
    contracts_text: &SourceText,
    report: &mut impl FnMut(&SourceText, &SpannedStr, String),
) {
    let mut seen_enums = BTreeSet::new();
    for entry in &contracts.enums {
        if !seen_enums.insert(entry.name.get_ref().as_str()) {
            report(
                contracts_text,
                &entry.name,
                format!("[[enum]] `{}` is listed twice", entry.name.get_ref()),
            );
            continue;
        }
        let found = lookup
            .index
            .get(entry.namespace.get_ref(), entry.name.get_ref())
            .find(|d| d.category() == TypeCategory::Enum);
        let Some(def) = found else {
            report(
                contracts_text,
                &entry.name,
                unknown(
                    "enum",
                    entry.name.get_ref(),
                    closest(entry.name.get_ref(), lookup.enums.keys().cloned()),
                ),
            );
            continue;
        };
        let values = enum_values(def);
        for invalid in &entry.invalid {
            if !values.contains(invalid.get_ref()) {
                report(
                    contracts_text,
                    invalid,
                    unknown(
                        "value",
                        invalid.get_ref(),
                        closest(invalid.get_ref(), values.iter().cloned()),
                    ),
                );
            }
        }
        if let Some(prefix) = &entry.strip_prefix {
            for value in values
                .iter()
                .filter(|v| !entry.invalid.iter().any(|i| i.get_ref() == *v))
            {
                if !value.starts_with(prefix.get_ref().as_str()) {
                    report(
                        contracts_text,
                        prefix,
                        format!(
                            "value `{value}` of `{}` does not start with `{}`",
                            entry.name.get_ref(),
                            prefix.get_ref()
                        ),
                    );
                }
            }
        }
    }
}
