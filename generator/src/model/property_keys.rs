//! `PROPERTYKEY` constants (`PKEY_*`): windows-bindgen 0.100 cannot emit them (it panics on the
//! Windows Sync ones), so the generator reads their values itself and emits them after the
//! bindings. In Microsoft's metadata a property key is a field of type `PROPERTYKEY` whose value
//! is either a `ConstantAttribute` string `"{data1, data2, data3, data4[0], .., data4[7]}, pid"`
//! (the Win32 metadata this project bundles) or a `GuidAttribute` (`fmtid`) with a constant
//! (`pid`) (later metadata).

use windows_metadata::reader::{Field, HasAttributes};
use windows_metadata::{Type, Value};

/// One property key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PropertyKey {
    /// The constant's namespace, e.g. `Windows.Win32.System.WindowsSync`.
    pub namespace: String,
    /// The constant's name, e.g. `PKEY_CONFIGUI_CLSID`.
    pub name: String,
    /// `fmtid`: the GUID's data1, data2, data3 and data4.
    pub fmtid: (u32, u16, u16, [u8; 8]),
    /// `pid`.
    pub pid: u32,
}

impl PropertyKey {
    /// `fmtid` as one 128-bit number (`GUID::from_u128`'s argument).
    pub fn fmtid_u128(&self) -> u128 {
        let (a, b, c, d) = self.fmtid;
        (u128::from(a) << 96)
            | (u128::from(b) << 80)
            | (u128::from(c) << 64)
            | u128::from(u64::from_be_bytes(d))
    }
}

/// The `PROPERTYKEY` type (namespace, name) of a property-key constant, `None` for any other
/// field.
pub fn property_key_type(field: &Field<'_>) -> Option<(String, String)> {
    match field.ty() {
        Type::ValueName(ty) if ty.name == "PROPERTYKEY" => Some((ty.namespace, ty.name)),
        _ => None,
    }
}

/// The property key `field` (in `namespace`) holds; what is missing when the metadata does not
/// give both values in one of the forms above.
pub fn read(namespace: &str, field: &Field<'_>) -> Result<PropertyKey, &'static str> {
    let (fmtid, pid) = match field.find_attribute("ConstantAttribute") {
        Some(attribute) => match attribute.value().as_slice() {
            [(_, Value::Utf8(text))] => parse_constant(text)
                .ok_or("the property key's ConstantAttribute is not `{GUID parts}, pid`")?,
            _ => return Err("the property key's ConstantAttribute is not one string"),
        },
        None => (guid_attribute(field)?, pid_constant(field)?),
    };
    Ok(PropertyKey {
        namespace: namespace.to_string(),
        name: field.name().to_string(),
        fmtid,
        pid,
    })
}

type Guid = (u32, u16, u16, [u8; 8]);

/// `"{1430988010, 59619, 17850, 147, 82, 223, 181, 97, 225, 113, 228}, 3"`.
fn parse_constant(text: &str) -> Option<(Guid, u32)> {
    let (guid, pid) = text.trim().strip_prefix('{')?.split_once('}')?;
    let pid = pid.trim().strip_prefix(',')?.trim().parse().ok()?;
    let parts: Vec<&str> = guid.split(',').map(str::trim).collect();
    let [a, b, c, d @ ..] = parts.as_slice() else {
        return None;
    };
    let d: Vec<u8> = d.iter().map(|p| p.parse().ok()).collect::<Option<_>>()?;
    Some((
        (
            a.parse().ok()?,
            b.parse().ok()?,
            c.parse().ok()?,
            d.try_into().ok()?,
        ),
        pid,
    ))
}

fn guid_attribute(field: &Field<'_>) -> Result<Guid, &'static str> {
    let attribute = field.find_attribute("GuidAttribute").ok_or(
        "the metadata gives the property key no value (ConstantAttribute or GuidAttribute)",
    )?;
    let args: Vec<Value> = attribute.value().into_iter().map(|(_, v)| v).collect();
    match args.as_slice() {
        [
            Value::U32(a),
            Value::U16(b),
            Value::U16(c),
            Value::U8(d0),
            Value::U8(d1),
            Value::U8(d2),
            Value::U8(d3),
            Value::U8(d4),
            Value::U8(d5),
            Value::U8(d6),
            Value::U8(d7),
        ] => Ok((*a, *b, *c, [*d0, *d1, *d2, *d3, *d4, *d5, *d6, *d7])),
        _ => Err("the property key's GuidAttribute is not a GUID (u32, u16, u16, 8 x u8)"),
    }
}

fn pid_constant(field: &Field<'_>) -> Result<u32, &'static str> {
    match field.constant().map(|c| c.value()) {
        Some(Value::U32(pid)) => Ok(pid),
        Some(Value::I32(pid)) => Ok(u32::from_ne_bytes(pid.to_ne_bytes())),
        _ => Err("the metadata gives the property key no pid (a 32-bit constant)"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn constant_attribute_strings_are_read_or_refused() {
        assert_eq!(
            parse_constant("{1430988010, 59619, 17850, 147, 82, 223, 181, 97, 225, 113, 228}, 3"),
            Some((
                (
                    1_430_988_010,
                    59619,
                    17850,
                    [147, 82, 223, 181, 97, 225, 113, 228]
                ),
                3
            ))
        );
        for bad in [
            "",
            "{1, 2, 3, 4, 5, 6, 7, 8, 9, 10}, 3",
            "{1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12}, 3",
            "{1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 256}, 3",
            "{1, 70000, 3, 4, 5, 6, 7, 8, 9, 10, 11}, 3",
            "{1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11}",
            "{1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11}, x",
            "1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 3",
        ] {
            assert_eq!(parse_constant(bad), None, "{bad:?}");
        }
    }
}
