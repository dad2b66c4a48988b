//! The `PROPERTYKEY` constants windows-bindgen 0.100 cannot emit, as Rust constants appended to
//! `bindings.rs` (see [`crate::model::property_keys`]).

use crate::model::property_keys::PropertyKey;

/// The constants, each with its doc comment, one after the other; empty without keys.
pub fn property_keys(keys: &[PropertyKey]) -> String {
    let mut text = String::new();
    for key in keys {
        let (a, b, c, d) = key.fmtid;
        text.push_str(&format!(
            "/// `{name}` (`{namespace}`): the property key `{{{a:08X}-{b:04X}-{c:04X}-{d0:02X}{d1:02X}-{rest}}}`, \
             property ID {pid}.\n/// Emitted by winsync-gen from the metadata's values (windows-bindgen 0.100 \
             cannot emit `PROPERTYKEY` constants).\npub const {name}: PROPERTYKEY = PROPERTYKEY {{\n    \
             fmtid: windows_core::GUID::from_u128(0x{fmtid:032x}),\n    pid: {pid},\n}};\n",
            name = key.name,
            namespace = key.namespace,
            d0 = d[0],
            d1 = d[1],
            rest = d[2..].iter().map(|b| format!("{b:02X}")).collect::<String>(),
            fmtid = key.fmtid_u128(),
            pid = key.pid,
        ));
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_key_is_a_constant_with_its_guid_and_pid() {
        let key = PropertyKey {
            namespace: "N".into(),
            name: "PKEY_X".into(),
            fmtid: (0x1234_5678, 0x9ABC, 0xDEF0, [1, 2, 3, 4, 5, 6, 7, 8]),
            pid: 7,
        };
        let text = property_keys(&[key]);
        assert!(
            text.contains("{12345678-9ABC-DEF0-0102-030405060708}"),
            "{text}"
        );
        assert!(
            text.contains(
                "fmtid: windows_core::GUID::from_u128(0x123456789abcdef00102030405060708),"
            ),
            "{text}"
        );
        assert!(
            text.contains("pub const PKEY_X: PROPERTYKEY = PROPERTYKEY {"),
            "{text}"
        );
        assert!(text.contains("    pid: 7,\n};\n"), "{text}");
        syn::parse_file(&text).expect("valid Rust");
    }
}
