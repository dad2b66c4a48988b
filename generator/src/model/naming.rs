//! Rust names for Windows names (heck), with Hungarian prefixes dropped and keywords escaped.

use heck::{ToSnakeCase, ToUpperCamelCase};

/// `IKnowledgeSyncProvider` → `KnowledgeSyncProvider`: the safe trait's name.
pub fn trait_name(interface: &str) -> String {
    match interface.strip_prefix('I') {
        Some(rest) if rest.starts_with(|c: char| c.is_ascii_uppercase()) => rest.to_string(),
        _ => interface.to_upper_camel_case(),
    }
}

/// `BeginSession` → `begin_session`.
pub fn method_name(method: &str) -> String {
    escape(&snake(method))
}

/// `pSessionState` → `session_state`, `ppszItemIDs` → `item_ids`, `dwBatchSize` →
/// `batch_size`, `role` → `role`: the lowercase Hungarian prefix is dropped when an uppercase
/// word follows it.
pub fn param_name(param: &str) -> String {
    let prefix = param.chars().take_while(|c| c.is_ascii_lowercase()).count();
    let base = if prefix > 0 && prefix <= 6 && prefix < param.len() {
        &param[prefix..]
    } else {
        param
    };
    escape(&snake(base))
}

/// `SYNC_PROVIDER_ROLE` → `SyncProviderRole`.
pub fn enum_name(name: &str) -> String {
    name.to_upper_camel_case()
}

/// `SPR_SOURCE` with prefix `SPR_` → `Source`.
pub fn variant_name(value: &str, prefix: &str) -> String {
    let stripped = value.strip_prefix(prefix).unwrap_or(value);
    let name = stripped.to_upper_camel_case();
    if name.starts_with(|c: char| c.is_ascii_digit()) {
        format!("V{name}")
    } else {
        name
    }
}

/// The longest common prefix of `values` that ends with `_`.
pub fn common_prefix(values: &[&str]) -> String {
    let Some(first) = values.first() else {
        return String::new();
    };
    let mut len = first.len();
    for value in &values[1..] {
        len = len.min(
            first
                .bytes()
                .zip(value.bytes())
                .take_while(|(a, b)| a == b)
                .count(),
        );
    }
    first[..len]
        .rfind('_')
        .map_or(String::new(), |end| first[..=end].to_string())
}

/// Collapses runs of white space (line breaks included) into single spaces: text from the
/// contract data goes into one-line doc comments.
pub fn one_line(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// Whether `name` can be a Rust constant's name as the header spells it (`SYNC_E_X`).
pub fn is_constant_name(name: &str) -> bool {
    name.starts_with(|c: char| c.is_ascii_uppercase())
        && name
            .chars()
            .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit() || c == '_')
}

/// heck's snake case, reading `IDs` as one word (`ItemIDs` → `item_ids`).
fn snake(name: &str) -> String {
    name.replace("IDs", "Ids").to_snake_case()
}

/// Escapes Rust keywords as raw identifiers.
fn escape(name: &str) -> String {
    const KEYWORDS: &[&str] = &[
        "as", "async", "await", "box", "break", "const", "continue", "crate", "dyn", "else",
        "enum", "extern", "false", "fn", "for", "gen", "if", "impl", "in", "let", "loop", "match",
        "mod", "move", "mut", "pub", "ref", "return", "static", "struct", "trait", "true", "type",
        "unsafe", "use", "where", "while", "yield",
    ];
    match name {
        "self" | "Self" | "super" | "crate" => format!("{name}_"),
        _ if KEYWORDS.contains(&name) => format!("r#{name}"),
        _ => name.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_follow_rust_conventions() {
        assert_eq!(
            trait_name("IKnowledgeSyncProvider"),
            "KnowledgeSyncProvider"
        );
        assert_eq!(trait_name("ISyncMgrHandler"), "SyncMgrHandler");
        assert_eq!(method_name("GetIdParameters"), "get_id_parameters");
        assert_eq!(param_name("pSessionState"), "session_state");
        assert_eq!(param_name("ppszItemIDs"), "item_ids");
        assert_eq!(param_name("dwBatchSize"), "batch_size");
        assert_eq!(param_name("role"), "role");
        assert_eq!(param_name("punk"), "punk");
        assert_eq!(param_name("rguidObjectID"), "object_id");
        assert_eq!(param_name("type"), "r#type");
        assert_eq!(enum_name("SYNC_PROVIDER_ROLE"), "SyncProviderRole");
        assert_eq!(
            variant_name("SYNCMGR_PS_UPDATING_INDETERMINATE", "SYNCMGR_PS_"),
            "UpdatingIndeterminate"
        );
        assert_eq!(
            common_prefix(&["SPS_CHANGE_DETECTION", "SPS_CHANGE_ENUMERATION"]),
            "SPS_CHANGE_"
        );
        assert_eq!(common_prefix(&["SPR_SOURCE", "SPR_DESTINATION"]), "SPR_");
    }
}
