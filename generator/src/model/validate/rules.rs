//! The checks of `contracts.toml`'s rules against the metadata and the known HRESULTs.

use super::*;

/// `contracts.toml`'s `[[rule]]` entries: the interface, method, parameter, enum values and
/// HRESULT each names exist (`hresults`: every HRESULT name known).
pub(super) fn check_rules(
    lookup: &Lookup<'_>,
    contracts: &Contracts,
    contracts_text: &SourceText,
    supplement_text: &SourceText,
    hresults: &BTreeSet<String>,
    report: &mut impl FnMut(&SourceText, &SpannedStr, String),
) {
    for rule in &contracts.rules {
        let Some(def) = lookup.interface(contracts_text, &rule.interface, report) else {
            continue;
        };
        let method = rule
            .method
            .as_ref()
            .and_then(|m| lookup.method(contracts_text, def, m, report));
        let mut value_enum: Option<TypeDef> = None;
        if let Some(param) = &rule.param {
            match (&rule.method, method) {
                (None, _) => report(
                    contracts_text,
                    param,
                    "a rule with `param` needs `method`".into(),
                ),
                (Some(_), None) => {}
                (Some(_), Some(m)) => {
                    let position = m
                        .params()
                        .filter(|p| p.sequence() > 0)
                        .position(|p| p.name() == param.get_ref());
                    match position {
                        Some(i) => value_enum = lookup.enum_of(m.signature(&[]).types.get(i)),
                        None => report(
                            contracts_text,
                            param,
                            unknown(
                                "parameter",
                                param.get_ref(),
                                param_names(m, param.get_ref()),
                            ),
                        ),
                    }
                }
            }
        }
        for value in &rule.values {
            let known = match value_enum {
                Some(def) => enum_values(def).contains(value.get_ref()),
                None => lookup.enum_values.contains(value.get_ref()),
            };
            if !known {
                let candidates: Vec<String> = match value_enum {
                    Some(def) => enum_values(def).into_iter().collect(),
                    None => lookup.enum_values.iter().cloned().collect(),
                };
                report(
                    contracts_text,
                    value,
                    unknown(
                        "enum value",
                        value.get_ref(),
                        closest(value.get_ref(), candidates.into_iter()),
                    ),
                );
            }
        }
        if let Some(returns) = &rule.returns
            && !hresults.contains(returns.get_ref())
        {
            let suggestions = closest(returns.get_ref(), hresults.iter().cloned());
            let message = if suggestions.is_empty() {
                format!(
                    "unknown HRESULT `{}`: neither the metadata nor {} defines it",
                    returns.get_ref(),
                    supplement_text.name
                )
            } else {
                unknown("HRESULT", returns.get_ref(), suggestions)
            };
            report(contracts_text, returns, message);
        }
    }
}
